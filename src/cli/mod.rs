//! Command-line entry point: clap definitions and one module per subcommand.
//!
//! Exit codes: 0 ok, 1 runtime failure, 2 bad input (config errors, unknown names, usage),
//! 3 the workspace is not running (a command that only reads found no engine to ask; only
//! commands that act, `uc`, `uc up`, `uc restart`..., start one).

mod alerts_cmd;
mod ask_cmd;
mod audit_cmd;
mod batch_cmd;
/// Who acks, silences and switches: the name the audit log records for the local user.
pub use crate::store::audit::local_user as user;
mod config_cmd;
mod control;
mod deploy_cmd;
mod deploy_hook;
mod doctor_cmd;
mod env_cmd;
mod export_cmd;
mod heal_cmd;
mod hooks_cmd;
mod import_cmd;
mod links;
mod llm_cmd;
mod logs_cmd;
mod logs_patterns;
mod logs_search;
mod metrics_cmd;
mod output;
mod project_cmd;
mod serve_cmd;
mod setup;
mod status;
mod ui;
mod ui_assistant;
mod ui_audit;
mod ui_config;
mod ui_deploy;
mod ui_heal;
mod ui_logs;
mod ui_overview;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::client::Launcher;
use crate::config::Source;
use crate::paths::Paths;

