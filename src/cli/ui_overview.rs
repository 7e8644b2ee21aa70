//! `uc` with no workspace here and a projects file: the TUI opens on the overview of every
//! listed workspace, in this terminal. The glue reads each running engine's snapshot about
//! once a second for the overview (starting none), and serves one workspace at a time on
//! the TUI's link: opening another aborts the tasks bridged to the open one (its engine,
//! services and tmux server keep running) and bridges the link to the new one's engine.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::project_cmd::{Target, ask_all};
use super::ui::{Place, Shower, pump_events, serve_requests};
use super::{Cli, CliResult, Failure};
use crate::client::{Client, Launcher};
use crate::config::projects::Project;
use crate::protocol::{Command, CommandError};
use crate::tui::{self, EngineLink, Request, Update};

/// How often the overview's figures are read again.
const REFRESH: Duration = Duration::from_secs(1);

pub async fn main(cli: &Cli, projects: &[Project]) -> CliResult {
    super::setup::ensure_tools(false)?;
    let mut options = super::ui::ui_options_in(cli, None, None)?;
    options.overview = true;
    let options = options.with_user(super::user());
    let targets: Vec<Target> = projects.iter().map(Target::new).collect();
    let (link, updates, requests) = EngineLink::pair();
    let refresh = tokio::spawn(refresh(targets, updates.clone()));
    let switch = tokio::spawn(switch(projects.to_vec(), cli.no_start, requests, updates));
    let result = tui::run(link, options).await;
    refresh.abort();
    switch.abort();
    result.map_err(Failure::runtime)?;
    Ok(ExitCode::SUCCESS)
}

/// Every workspace's row, once a second, while the TUI runs.
async fn refresh(targets: Vec<Target>, updates: UnboundedSender<Update>) {
    let mut every = tokio::time::interval(REFRESH);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if updates
            .send(Update::Workspaces(ask_all(&targets).await))
            .is_err()
        {
            return;
        }
    }
}

/// The TUI's requests: `OpenWorkspace` switches the link, the rest go to the open one.
async fn switch(
    projects: Vec<Project>,
    no_start: bool,
    mut requests: UnboundedReceiver<Request>,
    updates: UnboundedSender<Update>,
) {
    let mut open: Option<Served> = None;
    while let Some(request) = requests.recv().await {
        match request {
            Request::OpenWorkspace(name) => {
                let Some(project) = projects.iter().find(|p| p.name == name) else {
                    let _ = updates.send(Update::Opened(Err(format!("no workspace `{name}`"))));
                    continue;
                };
                match connect(project, no_start).await {
                    Ok((launcher, client)) => {
                        // The open one's tasks end before `Opened` is sent: a late answer
                        // of its engine has nowhere to go.
                        drop(open.take());
                        let _ = updates.send(Update::Opened(Ok(name)));
                        open = Some(Served::new(&launcher, client, updates.clone()));
                    }
                    Err(failure) => {
                        let text = format!("cannot open {name}: {:#}", failure.error);
                        let _ = updates.send(Update::Opened(Err(text)));
                    }
                }
            }
            Request::Batches(parts) => {
                let targets: Vec<Target> = projects.iter().map(Target::new).collect();
                tokio::spawn(send_batches(targets, parts, updates.clone()));
            }
            request => match &open {
                Some(served) => {
                    let _ = served.requests.send(request);
                }
                None => {
                    let error = CommandError::new("no workspace is open: press enter on one");
                    let _ = updates.send(Update::CommandDone(Err(error)));
                }
            },
        }
    }
}

/// Each workspace's part of a marked batch to its own engine, one after the other in the
/// overview's order; each answer (or why it could not be sent) becomes a `CommandDone`.
async fn send_batches(
    targets: Vec<Target>,
    parts: Vec<(String, Command)>,
    updates: UnboundedSender<Update>,
) {
    for (workspace, command) in parts {
        let result = match targets.iter().find(|t| t.project.name == workspace) {
            Some(target) => target.command(&command).await,
            None => Err(format!("no workspace `{workspace}`")),
        };
        let result = result.map_err(|e| CommandError::new(format!("{workspace}: {e}")));
        if updates.send(Update::CommandDone(result)).is_err() {
            return;
        }
    }
}

/// The workspace's engine, started when it is not running (as `uc` in its directory
/// would), and its services when its tmux server was not up yet.
async fn connect(project: &Project, no_start: bool) -> Result<(Launcher, Client), Failure> {
    let source = project.source();
    let (_, paths) = super::load(&source)?;
    let launcher = super::launcher(source, paths)?;
    let fresh = !launcher
        .tmux()
        .has_session(&launcher.paths.tmux_session)
        .await;
    let client = launcher.connect().await?;
    if fresh && !no_start {
        let all = Command::Start {
            services: Vec::new(),
            tags: Vec::new(),
        };
        client
            .command(&all)
            .await?
            .map_err(|e| Failure::input(anyhow!("{e}")))?;
    }
    Ok((launcher, client))
}

/// The tasks bridging the link to one workspace's engine; dropping it ends them.
struct Served {
    requests: UnboundedSender<Request>,
    tasks: [JoinHandle<()>; 3],
}

impl Served {
    fn new(launcher: &Launcher, client: Client, updates: UnboundedSender<Update>) -> Self {
        let (ws_updates, mut from_workspace) = mpsc::unbounded_channel();
        let (requests, to_workspace) = mpsc::unbounded_channel();
        let shower = Shower {
            place: Place::detect(&launcher.paths.tmux_socket),
            tmux: launcher.tmux(),
            session: launcher.paths.tmux_session.clone(),
            client: client.clone(),
        };
        let forward = tokio::spawn(async move {
            while let Some(update) = from_workspace.recv().await {
                if updates.send(update).is_err() {
                    return;
                }
            }
        });
        let events = tokio::spawn(pump_events(client.clone(), ws_updates.clone()));
        let audit = super::ui_audit::Files::of(&launcher.paths);
        let serving = tokio::spawn(serve_requests(
            client,
            shower,
            audit,
            to_workspace,
            ws_updates,
        ));
        Self {
            requests,
            tasks: [forward, events, serving],
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
