//! Clean-up playbooks: declarative steps in `configs/playbooks/<name>.yaml` that free disk
//! space and set things straight, run on demand (`uc heal run NAME [--dry-run]`) or by a
//! rule.
//!
//! ```yaml
//! description: Free disk space taken by old logs
//! roots: [./logs, /var/tmp/myapp]   # the only directories the steps may touch
//! stop_on_error: false              # a failing step does not stop the next ones
//! steps:
//!   - delete: { under: ./logs, match: "**/*.log.*", older_than: 7d }
//!   - truncate: { file: ./logs/api.log, over: 100MiB }
//!   - rotate: { file: ./logs/worker.log, over: 50MiB, keep: 3 }
//!   - run: { command: "psql -c 'VACUUM'", timeout: 30s }
//!   - restart: api
//! ```
//!
//! Safety: a root may not be `/`, the home directory or a parent of it. Every path a step
//! names must lie in a root by its text (checked at load) and with symlinks resolved
//! (checked before the step runs); the directories checked are then held open and acted in,
//! so one swapped for a symlink since is not followed. `delete` removes regular files and
//! symlinks (never their targets, never directories) and does not enter symlinked
//! directories.

mod check;
mod command;
mod files;
mod paths;
mod report;
mod spec;

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use files::FileStep;
pub use report::{ActionKind, Outcome, PlaybookReport, StepAction, StepReport};

use crate::config::Problem;
use crate::config::load::{with_source_lines, yaml_problem};
use crate::protocol::CommandError;

#[derive(Debug, Clone)]
pub struct Playbook {
    /// The file's stem: `cleanup` for `configs/playbooks/cleanup.yaml`.
    pub name: String,
    pub description: Option<String>,
    pub file: PathBuf,
    /// Where relative paths start and `run` commands run.
    pub workspace_dir: PathBuf,
    /// Absolute, `..` resolved by their text.
    pub roots: Vec<PathBuf>,
    pub steps: Vec<Step>,
    pub stop_on_error: bool,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// The step in the user's words: `delete ./logs/**/*.log.* older than 7d`.
    pub label: String,
    pub kind: StepKind,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Files(FileStep),
    /// `sh -c command` in the workspace directory, killed with its process group at
    /// `timeout`.
    Run {
        command: String,
        timeout: Duration,
    },
    Restart {
        service: String,
    },
}

/// How a playbook restarts services: the engine implements it with its supervisor.
pub trait Services: Sync {
    fn exists(&self, service: &str) -> bool;
    /// `Ok` with what happened (`restarted, pid 4242`), `Err` with why not.
    fn restart(&self, service: &str) -> impl Future<Output = Result<String, RestartError>> + Send;
}

/// Why a `restart` step did not restart its service.
#[derive(Debug, thiserror::Error)]
pub enum RestartError {
    #[error("the supervisor is gone")]
    SupervisorGone,
    #[error("the supervisor did not answer")]
    NoAnswer,
    #[error(transparent)]
    Refused(#[from] CommandError),
}

/// Every playbook in `dir` (`*.yaml`, `*.yml`), by name. A missing directory has none.
/// Problems from all files are reported together.
pub fn load_dir(dir: &Path, workspace_dir: &Path) -> Result<Vec<Playbook>, Vec<Problem>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(vec![unreadable(dir, &e)]),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
            yaml && path.is_file()
        })
        .collect();
    files.sort();
    let mut playbooks = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for file in files {
        match load_file(&file, workspace_dir) {
            Ok(playbook) => playbooks.push(playbook),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(playbooks)
    } else {
        Err(problems)
    }
}

pub fn load_file(file: &Path, workspace_dir: &Path) -> Result<Playbook, Vec<Problem>> {
    let text = std::fs::read_to_string(file).map_err(|e| vec![unreadable(file, &e)])?;
    parse(&text, file, workspace_dir)
}

