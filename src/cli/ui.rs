//! `uc` (no subcommand) and `uc tui`: the TUI, and the glue between its [`EngineLink`] and
//! the engine (HTTP over the Unix socket) and tmux (showing a service's window).
//!
//! Outside tmux, `uc` opens the workspace's session on the private server with the TUI in
//! window 0 and attaches to it: `Enter` selects a service's window, `prefix 0` returns.
//! Inside the user's own tmux, the TUI runs in the current pane and `Enter` opens the
//! service's window in a popup holding a nested client of the private server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use tokio::sync::mpsc;

use super::output::outln;
use super::{Cli, CliResult, Failure, launcher, load};
use crate::client::{Client, Launcher, passed_env};
use crate::config::Source;
use crate::config::Workspace;
use crate::metrics::HistoryQuery;
use crate::protocol::{Command, CommandError, Event};
use crate::supervisor::tmux::{Spawn, Tmux, shell_quote};
use crate::tui::graphs::TimeWindow;
use crate::tui::{self, EngineLink, Request, UiOptions, Update};

/// Where this `uc` runs, which decides how a service's window is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Not in tmux.
    Outside,
    /// In window 0 of the workspace's own tmux server.
    OwnServer,
    /// In a pane of the user's tmux.
    UserTmux,
}

impl Place {
    pub(super) fn detect(tmux_socket: &str) -> Self {
        let Some(var) = std::env::var("TMUX").ok().filter(|v| !v.is_empty()) else {
            return Self::Outside;
        };
        let socket = var.split(',').next().unwrap_or_default();
        if Path::new(socket)
            .file_name()
            .is_some_and(|n| n == tmux_socket)
        {
            Self::OwnServer
        } else {
            Self::UserTmux
        }
    }
}

pub async fn main(cli: &Cli, source: Source) -> CliResult {
    crate::client::set_via("tui");
    if source == Source::Demo && !cli.demo {
        let projects = super::project_cmd::load()?;
        if !projects.is_empty() {
            return super::ui_overview::main(cli, &projects).await;
        }
    }
    super::setup::ensure_tools(source == Source::Demo)?;
    let (ws, paths) = load(&source)?;
    let options = ui_options(cli, &ws)?;
    let _guard = super::init_tracing(&paths, "tui");
    let launcher = launcher(source, paths)?;
    // A workspace that is not up yet comes up with its services, like `process-compose up`:
    // the dashboard is live at once. One that is up is shown as it is.
    let fresh = !launcher
        .tmux()
        .has_session(&launcher.paths.tmux_session)
        .await;
    let client = launcher.connect().await?;
    // Someone else's workspace, or a look without touching: no services started, and the
    // TUI runs here rather than in the workspace's tmux server (another user's, or one
    // whose TUI window may act).
    if launcher.paths.shared.is_some() || cli.read_only {
        let place = Place::detect(&launcher.paths.tmux_socket);
        return in_place(&launcher, options, place).await;
    }
    if fresh && !cli.no_start {
        let all = Command::Start {
            services: Vec::new(),
            tags: Vec::new(),
        };
        client.command(&all).await?.map_err(Failure::input)?;
    }
    match Place::detect(&launcher.paths.tmux_socket) {
        Place::Outside => attach(cli, &launcher).await,
        place => in_place(&launcher, options, place).await,
    }
}

/// `uc tui`: the TUI in this terminal, wherever it is.
pub async fn in_terminal(cli: &Cli, source: Source) -> CliResult {
    crate::client::set_via("tui");
    let (ws, paths) = load(&source)?;
    let options = ui_options(cli, &ws)?;
    let _guard = super::init_tracing(&paths, "tui");
    let launcher = launcher(source, paths)?;
    let place = Place::detect(&launcher.paths.tmux_socket);
    in_place(&launcher, options, place).await
}

