//! Running clean-up playbooks for the API (`uc heal run`) and for rules (`playbook:`):
//! files are read at each run, so an edit needs no reload, and every run (dry or not) is
//! a heal event, kept in the heal history.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::config::ConfigError;
use crate::config::PLAYBOOKS_DIR;
use crate::heal::playbook::{self, PlaybookReport, RestartError, Services};
use crate::heal::{HealEvent, HealKind};
use crate::protocol::CommandRequest;
use crate::protocol::{Command, CommandError, Event, Hub};

/// What `GET /api/v1/heal/playbooks` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybookList {
    pub playbooks: Vec<PlaybookInfo>,
    /// Files that do not load, rendered with file, line and column.
    #[serde(default)]
    pub problems: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "cleanup", "description": "Clear scratch files",
    "file": "/home/ana/shop/configs/playbooks/cleanup.yaml",
    "steps": ["delete ./tmp/**/* older than 7d"]}))]
pub struct PlaybookInfo {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub file: String,
    /// Each step in the user's words.
    pub steps: Vec<String>,
}

/// One playbook's text, as `GET /api/v1/heal/playbooks/{name}` answers it for editing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlaybookSource {
    pub name: String,
    pub file: String,
    pub source: String,
    /// Why it does not load as it is, with file, line and column.
    #[serde(default)]
    pub problems: Option<String>,
}

/// Why a playbook could not be read, saved or removed.
#[derive(Debug)]
pub enum EditRefused {
    /// No playbook by that name (or not a name).
    Missing(CommandError),
    /// The new text does not load: nothing was written.
    Invalid(CommandError),
    Failed(CommandError),
}

/// The engine's playbook runner: the workspace's playbooks directory plus the supervisor
/// for `restart` steps.
#[derive(Clone)]
pub struct Playbooks {
    workspace_dir: PathBuf,
    hub: Hub,
    supervisor: mpsc::Sender<CommandRequest>,
}

impl Playbooks {
    pub fn new(workspace_dir: &Path, hub: Hub, supervisor: mpsc::Sender<CommandRequest>) -> Self {
        Self {
            workspace_dir: workspace_dir.to_path_buf(),
            hub,
            supervisor,
        }
    }

    fn dir(&self) -> PathBuf {
        self.workspace_dir.join(PLAYBOOKS_DIR)
    }