/// Parse and check a playbook's text; `file` names it (its stem) and the source of problems.
pub fn parse(text: &str, file: &Path, workspace_dir: &Path) -> Result<Playbook, Vec<Problem>> {
    let name = file.file_stem().unwrap_or_default().to_string_lossy();
    if !crate::config::values::is_name(&name) {
        let message = format!("invalid playbook name `{name}` (the file's name)");
        let hint = "use only letters, digits, `_` and `-`, e.g. `cleanup-logs.yaml`";
        return Err(vec![Problem::new(file, 0, 0, message, Some(hint.into()))]);
    }
    // `Path::parent` of a bare file name is `""`, which is no place to start from.
    let workspace_dir = if workspace_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        workspace_dir
    };
    let workspace_dir = std::path::absolute(workspace_dir).unwrap_or_else(|_| workspace_dir.into());
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let source = check::Source {
        name: &name,
        file,
        workspace_dir: &workspace_dir,
        home: home.as_deref(),
    };
    // Snippets are drawn by `ConfigError`'s Display, once, for all kinds of problem.
    let options = serde_saphyr::options! { with_snippet: false };
    let problems =
        match serde_saphyr::from_str_with_options::<Option<spec::PlaybookFile>>(text, options) {
            Ok(Some(spec)) => match check::check(spec, &source) {
                Ok(playbook) => return Ok(playbook),
                Err(problems) => problems,
            },
            Ok(None) => {
                let hint = "a playbook has `roots:` and `steps:`".to_owned();
                vec![Problem::new(file, 0, 0, "empty playbook", Some(hint))]
            }
            Err(err) => vec![yaml_problem(&err, file)],
        };
    Err(with_source_lines(problems, text))
}

fn unreadable(path: &Path, e: &io::Error) -> Problem {
    Problem::new(path, 0, 0, format!("cannot read: {e}"), None)
}

/// Run `playbook`, or with `dry_run` only list what it would touch. Each step is planned
/// right before it runs, so it sees what the steps before it did.
pub async fn run(playbook: &Playbook, dry_run: bool, services: &impl Services) -> PlaybookReport {
    let started_at = crate::clock::now_ms();
    let mut steps: Vec<StepReport> = Vec::with_capacity(playbook.steps.len());
    for step in &playbook.steps {
        let stopped = playbook.stop_on_error && steps.iter().any(StepReport::failed);
        let report = if stopped {
            let mut report = StepReport::new(&step.label);
            report.note = Some("not run: an earlier step failed (stop_on_error)".to_owned());
            report
        } else {
            run_step(playbook, step, dry_run, services).await
        };
        steps.push(report);
    }
    PlaybookReport::new(&playbook.name, dry_run, started_at, steps)
}

async fn run_step(
    playbook: &Playbook,
    step: &Step,
    dry_run: bool,
    services: &impl Services,
) -> StepReport {
    let mut report = StepReport::new(&step.label);
    match &step.kind {
        StepKind::Files(files) => {
            let (files, roots, label) = (files.clone(), playbook.roots.clone(), step.label.clone());
            let blocking =
                tokio::task::spawn_blocking(move || files::run(&files, &label, &roots, dry_run));
            match blocking.await {
                Ok(done) => report = done,
                Err(e) => report.error = Some(format!("the step stopped: {e}")),
            }
        }
        StepKind::Run { command, timeout } => {
            let action = command::run(command, *timeout, &playbook.workspace_dir, dry_run).await;
            report.actions.push(action);
        }
        StepKind::Restart { service } => {
            if services.exists(service) {
                report
                    .actions
                    .push(restart(service, dry_run, services).await);
            } else {
                report.error = Some(format!("unknown service `{service}`"));
            }
        }
    }
    report
}

async fn restart(service: &str, dry_run: bool, services: &impl Services) -> StepAction {
    let mut action = StepAction::new(ActionKind::Restart, service);
    if dry_run {
        return action;
    }
    match services.restart(service).await {
        Ok(what) => {
            action.outcome = Outcome::Done;
            action.detail = (!what.is_empty()).then_some(what);
        }
        Err(why) => action.outcome = Outcome::Failed(why.to_string()),
    }
    action
}

#[cfg(test)]
mod tests;