/// Theme and keymap: the workspace's `themes/` and `configs/keymap.yaml` first, then the
/// user's `~/.config/uc/`. A broken file is bad input, reported before anything starts.
/// Acknowledgements and silences are made by `$USER` (`uc` when unset).
fn ui_options(cli: &Cli, ws: &Workspace) -> Result<UiOptions, Failure> {
    ui_options_in(cli, Some(&ws.dir), ws.theme.clone())
}

/// [`ui_options`] for the workspace in `dir` (`None`: the user's files alone, as the
/// overview has no workspace of its own) with the theme it names.
pub(super) fn ui_options_in(
    cli: &Cli,
    dir: Option<&Path>,
    ws_theme: Option<String>,
) -> Result<UiOptions, Failure> {
    let user_dir = crate::config::projects::user_config_dir();
    let first_existing =
        |candidates: [Option<PathBuf>; 2]| candidates.into_iter().flatten().find(|p| p.exists());
    let themes = first_existing([
        dir.map(|d| d.join("themes")),
        user_dir.as_ref().map(|d| d.join("themes")),
    ]);
    let keymap = first_existing([
        dir.map(|d| d.join("configs/keymap.yaml")),
        user_dir.as_ref().map(|d| d.join("keymap.yaml")),
    ]);
    let theme = cli
        .theme
        .clone()
        .or(ws_theme)
        .unwrap_or_else(|| "default".into());
    let options =
        UiOptions::load(&theme, themes.as_deref(), keymap.as_deref()).map_err(Failure::input)?;
    Ok(options.with_user(super::user()))
}

/// Outside tmux: make sure window 0 of the workspace's session runs the TUI, then attach.
async fn attach(cli: &Cli, launcher: &Launcher) -> CliResult {
    launcher.connect().await?;
    let tmux = launcher.tmux();
    let window = ui_window(cli, launcher, &tmux).await?;
    tmux.select_window(&window).await?;
    let status = tokio::process::Command::new("tmux")
        .args(["-L", &launcher.paths.tmux_socket, "attach-session", "-t"])
        .arg(format!("={}", launcher.paths.tmux_session))
        .status()
        .await
        .map_err(|e| Failure::runtime(anyhow!("cannot run tmux attach: {e}")))?;
    let session = &launcher.paths.tmux_session;
    // `:down` in the TUI ends the server under the client, which then exits non-zero.
    if !tmux.has_session(session).await {
        outln!("uc: workspace `{session}` is down.")?;
    } else if status.success() {
        outln!(
            "uc: left workspace `{session}`; its services keep running (`uc status`, `uc down`)."
        )?;
    } else {
        return Err(Failure::runtime(anyhow!("tmux attach failed ({status})")));
    }
    Ok(ExitCode::SUCCESS)
}