#[derive(Debug, Parser)]
#[command(
    name = "uc",
    version,
    about = "Univers-Container: a keyboard-driven control center for your services, in tmux",
    long_about = "Runs the TUI on ./univers.yaml (or -f FILE), or on the built-in demo \
                  workspace when there is none. Subcommands drive the same engine from scripts."
)]
pub struct Cli {
    /// Workspace file (default: ./univers.yaml, else the built-in demo); before the
    /// subcommand, as `-f` after `uc logs` means follow
    #[arg(short = 'f', long = "file", env = "UC_CONFIG")]
    pub file: Option<PathBuf>,
    /// Use the built-in demo workspace even if ./univers.yaml exists
    #[arg(long, conflicts_with = "file")]
    pub demo: bool,
    /// Colour theme (default, light, high-contrast, or a file name in themes/)
    #[arg(long, global = true, env = "UC_THEME")]
    pub theme: Option<String>,
    /// Open the TUI without starting the services of a workspace that is not up yet
    #[arg(long)]
    pub no_start: bool,
    /// Show everything and change nothing: the engine holds every request to the viewer
    /// role, the TUI hides the keys that would act
    #[arg(long, global = true, env = "UC_READ_ONLY")]
    pub read_only: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Start services (all when none named) and what they depend on; names, globs
    /// (`'api-*'`) and tags (`@backend`)
    Up {
        names: Vec<String>,
        /// Start the services with this tag (repeatable)
        #[arg(long = "tag", short = 't')]
        tags: Vec<String>,
        /// Return once the engine accepted the command, without waiting for `running`
        #[arg(long)]
        no_wait: bool,
        /// How long to wait for the services to run
        #[arg(long, default_value = "60s", value_parser = duration_arg, allow_hyphen_values = true)]
        timeout: std::time::Duration,
        #[command(flatten)]
        batch: batch_cmd::BatchArgs,
    },
    /// Stop services (and their dependents); with no names stop everything, the engine
    /// and the workspace's tmux server. Names, globs (`'api-*'`) and tags (`@backend`)
    Down {
        names: Vec<String>,
        #[command(flatten)]
        batch: batch_cmd::BatchArgs,
    },
    /// Restart services: names, globs (`'api-*'`) and tags (`@backend`)
    Restart {
        #[arg(required = true)]
        names: Vec<String>,
        #[command(flatten)]
        batch: batch_cmd::BatchArgs,
    },
    /// Ask in words (English or Chinese): "restart api", "why is web slow"
    Ask(ask_cmd::AskArgs),
    /// Diagnose: findings ranked by severity, each with its cause, evidence and what would help
    Doctor {
        /// One service (and what it depends on); the whole workspace when absent
        service: Option<String>,
        /// Machine-readable output (see docs/json.md)
        #[arg(long)]
        json: bool,
        /// Have the configured model (`assistant.llm`) explain the findings in plain words;
        /// they are anonymized before they are sent
        #[arg(long)]
        explain: bool,
    },
    /// Show the state of every service
    Status {
        /// Machine-readable output (see docs/json.md)
        #[arg(long)]
        json: bool,
    },
    /// Host and service metrics: current values and history
    Metrics {
        /// One service (default: the host and every running service)
        service: Option<String>,
        /// How far back the history goes (e.g. 10m, 1h, 24h, 7d)
        #[arg(long, default_value = "10m", value_parser = duration_arg, allow_hyphen_values = true)]
        since: std::time::Duration,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Alerts: list (default), ack, silence, silences, expire, history
    Alerts {
        #[command(subcommand)]
        command: Option<alerts_cmd::AlertsCmd>,
        /// Machine-readable list (see docs/json.md)
        #[arg(long)]
        json: bool,
    },
    /// Logs: search and follow (default), patterns, stats, index
    Logs(logs_cmd::LogsArgs),
    /// Self-healing: run playbooks, list them, history of restarts, give-ups and probe changes
    Heal {
        #[command(subcommand)]
        command: heal_cmd::HealCmd,
    },
    /// Deployments: deploy a service (`uc deploy api`), status, history, rollback
    Deploy(deploy_cmd::DeployArgs),
    /// Webhooks: the outgoing deliveries (`uc hooks deliveries`)
    Hooks {
        #[command(subcommand)]
        command: hooks_cmd::HooksCmd,
    },
    /// Environments: list them (`uc env`), switch (`uc env use staging`)
    Env {
        #[command(subcommand)]
        command: Option<env_cmd::EnvCmd>,
        /// Machine-readable list
        #[arg(long)]
        json: bool,
    },
    /// Check, render or describe the workspace configuration; history, diff, revert and
    /// apply of the configs the engine runs
    Config {
        #[command(subcommand)]
        command: ConfigCmd,
    },
    /// Write the workspace for other tools: docker-compose.yml, Kubernetes manifests
    /// (kustomize), a GitHub Actions workflow that runs `uc deploy`
    Export(export_cmd::ExportArgs),
    /// Write a univers.yaml equivalent to a Procfile or process-compose.yaml
    Import {
        /// Procfile or process-compose.yaml
        from: PathBuf,
        /// Where to write the workspace file
        #[arg(short, long, default_value = "univers.yaml")]
        output: PathBuf,
        /// Workspace name (default: the current directory's name)
        #[arg(long)]
        name: Option<String>,
        /// Overwrite an existing output file
        #[arg(long)]
        force: bool,
    },
    /// Serve every workspace's API over HTTP(S), with bearer tokens
    Serve(serve_cmd::ServeArgs),
    /// API tokens for `uc serve`: create (printed once), list, revoke
    Token {
        #[command(subcommand)]
        command: serve_cmd::TokenCmd,
    },
    /// Who did what, from which frontend, merged by time; `uc audit verify` checks the chain
    Audit(audit_cmd::AuditArgs),
    /// The workspaces `uc ps` and the overview show: add, remove, list (projects.yaml)
    Project {
        #[command(subcommand)]
        command: project_cmd::ProjectCmd,
    },
    /// One row per listed workspace: environment, services running, firing alerts, CPU,
    /// memory, deploys (starts nothing)
    Ps {
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Print shell completions
    Completions { shell: clap_complete::Shell },
    /// Run the TUI in this terminal (what `uc` runs in window 0 of the workspace's tmux)
    #[command(hide = true)]
    Tui,
    /// Run the workspace's engine (started on demand by every other command)
    #[command(hide = true)]
    Engine,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Validate an environment's effective config and report every problem with file:line:col
    Check {
        /// The environment (default: the first declared)
        #[arg(long)]
        env: Option<String>,
    },
    /// Print an environment's effective config: overlay merged, variables interpolated,
    /// secrets shown as `${secret:name}`
    Render {
        /// The environment (default: the first declared)
        #[arg(long)]
        env: Option<String>,
    },
    /// Print the JSON Schema (draft-07) of univers.yaml, for editors
    Schema {
        /// The schema of an environment overlay file instead
        #[arg(long)]
        overlay: bool,
    },
    /// Applied configs, newest first (every start, switch, applied edit and revert)
    History {
        /// How many revisions
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Unified diff from revision FROM to TO (default: the running config)
    Diff { from: u64, to: Option<u64> },
    /// Apply a stored revision again (only services whose definition differs restart)
    Revert {
        revision: u64,
        #[command(flatten)]
        how: ApplyArgs,
    },
    /// Apply the edit of the config files the engine noticed while running
    Apply {
        #[command(flatten)]
        how: ApplyArgs,
    },
}

#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ApplyArgs {
    /// Show what would change without applying
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    yes: bool,
    /// How long to wait for the restarted services to run
    #[arg(long, default_value = "60s", value_parser = duration_arg, allow_hyphen_values = true)]
    timeout: std::time::Duration,
}

/// Every duration flag reads the config's grammar (`1.5`, `90s`, `1h30m`); a leading `-`
/// reaches it too, so `--since -5m` is told what a duration is rather than clap's `-- -5`.
fn duration_arg(text: &str) -> Result<std::time::Duration, String> {
    crate::config::values::duration(text).map_err(|rejected| rejected.to_string())
}

impl ApplyArgs {
    fn how(self) -> env_cmd::Apply {
        env_cmd::Apply {
            dry_run: self.dry_run,
            yes: self.yes,
            timeout: self.timeout,
        }
    }
}

/// An error plus the exit code it deserves.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn runtime(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: 1,
            error: error.into(),
        }
    }

    pub fn input(error: impl Into<anyhow::Error>) -> Self {
        let error = error.into();
        if crate::client::is_denial(&error) {
            return Self::denied(error);
        }
        Self { code: 2, error }
    }

    /// The engine refused for want of a role: its own exit code, so a script tells a
    /// denial from a bad name.
    pub fn denied(error: impl Into<anyhow::Error>) -> Self {
        Self {
            code: 4,
            error: error.into(),
        }
    }

    pub fn not_running(workspace: &str) -> Self {
        Self {
            code: 3,
            error: anyhow::anyhow!("workspace `{workspace}` is not running (`uc up` starts it)"),
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    /// The engine refusing a request (unknown name, bad field) is bad input.
    fn from(error: E) -> Self {
        let error = error.into();
        if crate::client::is_denial(&error) {
            return Self::denied(error);
        }
        let refused = matches!(
            error.downcast_ref::<crate::client::ClientError>(),
            Some(crate::client::ClientError::Refused(_))
        );
        if refused {
            Self::input(error)
        } else {
            Self::runtime(error)
        }
    }
}

pub type CliResult = Result<ExitCode, Failure>;

pub fn main() -> ExitCode {
    crate::paths::private_umask();
    let cli = Cli::parse();
    if cli.read_only {
        crate::client::set_read_only();
    }
    // The engine serves several clients at once; every other command (the TUI included) does
    // little at a time, and one thread costs less memory and fewer wake-ups.
    let mut builder = if matches!(cli.command, Some(Cmd::Engine)) {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("uc: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let engine = matches!(cli.command, Some(Cmd::Engine));
    let outcome = runtime.block_on(dispatch(cli));
    // A client leaves at once: a task still waiting on the engine or tmux must not hold the
    // exit (dropping the runtime would wait for it). The engine lets its stores finish.
    if !engine {
        runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    }
    match outcome {
        Ok(code) => code,
        Err(failure) if output::is_closed(&failure.error) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("uc: {}", render(&failure.error));
            ExitCode::from(failure.code)
        }
    }
}

/// The error and its causes, skipping a cause whose text the message already contains
/// (many errors here quote their source).
fn render(error: &anyhow::Error) -> String {
    let mut out = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

impl Cli {
    pub fn source(&self) -> Source {
        if self.demo {
            Source::Demo
        } else {
            Source::resolve(self.file.clone())
        }
    }
}

/// The workspace, validated, with its runtime paths; a bad config is bad input (exit 2).
pub fn load(source: &Source) -> Result<(crate::config::Workspace, Paths), Failure> {
    let ws = source.load().map_err(Failure::input)?;
    let paths = Paths::for_workspace(&ws.name).map_err(Failure::runtime)?;
    let paths = paths.with_shared(&ws.dir, &ws.name);
    Ok((ws, paths))
}

/// Runtime paths of the workspace. A config with errors still names its workspace: while
/// an engine runs the last good config, the commands that talk to it keep working.
pub fn paths(source: &Source) -> Result<Paths, Failure> {
    let error = match source.load() {
        Ok(ws) => {
            let paths = Paths::for_workspace(&ws.name).map_err(Failure::runtime)?;
            return Ok(paths.with_shared(&ws.dir, &ws.name));
        }
        Err(e) => e,
    };
    let running = match source.workspace_name() {
        Some(name) => Some(Paths::for_workspace(&name).map_err(Failure::runtime)?),
        None => None,
    }
    .filter(|paths| paths.socket().exists());
    let Some(paths) = running else {
        return Err(Failure::input(error));
    };
    eprintln!(
        "warning: the config has errors (`uc config check`); the engine keeps running the last \
         good one"
    );
    Ok(paths)
}

/// A client of the workspace's engine, for commands that only read. A workspace that is
/// down stays down: they say so and start nothing (no engine, no tmux server). One whose
/// services outlived their engine (killed, crashed) is up: its next engine adopts them.
pub async fn running(source: &Source, paths: Paths) -> Result<crate::client::Client, Failure> {
    let client = crate::client::Client::new(paths.socket());
    if client.snapshot().await.is_ok() {
        return Ok(client);
    }
    let launcher = launcher(source.clone(), paths)?;
    if launcher.paths.shared.is_some() {
        return Ok(launcher.connect().await?);
    }
    if !launcher
        .tmux()
        .has_session(&launcher.paths.tmux_session)
        .await
    {
        return Err(Failure::not_running(&launcher.paths.tmux_session));
    }
    Ok(launcher.connect().await?)
}

pub fn launcher(source: Source, paths: Paths) -> Result<Launcher, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::runtime(anyhow::anyhow!("cannot find the uc binary: {e}")))?;
    Ok(Launcher { exe, source, paths })
}

async fn dispatch(cli: Cli) -> CliResult {
    let source = cli.source();
    match cli.command {
        None => ui::main(&cli, source).await,
        Some(Cmd::Tui) => ui::in_terminal(&cli, source).await,
        Some(Cmd::Engine) => engine(source).await,
        Some(Cmd::Up {
            ref names,
            ref tags,
            no_wait,
            timeout,
            ref batch,
        }) => control::up(source, names, tags, no_wait, timeout, batch).await,
        Some(Cmd::Down {
            ref names,
            ref batch,
        }) => control::down(source, names, batch).await,
        Some(Cmd::Restart {
            ref names,
            ref batch,
        }) => control::restart(source, names, batch).await,
        Some(Cmd::Status { json }) => status::run(source, json).await,
        Some(Cmd::Ask(ref args)) => ask_cmd::run(&cli, source, args.clone()).await,
        Some(Cmd::Doctor {
            ref service,
            json,
            explain: true,
        }) => llm_cmd::doctor(source, service.as_deref(), json).await,
        Some(Cmd::Doctor {
            ref service, json, ..
        }) => doctor_cmd::run(source, service.as_deref(), json).await,
        Some(Cmd::Metrics {
            ref service,
            since,
            json,
        }) => metrics_cmd::run(source, service.as_deref(), since, json).await,
        Some(Cmd::Alerts { command, json }) => alerts_cmd::run(source, command, json).await,
        Some(Cmd::Logs(args)) => logs_cmd::run(source, args).await,
        Some(Cmd::Heal { command }) => heal_cmd::run(source, command).await,
        Some(Cmd::Hooks { command }) => hooks_cmd::run(source, command).await,
        Some(Cmd::Deploy(args)) => deploy_cmd::run(source, args).await,
        Some(Cmd::Config {
            command: ConfigCmd::History { limit, json },
        }) => env_cmd::history(source, limit, json).await,
        Some(Cmd::Config {
            command: ConfigCmd::Diff { from, to },
        }) => env_cmd::diff(source, from, to).await,
        Some(Cmd::Config {
            command: ConfigCmd::Revert { revision, how },
        }) => env_cmd::revert(source, revision, how.how()).await,
        Some(Cmd::Config {
            command: ConfigCmd::Apply { how },
        }) => env_cmd::apply_edit(source, how.how()).await,
        Some(Cmd::Env {
            command: None,
            json,
        }) => env_cmd::list(source, json).await,
        Some(Cmd::Env {
            command: Some(command),
            ..
        }) => env_cmd::run(source, command).await,
        Some(Cmd::Config {
            command: ConfigCmd::Check { env },
        }) => config_cmd::check(&source, env.as_deref()),
        Some(Cmd::Config {
            command: ConfigCmd::Render { env },
        }) => config_cmd::render(&source, env.as_deref()),
        Some(Cmd::Config {
            command: ConfigCmd::Schema { overlay },
        }) => config_cmd::schema(overlay),
        Some(Cmd::Export(args)) => export_cmd::run(&source, args),
        Some(Cmd::Import {
            ref from,
            ref output,
            ref name,
            force,
        }) => import_cmd::run(from, output, name.as_deref(), force),
        Some(Cmd::Serve(args)) => serve_cmd::serve(&source, args).await,
        Some(Cmd::Token { command }) => serve_cmd::token(command),
        Some(Cmd::Audit(args)) => audit_cmd::audit(args),
        Some(Cmd::Project { command }) => project_cmd::run(command),
        Some(Cmd::Ps { json }) => project_cmd::ps(json).await,
        Some(Cmd::Completions { shell }) => {
            // Written whole: clap_complete panics when its writer fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "uc", &mut script);
            output::Out::new()
                .write_all(&script)
                .map_err(Failure::runtime)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn engine(source: Source) -> CliResult {
    let (ws, paths) = load(&source)?;
    let _guard = init_tracing(&paths, "engine");
    tracing::info!(workspace = %ws.name, "engine starting");
    crate::engine::run(source).await.map_err(Failure::runtime)?;
    Ok(ExitCode::SUCCESS)
}

/// `uc`'s own log goes to a file in the state dir: stdout belongs to the TUI.
pub fn init_tracing(
    paths: &Paths,
    role: &str,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    paths.prepare().ok()?;
    let file = crate::paths::private_file()
        .create(true)
        .append(true)
        .open(paths.uc_log())
        .ok()?;
    // The default queue preallocates 128,000 lines (4 MB resident in every `uc` process);
    // uc logs a few lines a minute. A full queue drops lines rather than block a worker.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .lossy(true)
        .finish(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("UC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    tracing::debug!(role, pid = std::process::id(), "uc started");
    Some(guard)
}
