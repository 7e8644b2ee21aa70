//! What frontends see of the configuration center: the environments, the applied revision,
//! an edit waiting to be applied or the problems of an edit that cannot be, and the plan of
//! a switch (which services it adds, removes, changes and restarts).

use serde::{Deserialize, Serialize};

/// Part of the snapshot; replaced whole by [`crate::protocol::Event::Config`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfigStatus {
    /// In the order the workspace declares them; empty when it declares none.
    #[serde(default)]
    pub environments: Vec<EnvironmentInfo>,
    /// The applied revision (see `GET /api/v1/config/history`).
    #[serde(default)]
    pub revision: Option<u64>,
    /// Content hash of the applied effective config.
    #[serde(default)]
    pub hash: Option<String>,
    /// A valid edit of the files, detected while running, not applied yet.
    #[serde(default)]
    pub pending: Option<ConfigPlan>,
    /// Problems of an edit that does not load (`file:line:col: message`); the running
    /// config is untouched. Empty once the files load again.
    #[serde(default)]
    pub errors: Vec<String>,
}

impl ConfigStatus {
    pub fn environment(&self, name: &str) -> Option<&EnvironmentInfo> {
        self.environments.iter().find(|e| e.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentInfo {
    pub name: String,
    /// A theme name or a colour for the TUI's frame (`red` for prod).
    #[serde(default)]
    pub theme: Option<String>,
    /// Switching to it needs its name typed, not just a yes.
    #[serde(default)]
    pub confirm: bool,
}

/// What applying a config would do, computed against the running one. Answer of
/// `GET /api/v1/config/plan`, and the body of a pending edit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfigPlan {
    /// Environment of the config to apply.
    #[serde(default)]
    pub environment: Option<String>,
    /// Environment running now.
    #[serde(default)]
    pub from: Option<String>,
    /// Content hash of the config to apply; `apply_config` names it so an edit made after
    /// the user looked is not applied blindly.
    pub hash: String,
    /// Services whose effective definition differs, by name.
    pub changes: Vec<ServiceChange>,
    /// Unified diff of the effective YAML (secrets as `${secret:name}`), running → new.
    pub diff: String,
    /// The target environment asks for its name to be typed.
    #[serde(default)]
    pub confirm: bool,
}

impl ConfigPlan {
    /// Nothing differs: applying would only record a revision.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.diff.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChange {
    pub service: String,
    pub kind: ChangeKind,
    /// What differs: `command`, `cwd`, `env.LOG_LEVEL`, `readiness`, `depends_on`…
    #[serde(default)]
    pub fields: Vec<String>,
    /// Applying restarts it (it runs now and its definition changed), starts it (added
    /// while the workspace is up) or stops it (removed while running).
    #[serde(default)]
    pub acts: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Changed => "changed",
        }
    }
}

/// One applied effective config (`GET /api/v1/config/history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub id: u64,
    /// Unix time in milliseconds.
    pub at: u64,
    #[serde(default)]
    pub environment: Option<String>,
    /// Who applied it: the user name sent with the command, or `engine` at start.
    pub author: String,
    /// Why: `start`, `switch`, `reload`, `revert REV`.
    pub reason: String,
    pub hash: String,
}

/// A revision with its effective YAML (`GET /api/v1/config/revisions/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionText {
    #[serde(flatten)]
    pub revision: Revision,
    pub text: String,
}

/// `GET /api/v1/config/render`: an environment's effective config, secrets as
/// `${secret:name}` references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRender {
    #[serde(default)]
    pub environment: Option<String>,
    pub text: String,
}

/// `GET /api/v1/config/diff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigDiff {
    pub from: u64,
    pub to: u64,
    pub diff: String,
}