/// The TUI's window (`ui`, index 0): reused when alive, created otherwise.
async fn ui_window(cli: &Cli, launcher: &Launcher, tmux: &Tmux) -> Result<String, Failure> {
    let session = &launcher.paths.tmux_session;
    let panes = tmux.list_panes(session).await?;
    if let Some(ui) = panes
        .iter()
        .find(|p| p.window_name == "ui" && p.service.is_none())
    {
        if !ui.dead {
            return Ok(ui.window_id.clone());
        }
        tmux.kill_window(&ui.window_id).await?;
    }
    let mut argv = vec![launcher.exe.to_string_lossy().into_owned()];
    argv.extend(launcher.source.args());
    argv.push("tui".into());
    if let Some(theme) = &cli.theme {
        argv.extend(["--theme".into(), theme.clone()]);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let spawn = Spawn {
        argv,
        cwd: &cwd,
        env: passed_env(),
    };
    let pane = tmux.new_window(session, "ui", &spawn, true).await?;
    // Quitting the TUI closes its window rather than leaving a dead pane behind.
    tmux.set_window_option(&pane.window_id, "remain-on-exit", "off")
        .await?;
    Ok(pane.window_id)
}

/// The TUI in the current terminal, bridged to the engine.
async fn in_place(launcher: &Launcher, mut options: UiOptions, place: Place) -> CliResult {
    let client = launcher.connect().await?;
    options.role = match client.role().await {
        _ if crate::client::read_only() => crate::protocol::Role::Viewer,
        Ok(Some(role)) => role,
        Ok(None) | Err(_) => crate::protocol::Role::Admin,
    };
    let (link, updates, requests) = EngineLink::pair();
    let shower = Shower {
        place,
        tmux: launcher.tmux(),
        session: launcher.paths.tmux_session.clone(),
        client: client.clone(),
    };
    let events = tokio::spawn(pump_events(client.clone(), updates.clone()));
    let audit = super::ui_audit::Files::of(&launcher.paths);
    let serving = tokio::spawn(serve_requests(client, shower, audit, requests, updates));
    let result = tui::run(link, options).await;
    events.abort();
    serving.abort();
    result.map_err(Failure::runtime)?;
    if place == Place::OwnServer {
        detach_own_client(&launcher.tmux()).await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Engine events into the TUI; on a lost connection, say so once and retry every second.
pub(super) async fn pump_events(client: Client, updates: mpsc::UnboundedSender<Update>) {
    let mut connected = true;
    loop {
        let error = match client.events().await {
            Ok(mut stream) => {
                connected = true;
                prefill_graphs(&client, &updates);
                super::ui_heal::prefill(&client, &updates);
                loop {
                    match stream.next().await {
                        Some(Ok(event)) => {
                            let last = event == Event::Shutdown;
                            if updates.send(Update::Event(event)).is_err() {
                                return;
                            }
                            if last {
                                break "the engine stopped".to_string();
                            }
                        }
                        Some(Err(e)) => break e.to_string(),
                        None => break "the engine closed the connection".to_string(),
                    }
                }
            }
            Err(e) => e.to_string(),
        };
        if connected && updates.send(Update::Disconnected(error)).is_err() {
            return;
        }
        connected = false;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The longest window drawn from memory, for every series, so graphs are full the moment the
/// TUI opens.
fn prefill_graphs(client: &Client, updates: &mpsc::UnboundedSender<Update>) {
    let (client, updates) = (client.clone(), updates.clone());
    tokio::spawn(async move {
        let query = HistoryQuery {
            series: Vec::new(),
            since: TimeWindow::M5.secs(),
            step: Some(1),
        };
        let result = client.history(&query).await.map_err(|e| e.to_string());
        let _ = updates.send(Update::History(result));
    });
}

pub(super) async fn serve_requests(
    client: Client,
    shower: Shower,
    audit: super::ui_audit::Files,
    mut requests: mpsc::UnboundedReceiver<Request>,
    updates: mpsc::UnboundedSender<Update>,
) {
    let mut feed = super::ui_logs::LogFeed::default();
    while let Some(request) = requests.recv().await {
        let updates = updates.clone();
        let (client, request) = super::ui_assistant::assisted(&client, request);
        match request {
            Request::Engine(command) => {
                let client = client.clone();
                tokio::spawn(async move {
                    let result = match client.command(&command).await {
                        Ok(result) => result,
                        Err(e) => Err(CommandError::new(e.to_string())),
                    };
                    let _ = updates.send(Update::CommandDone(result));
                });
            }
            Request::ShowService(name) => {
                if let Err(e) = shower.show(&name).await {
                    let _ = updates.send(Update::ShowFailed(e));
                }
            }
            Request::History(query) => {
                let client = client.clone();
                tokio::spawn(async move {
                    let result = client.history(&query).await.map_err(|e| e.to_string());
                    let _ = updates.send(Update::History(result));
                });
            }
            Request::Logs(query) => feed.follow(&client, query, updates),
            Request::Patterns => super::ui_logs::patterns(&client, updates),
            Request::Playbooks => super::ui_heal::playbooks(&client, updates),
            Request::RunPlaybook { name, mode } => {
                super::ui_heal::run(&client, name, mode, updates);
            }
            Request::Config(request) => super::ui_config::serve_config(&client, request, updates),
            Request::Deploy { service, ask } => {
                super::ui_deploy::ask(&client, service, ask, updates);
            }
            Request::DeployHistory => super::ui_deploy::history(&client, updates),
            Request::OpenWorkspace(_) => {
                let text = "no projects file: uc runs on one workspace".to_string();
                let _ = updates.send(Update::Opened(Err(text)));
            }
            Request::Audit => super::ui_audit::read(&client, &audit, updates),
            Request::Doctor => super::ui_assistant::doctor(&client, updates),
            // Unwrapped above.
            Request::Assisted(_) => {}
            // Only the overview marks in several workspaces.
            Request::Batches(_) => {
                let error = CommandError::new("no projects file: uc runs on one workspace");
                let _ = updates.send(Update::CommandDone(Err(error)));
            }
        }
    }
}

/// Brings a service's tmux window to the user.
pub(super) struct Shower {
    pub(super) place: Place,
    pub(super) tmux: Tmux,
    pub(super) session: String,
    pub(super) client: Client,
}

impl Shower {
    async fn show(&self, name: &str) -> Result<(), String> {
        let snapshot = self.client.snapshot().await.map_err(|e| e.to_string())?;
        let window = snapshot
            .service(name)
            .and_then(|s| s.window.clone())
            .ok_or_else(|| format!("{name} has no window yet; start it first"))?;
        match self.place {
            Place::OwnServer => self
                .tmux
                .select_window(&window)
                .await
                .map_err(|e| e.to_string()),
            Place::UserTmux => self.popup(name, &window).await,
            Place::Outside => Err(format!(
                "not inside tmux: run `tmux -L {} attach -t {}` to see {name}",
                self.tmux.socket, self.session
            )),
        }
    }

    /// A popup in the user's tmux holding a nested client of the private server; detaching
    /// (`prefix d`) closes it. Without a client to draw a popup on (or with a tmux older than
    /// 3.3), a new window of the user's session holds the nested client instead.
    async fn popup(&self, name: &str, window: &str) -> Result<(), String> {
        let nested = format!(
            "env -u TMUX tmux -L {} select-window -t {} \\; attach-session -t {}",
            shell_quote(&self.tmux.socket),
            shell_quote(window),
            shell_quote(&format!("={}", self.session)),
        );
        let title = format!(" {name} — prefix d to return ");
        let popup = [
            "display-popup",
            "-E",
            "-w",
            "90%",
            "-h",
            "90%",
            "-T",
            &title,
        ];
        match run_user_tmux(&popup, &nested).await {
            Ok(()) => Ok(()),
            Err(_) => run_user_tmux(&["new-window", "-n", &format!("uc:{name}")], &nested).await,
        }
    }
}

/// Run a command of the user's own tmux (the one `$TMUX` points to) ending in a shell
/// command. A popup lives as long as the nested client, so only a quick failure is an error.
async fn run_user_tmux(args: &[&str], shell_command: &str) -> Result<(), String> {
    let child = tokio::process::Command::new("tmux")
        .args(args)
        .arg(shell_command)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run tmux: {e}"))?;
    match tokio::time::timeout(Duration::from_millis(500), child.wait_with_output()).await {
        Ok(Ok(out)) if !out.status.success() => Err(format!(
            "tmux {} failed: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(Err(e)) => Err(e.to_string()),
        _ => Ok(()),
    }
}

/// Quitting the TUI in window 0 hands the terminal back: detach the clients looking at it.
async fn detach_own_client(tmux: &Tmux) {
    let Ok(pane) = std::env::var("TMUX_PANE") else {
        return;
    };
    // The engine's control-mode client is attached to the same session; it is no terminal.
    let list = tmux_interface::ListClients::new()
        .format("#{client_name}\t#{pane_id}\t#{client_control_mode}")
        .build();
    let Ok(out) = tmux.run(list).await else {
        return;
    };
    for line in out.lines() {
        let mut fields = line.split('\t');
        if let (Some(client), Some(active), Some("0")) =
            (fields.next(), fields.next(), fields.next())
            && active == pane
        {
            let detach = tmux_interface::DetachClient::new()
                .target_client(client)
                .build();
            let _ = tmux.run(detach).await;
        }
    }
}
