//! What `uc up`, `uc down` and `uc restart` share for batches: `--workspace NAME` (another
//! workspace's running engine, found in the state dir), selectors (names, globs like
//! `'api-*'`, tags as `@backend`) resolved against the engine's services, and `--dry-run`,
//! which prints `supervisor::batch`'s plan and changes nothing.

use std::process::ExitCode;

use anyhow::anyhow;

use super::output::outln;
use super::{CliResult, Failure, launcher, paths};
use crate::client::{Client, Launcher};
use crate::config::Source;
use crate::paths::Paths;
use crate::protocol::links::{stopping, stranded};
use crate::protocol::{Command, CommandError, ServiceStatus};
use crate::supervisor::Tmux;
use crate::supervisor::batch::{Batch, Plan, Verb};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct BatchArgs {
    /// Act on this workspace's engine (by name) instead of the current directory's; it
    /// must be running
    #[arg(long, short = 'w', value_name = "NAME")]
    pub workspace: Option<String>,
    /// Print the plan (what starts, stops or restarts, in which order) and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: the plan as JSON (`{"workspace", "plan": {"verb", "selected",
    /// "steps", "unchanged"}}`)
    #[arg(long, requires = "dry_run")]
    pub json: bool,
}

impl BatchArgs {
    /// `verb` on `targets`, for the workspace `--workspace` names.
    pub fn batch(&self, verb: Verb, targets: Vec<String>) -> Batch {
        Batch {
            workspace: self.workspace.clone(),
            verb,
            targets,
        }
    }
}

/// What `--dry-run --json` prints.
#[derive(serde::Serialize)]
struct Planned<'a> {
    workspace: &'a str,
    plan: &'a Plan,
}

/// The engine a command acts on: the current workspace's, started if need be, or another
/// workspace's, which must be running (its config is not at hand to start it).
pub enum Engine {
    Own(Launcher),
    Other(Paths),
}

impl Engine {
    pub fn of(source: Source, batch: &Batch) -> Result<Self, Failure> {
        match &batch.workspace {
            Some(name) if source.workspace_name().as_ref() != Some(name) => {
                let paths = Paths::for_workspace(name).map_err(Failure::runtime)?;
                Ok(Self::Other(paths))
            }
            _ => {
                let paths = paths(&source)?;
                Ok(Self::Own(launcher(source, paths)?))
            }
        }
    }

    pub fn paths(&self) -> &Paths {
        match self {
            Self::Own(launcher) => &launcher.paths,
            Self::Other(paths) => paths,
        }
    }

    pub fn tmux(&self) -> Tmux {
        let paths = self.paths();
        Tmux::new(paths.tmux_socket.clone()).with_config(paths.tmux_conf())
    }

    /// A client of the engine; the current workspace's is started when none answers.
    pub async fn connect(&self) -> Result<Client, Failure> {
        match self {
            Self::Own(launcher) => Ok(launcher.connect().await?),
            Self::Other(paths) => {
                let client = Client::new(paths.socket());
                match client.snapshot().await {
                    Ok(_) => Ok(client),
                    Err(_) => Err(Failure::not_running(&paths.tmux_session)),
                }
            }
        }
    }
}

/// Positional selectors plus `--tag T` as `@T`.
pub fn targets(names: &[String], tags: &[String]) -> Vec<String> {
    let tags = tags.iter().map(|t| format!("@{t}"));
    names.iter().cloned().chain(tags).collect()
}

/// The command running `batch` against the engine's services now. Warns on stderr about
/// services that stop although not named.
pub async fn command(client: &Client, batch: &Batch) -> Result<Command, Failure> {
    let services = client.snapshot().await?.services;
    let plan = batch.plan(&services).map_err(refused)?;
    let dependents = plan.dependents();
    if !dependents.is_empty() {
        eprintln!("warning: {}", not_named(&dependents));
    }
    Ok(plan.command())
}

/// A selector that selects nothing, worded for a command line (no JSON field).
fn refused(e: CommandError) -> Failure {
    let hint = e.hint.map(|h| format!(" ({h})")).unwrap_or_default();
    Failure::input(anyhow!("{}{hint}", e.message))
}

fn not_named(dependents: &[String]) -> String {
    match dependents {
        [one] => format!("{one} is not named but depends on a service that stops: it stops too"),
        many => format!(
            "{} are not named but depend on services that stop: they stop too",
            many.join(", ")
        ),
    }
}

/// `--dry-run`: print what `batch` would do, from the engine's states now (or,
/// for the current workspace while no engine runs, from its config with every service
/// stopped). Starts nothing and sends no command. `down` with no names also stops the
/// engine and the workspace's tmux server, which `whole` says.
pub async fn dry_run(source: Source, batch: &Batch, whole: bool, json: bool) -> CliResult {
    let engine = Engine::of(source, batch)?;
    let (workspace, services, note) = match Client::new(engine.paths().socket()).snapshot().await {
        Ok(snapshot) => (snapshot.workspace, snapshot.services, None),
        Err(_) => match &engine {
            Engine::Own(launcher) => {
                let ws = launcher.source.load().map_err(Failure::input)?;
                let note =
                    "the engine is not running: planned from the config, every service stopped";
                (ws.name.clone(), from_config(&ws), Some(note))
            }
            Engine::Other(paths) => return Err(Failure::not_running(&paths.tmux_session)),
        },
    };
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    let plan = batch.plan(&services).map_err(refused)?;
    if json {
        let planned = Planned {
            workspace: &workspace,
            plan: &plan,
        };
        outln!("{}", serde_json::to_string_pretty(&planned)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Services of other workspaces that lose a dependency.
    let elsewhere: Vec<String> = match plan.verb {
        Verb::Stop => stranded(&services, &stopping(&services, &plan.selected))
            .iter()
            .map(ToString::to_string)
            .collect(),
        Verb::Start | Verb::Restart => Vec::new(),
    };
    // A workspace that is down has no engine or tmux server to stop.
    print(&plan, &workspace, whole && note.is_none(), &elsewhere)?;
    Ok(ExitCode::SUCCESS)
}

fn print(plan: &Plan, workspace: &str, whole: bool, elsewhere: &[String]) -> Result<(), Failure> {
    let verb = plan.verb.as_str();
    match plan.steps.len() {
        0 => outln!("dry run: nothing to {verb} in workspace {workspace}")?,
        n => outln!("dry run: {verb} {n} service(s) in workspace {workspace}, in this order:")?,
    }
    for (i, line) in plan.lines().iter().enumerate() {
        outln!("  {}. {line}", i + 1)?;
    }
    if !plan.unchanged.is_empty() {
        let already = match plan.verb {
            Verb::Start => "already running",
            Verb::Stop | Verb::Restart => "already stopped",
        };
        outln!("{already}: {}", plan.unchanged.join(", "))?;
    }
    if whole {
        outln!("then the engine and the workspace's tmux server stop")?;
    }
    let dependents = plan.dependents();
    if !dependents.is_empty() {
        outln!("warning: {}", not_named(&dependents))?;
    }
    for s in elsewhere {
        outln!("warning: {s}")?;
    }
    outln!("nothing was changed")?;
    Ok(())
}

/// The services of a workspace that is down, as the engine would list them: all stopped.
fn from_config(ws: &crate::config::Workspace) -> Vec<ServiceStatus> {
    (ws.services.iter())
        .map(|s| ServiceStatus {
            depends_on: s.depends_on.iter().map(|d| d.service.clone()).collect(),
            tags: s.tags.clone(),
            ..ServiceStatus::new(&s.name)
        })
        .collect()
}
