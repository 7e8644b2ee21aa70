//! The engine's whole state as frontends see it (`GET /api/v1/snapshot`). Stable JSON: fields are
//! only ever added.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub workspace: String,
    /// Active environment; `None` until environments are configured.
    #[serde(default)]
    pub environment: Option<String>,
    /// Config file the engine runs; `None` for the built-in demo.
    #[serde(default)]
    pub config_file: Option<String>,
    pub engine: EngineInfo,
    pub services: Vec<ServiceStatus>,
    /// The latest metrics sample; `None` until the first one.
    #[serde(default)]
    pub metrics: Option<crate::metrics::sample::Sample>,
    /// Pending, firing and recently resolved alerts, in display order.
    #[serde(default)]
    pub alerts: Vec<crate::alerts::model::Alert>,
    /// Silences that are active or start later.
    #[serde(default)]
    pub silences: Vec<crate::alerts::model::Silence>,
    #[serde(default)]
    pub alerting: crate::alerts::model::AlertingInfo,
    /// Environments, the applied config revision, a pending edit or its problems.
    #[serde(default)]
    pub config: crate::protocol::ConfigStatus,
    /// A full disk writes wait on, state files replaced at start.
    #[serde(default)]
    pub storage: crate::protocol::StorageInfo,
    /// Each deployed service's latest deploy (running or ended).
    #[serde(default)]
    pub deploys: Vec<crate::deploy::model::Deployment>,
    /// Each quota the workspace sets and how much of it is used.
    #[serde(
        default,
        skip_serializing_if = "crate::protocol::QuotaStatus::is_empty"
    )]
    pub quota: crate::protocol::QuotaStatus,
    /// Sequence number of the last event folded into this snapshot.
    pub seq: u64,
}

impl Snapshot {
    pub fn service(&self, name: &str) -> Option<&ServiceStatus> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn service_mut(&mut self, name: &str) -> Option<&mut ServiceStatus> {
        self.services.iter_mut().find(|s| s.name == name)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    pub pid: u32,
    /// Unix time in milliseconds.
    pub started_at: u64,
    pub version: String,
    /// `tmux -L <socket>` of the workspace's private server.
    pub tmux_socket: String,
    /// tmux session holding one window per service.
    pub tmux_session: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// Not running, and not asked to run.
    Stopped,
    /// Asked to run: waiting for dependencies, or its window is being created.
    Starting,
    Running,
    /// Stop signal sent; waiting for every process of the service to go.
    Stopping,
    /// The process ended on its own (see `exit_code` / `signal`).
    Exited,
    /// Could not be started (see `reason`).
    Failed,
    /// Failed again soon after a restart; the next restart waits out a backoff (see
    /// `restart_at`).
    CrashLooping,
    /// The restart policy's `max: N within T` was used up: no more restarts until the user
    /// starts the service.
    GaveUp,
}

impl ServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Stopping => "stopping",
            Self::Exited => "exited",
            Self::Failed => "failed",
            Self::CrashLooping => "crash-looping",
            Self::GaveUp => "gave up",
        }
    }

    /// The service has live processes (or is about to).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Starting | Self::Running | Self::Stopping)
    }
}

/// A service of another workspace that depends on this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dependent {
    /// `workspace/service`.
    pub service: String,
    /// It is starting, running or stopping: stopping this one pulls its dependency away.
    pub active: bool,
}

/// The latest word of one probe of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProbeStatus {
    pub kind: ProbeKind,
    /// What it checks, for people: `http://127.0.0.1:8080/health`, `tcp 127.0.0.1:5432`.
    pub target: String,
    pub state: Health,
    /// Whether the last run passed; `None` before the first run.
    #[serde(default)]
    pub last_ok: Option<bool>,
    /// How long the last run took, in microseconds.
    #[serde(default)]
    pub latency_us: Option<u64>,
    /// When the last run ended, Unix ms.
    #[serde(default)]
    pub checked_at: Option<u64>,
    /// Why the last run failed (exit code and output, refused connection, HTTP status).
    #[serde(default)]
    pub output: Option<String>,
    /// Consecutive failures (0 after a pass).
    #[serde(default)]
    pub failures: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    /// Decides `health` and `depends_on: healthy`.
    Readiness,
    /// Failing it restarts the service.
    Liveness,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Readiness => "readiness",
            Self::Liveness => "liveness",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Has a health check that has not passed yet.
    Unknown,
    Healthy,
    Unhealthy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceStatus {
    pub name: String,
    pub state: ServiceState,
    /// PID of the service's main process (the tmux pane's process).
    #[serde(default)]
    pub pid: Option<u32>,
    /// When the current (or last) run started, Unix time in milliseconds.
    #[serde(default)]
    pub started_at: Option<u64>,
    /// Exit code of the last run, when it exited normally.
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Signal that ended the last run (e.g. `SIGKILL`).
    #[serde(default)]
    pub signal: Option<String>,
    /// Restarts after the service ended or failed on its own (an exit, a signal, a failed
    /// liveness probe, `max_memory`): what crash-loop alerts and `restarts_in` count.
    pub restarts: u32,
    /// Starts after the first that someone asked for: `uc up` / `uc restart`, the TUI, an
    /// environment switch or applied config, a watched file, `cron_restart`.
    #[serde(default)]
    pub user_restarts: u32,
    /// The readiness probe's verdict; `None` when the service has none.
    #[serde(default)]
    pub health: Option<Health>,
    /// Every probe of the service (readiness, liveness) with its last result.
    #[serde(default)]
    pub probes: Vec<ProbeStatus>,
    /// When a restart waiting out its backoff is due, Unix ms (`crash_looping`).
    #[serde(default)]
    pub restart_at: Option<u64>,
    /// Why it is in this state, for humans ("waiting for db (healthy)").
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Ports it declares (`ports:`, a literal `env.PORT`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<u16>,
    /// Services it waits for: `db`, or `operation/db` in another workspace.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Services of other workspaces whose `depends_on` names this one, as their running
    /// engines report them (`hvac/api`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needed_by: Vec<Dependent>,
    /// tmux target of the service's window (`@3`), when it has one.
    #[serde(default)]
    pub window: Option<String>,
}

impl ServiceStatus {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            state: ServiceState::Stopped,
            pid: None,
            started_at: None,
            exit_code: None,
            signal: None,
            restarts: 0,
            user_restarts: 0,
            health: None,
            probes: Vec::new(),
            restart_at: None,
            reason: None,
            tags: Vec::new(),
            ports: Vec::new(),
            depends_on: Vec::new(),
            needed_by: Vec::new(),
            window: None,
        }
    }

    /// What it depends on in other workspaces (`operation/db`): a local name has no `/`.
    pub fn remote_dependencies(&self) -> Vec<&str> {
        self.depends_on
            .iter()
            .filter(|d| d.contains('/'))
            .map(String::as_str)
            .collect()
    }

    /// Uptime in whole seconds at `now_ms`, while the service runs.
    pub fn uptime_secs(&self, now_ms: u64) -> Option<u64> {
        match (self.state, self.started_at) {
            (ServiceState::Running | ServiceState::Stopping, Some(t)) => {
                Some(now_ms.saturating_sub(t) / 1000)
            }
            _ => None,
        }
    }
}