    /// Every playbook that loads; problems of the others. Blocking (reads files).
    pub fn list(&self) -> PlaybookList {
        let mut list = PlaybookList::default();
        let Ok(entries) = std::fs::read_dir(self.dir()) else {
            return list;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        files.sort();
        let mut problems = Vec::new();
        for file in files {
            match playbook::load_file(&file, &self.workspace_dir) {
                Ok(p) => list.playbooks.push(PlaybookInfo {
                    name: p.name,
                    description: p.description,
                    file: file.display().to_string(),
                    steps: p.steps.into_iter().map(|s| s.label).collect(),
                }),
                Err(mut found) => problems.append(&mut found),
            }
        }
        if !problems.is_empty() {
            list.problems = Some(ConfigError::Invalid { problems }.to_string());
        }
        list
    }

    /// Playbook `name`'s text. Blocking (reads a file).
    pub fn source(&self, name: &str) -> Result<PlaybookSource, EditRefused> {
        let file = self.existing(name)?;
        let source = std::fs::read_to_string(&file)
            .map_err(|e| EditRefused::Failed(CommandError::new(format!("cannot read: {e}"))))?;
        let problems = playbook::parse(&source, &file, &self.workspace_dir)
            .err()
            .map(|problems| ConfigError::Invalid { problems }.to_string());
        Ok(PlaybookSource {
            name: name.to_owned(),
            file: file.display().to_string(),
            source,
            problems,
        })
    }

    /// Writes `text` as playbook `name` (replacing its file, or making
    /// `configs/playbooks/NAME.yaml`) once it loads; a text that does not is refused whole.
    /// Whether the playbook is new. Blocking.
    pub fn save(&self, name: &str, text: &str) -> Result<(PlaybookInfo, bool), EditRefused> {
        if !crate::config::values::is_name(name) {
            return Err(EditRefused::Invalid(not_a_name(name)));
        }
        let existing = self.existing(name).ok();
        let created = existing.is_none();
        let file = existing.unwrap_or_else(|| self.dir().join(format!("{name}.yaml")));
        let loaded = playbook::parse(text, &file, &self.workspace_dir).map_err(|problems| {
            let error = CommandError::field("body", ConfigError::Invalid { problems }.to_string());
            EditRefused::Invalid(
                error.with_hint("nothing was written; the playbook stays as it was"),
            )
        })?;
        let failed = |e: std::io::Error| {
            EditRefused::Failed(CommandError::new(format!(
                "cannot write {}: {e}",
                file.display()
            )))
        };
        std::fs::create_dir_all(self.dir()).map_err(failed)?;
        crate::paths::write_private(&file, text.as_bytes()).map_err(failed)?;
        let info = PlaybookInfo {
            name: loaded.name,
            description: loaded.description,
            file: file.display().to_string(),
            steps: loaded.steps.into_iter().map(|s| s.label).collect(),
        };
        Ok((info, created))
    }

    /// Deletes playbook `name`'s file. Blocking.
    pub fn remove(&self, name: &str) -> Result<(), EditRefused> {
        let file = self.existing(name)?;
        std::fs::remove_file(&file).map_err(|e| {
            EditRefused::Failed(CommandError::new(format!(
                "cannot delete {}: {e}",
                file.display()
            )))
        })
    }

    /// The file of playbook `name`, if there is one.
    fn existing(&self, name: &str) -> Result<PathBuf, EditRefused> {
        if !crate::config::values::is_name(name) {
            return Err(EditRefused::Missing(not_a_name(name)));
        }
        ["yaml", "yml"]
            .iter()
            .map(|ext| self.dir().join(format!("{name}.{ext}")))
            .find(|f| f.is_file())
            .ok_or_else(|| {
                let error = CommandError::field("name", format!("no playbook `{name}`"));
                EditRefused::Missing(error.with_hint("`GET /api/v1/heal/playbooks` lists them"))
            })
    }

    /// Run (or with `dry_run` plan) playbook `name`; `trigger` says who asked (`uc heal run`,
    /// `rule DiskAlmostFull`).
    pub async fn run(
        &self,
        name: &str,
        dry_run: bool,
        trigger: &str,
    ) -> Result<PlaybookReport, CommandError> {
        let loaded = {
            let (dir, workspace_dir) = (self.dir(), self.workspace_dir.clone());
            let name = name.to_owned();
            tokio::task::spawn_blocking(move || find(&dir, &workspace_dir, &name))
                .await
                .map_err(|e| CommandError::new(e.to_string()))??
        };
        let services = SupervisorServices {
            hub: self.hub.clone(),
            supervisor: self.supervisor.clone(),
        };
        let report = playbook::run(&loaded, dry_run, &services).await;
        let mut event = HealEvent::new(
            None,
            HealKind::Playbook,
            format!("{} ({trigger})", report.summary()),
        );
        event.detail = Some(report.text());
        self.hub.publish(Event::Heal(event));
        Ok(report)
    }
}

fn not_a_name(name: &str) -> CommandError {
    CommandError::field(
        "name",
        format!("`{}` is not a playbook name", name.escape_debug()),
    )
    .with_hint("letters, digits, `-` and `_`")
}

/// The playbook `name` in `dir`, or a refusal naming the field with the playbooks there.
fn find(dir: &Path, workspace_dir: &Path, name: &str) -> Result<playbook::Playbook, CommandError> {
    let file = ["yaml", "yml"]
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|f| f.is_file());
    let Some(file) = file.filter(|_| crate::config::values::is_name(name)) else {
        let known: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let path = e.path();
                let yaml = path.extension().is_some_and(|x| x == "yaml" || x == "yml");
                yaml.then(|| path.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect();
        let hint = match crate::config::suggest(name, known.iter().map(String::as_str)) {
            Some(best) => format!(" (did you mean `{best}`?)"),
            None if known.is_empty() => format!("; {} has none", dir.display()),
            None => format!("; there are: {}", known.join(", ")),
        };
        return Err(CommandError::field(
            "playbook",
            format!("no playbook `{name}`{hint}"),
        ));
    };
    playbook::load_file(&file, workspace_dir).map_err(|problems| {
        CommandError::field("playbook", ConfigError::Invalid { problems }.to_string())
    })
}

/// `restart` steps go through the supervisor, like `uc restart`.
struct SupervisorServices {
    hub: Hub,
    supervisor: mpsc::Sender<CommandRequest>,
}

impl Services for SupervisorServices {
    fn exists(&self, service: &str) -> bool {
        self.hub.snapshot().service(service).is_some()
    }

    async fn restart(&self, service: &str) -> Result<String, RestartError> {
        let (tx, rx) = oneshot::channel();
        let command = Command::Restart {
            services: vec![service.to_owned()],
        };
        self.supervisor
            .send((command, tx))
            .await
            .map_err(|_| RestartError::SupervisorGone)?;
        match rx.await {
            Ok(Ok(reply)) => Ok(reply.message),
            Ok(Err(refused)) => Err(refused.into()),
            Err(_) => Err(RestartError::NoAnswer),
        }
    }
}
