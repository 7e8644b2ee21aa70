//! `uc project add|remove|list` (the projects file) and `uc ps` (one row per workspace in
//! it, read from each running engine; nothing is started to fill a row).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use clap::Subcommand;

use super::output::{out, outln};
use super::status::columns;
use super::{CliResult, Failure};
use crate::client::{Client, ClientError};
use crate::config::projects::{self, Project};
use crate::paths::Paths;
use crate::protocol::overview::COLUMNS;
use crate::protocol::{Command, Reply, WorkspaceRow, WorkspaceState};

/// How long `uc ps` and the overview wait for one engine's snapshot.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Add a workspace (its univers.yaml, or the directory holding it)
    Add {
        path: PathBuf,
        /// The name `uc ps` and the overview show (default: the workspace's own)
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a workspace from the list (its services are left as they are)
    Remove { name: String },
    /// The workspaces listed, with their files
    List {
        #[arg(long)]
        json: bool,
    },
}

/// The projects file's path, or why there is none.
fn file() -> Result<PathBuf, Failure> {
    projects::projects_file().ok_or_else(|| {
        Failure::input(anyhow!(
            "neither XDG_CONFIG_HOME nor HOME is set: no place for projects.yaml"
        ))
    })
}

/// The workspaces of the projects file; a broken file is bad input naming line and column.
pub fn load() -> Result<Vec<Project>, Failure> {
    projects::load_projects(&file()?).map_err(Failure::input)
}

pub fn run(command: ProjectCmd) -> CliResult {
    let path = file()?;
    let mut list = load()?;
    match command {
        ProjectCmd::Add { path: added, name } => {
            let project = Project::at(&added, name);
            if !project.file.is_file() {
                let shown = project.file.display();
                return Err(Failure::input(anyhow!("no workspace file at {shown}")));
            }
            if let Some(same) = list.iter().find(|p| p.file == project.file) {
                return Err(Failure::input(anyhow!(
                    "{} is listed already, as `{}`",
                    same.file.display(),
                    same.name
                )));
            }
            if let Some(same) = list.iter().find(|p| p.name == project.name) {
                return Err(Failure::input(anyhow!(
                    "a workspace named `{}` is listed already ({}); give this one `--name`",
                    same.name,
                    same.file.display()
                )));
            }
            outln!("added {} ({})", project.name, project.file.display())?;
            list.push(project);
        }
        ProjectCmd::Remove { name } => {
            let before = list.len();
            list.retain(|p| p.name != name);
            if list.len() == before {
                let known: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
                return Err(Failure::input(anyhow!(
                    "no workspace named `{name}` in {} (listed: {})",
                    path.display(),
                    known.join(", ")
                )));
            }
            outln!("removed {name}")?;
        }
        ProjectCmd::List { json } => {
            return list_projects(&list, json);
        }
    }
    save(&path, &list)?;
    Ok(ExitCode::SUCCESS)
}

fn list_projects(list: &[Project], json: bool) -> CliResult {
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|p| serde_json::json!({ "name": p.name, "file": p.file }))
            .collect();
        outln!("{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        let rows: Vec<[String; 2]> = list
            .iter()
            .map(|p| [p.name.clone(), p.file.display().to_string()])
            .collect();
        out!("{}", columns(&["WORKSPACE", "FILE"], &rows))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The file written whole and private, its directory made when missing.
fn save(path: &Path, list: &[Project]) -> Result<(), Failure> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::runtime(anyhow!("cannot create {}: {e}", dir.display())))?;
    }
    crate::paths::write_private(path, projects::render_projects(list).as_bytes())
        .map_err(|e| Failure::runtime(anyhow!("cannot write {}: {e}", path.display())))
}

/// `uc ps`.
pub async fn ps(json: bool) -> CliResult {
    let targets: Vec<Target> = load()?.iter().map(Target::new).collect();
    let rows = ask_all(&targets).await;
    if json {
        outln!("{}", serde_json::to_string_pretty(&rows)?)?;
    } else if rows.is_empty() {
        outln!("no workspaces listed (`uc project add PATH`)")?;
    } else {
        let cells: Vec<[String; 8]> = rows.iter().map(WorkspaceRow::cells).collect();
        out!("{}", columns(&COLUMNS, &cells))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A listed workspace, resolved once to the socket its engine listens on.
#[derive(Debug, Clone)]
pub struct Target {
    pub project: Project,
    socket: Result<PathBuf, String>,
}

impl Target {
    pub fn new(project: &Project) -> Self {
        let socket = if project.file.is_file() {
            project
                .source()
                .workspace_name()
                .ok_or_else(|| "its file names no workspace".to_string())
                .and_then(|ws| Paths::for_workspace(&ws).map_err(|e| e.to_string()))
                .map(|paths| paths.socket())
        } else {
            Err(format!("no workspace file at {}", project.file.display()))
        };
        Self {
            project: project.clone(),
            socket,
        }
    }

    /// The workspace's row, from its engine's snapshot when one answers.
    pub async fn ask(&self) -> WorkspaceRow {
        let name = &self.project.name;
        let file = self.project.file.display().to_string();
        let socket = match &self.socket {
            Ok(socket) => socket,
            Err(reason) => {
                return WorkspaceRow::idle(
                    name,
                    &file,
                    WorkspaceState::Unreachable(reason.clone()),
                );
            }
        };
        if !socket.exists() {
            return WorkspaceRow::idle(name, &file, WorkspaceState::Stopped);
        }
        match tokio::time::timeout(ASK_TIMEOUT, Client::new(socket).snapshot()).await {
            Ok(Ok(snapshot)) => WorkspaceRow::from_snapshot(name, &file, &snapshot),
            // A socket left by an engine that is gone.
            Ok(Err(ClientError::Connect { .. })) => {
                WorkspaceRow::idle(name, &file, WorkspaceState::Stopped)
            }
            Ok(Err(e)) => {
                WorkspaceRow::idle(name, &file, WorkspaceState::Unreachable(e.to_string()))
            }
            Err(_) => {
                let reason = "its engine does not answer".to_string();
                WorkspaceRow::idle(name, &file, WorkspaceState::Unreachable(reason))
            }
        }
    }
}

impl Target {
    /// Send `command` to the workspace's running engine (none is started for it).
    pub async fn command(&self, command: &Command) -> Result<Reply, String> {
        let socket = self.socket.as_ref().map_err(Clone::clone)?;
        match Client::new(socket).command(command).await {
            Ok(answer) => answer.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Every workspace's row, asked at once.
pub async fn ask_all(targets: &[Target]) -> Vec<WorkspaceRow> {
    futures::future::join_all(targets.iter().map(Target::ask)).await
}
