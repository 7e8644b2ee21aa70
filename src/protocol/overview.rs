//! One workspace summed up in a row: what `uc ps` prints and the TUI's overview shows for
//! every workspace of the projects file. A plain struct, so later columns are one more
//! field.

use serde::Serialize;

use super::{QuotaKind, QuotaStatus, ServiceState, ServiceStatus, Snapshot};
use crate::alerts::model::AlertState;
use crate::format;

/// The overview's columns, `uc ps`'s header.
pub const COLUMNS: [&str; 8] = [
    "WORKSPACE",
    "ENVIRONMENT",
    "SERVICES",
    "FIRING",
    "CPU",
    "MEMORY",
    "QUOTA",
    "DEPLOYING",
];

/// The quotas the overview shows, with their short names: what a team outgrows first.
pub const QUOTA_SHOWN: [(QuotaKind, &str); 3] = [
    (QuotaKind::Services, "services"),
    (QuotaKind::Memory, "memory"),
    (QuotaKind::Cpu, "cpu"),
];

/// Whether the workspace's engine answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum WorkspaceState {
    /// Its engine answered with a snapshot.
    Running,
    /// No engine runs (nothing is started to find out).
    Stopped,
    /// The projects file names it, but it cannot be asked (no file, a broken state dir, an
    /// engine that does not answer).
    Unreachable(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkspaceRow {
    /// The name in the projects file (`:ctx NAME`).
    pub name: String,
    /// The workspace file.
    pub file: String,
    #[serde(flatten)]
    pub state: WorkspaceState,
    pub environment: Option<String>,
    /// Services in state `running`, as `uc status` counts them.
    pub running: usize,
    pub services: usize,
    /// Alerts firing now (pending and resolved ones are not counted).
    pub firing: usize,
    /// The services' CPU, in percent of one core, from the latest sample.
    pub cpu_pct: f32,
    /// The services' resident memory in bytes, from the latest sample.
    pub rss: u64,
    /// Services with a deploy running or waiting for approval.
    pub deploying: Vec<String>,
    /// Each quota the workspace sets and its usage (`Snapshot.quota`).
    #[serde(default, skip_serializing_if = "QuotaStatus::is_empty")]
    pub quota: QuotaStatus,
    /// Its services as its snapshot has them: the overview lists them to mark them.
    #[serde(skip)]
    pub members: Vec<ServiceStatus>,
}

impl WorkspaceRow {
    /// A workspace without figures: stopped or unreachable.
    pub fn idle(name: &str, file: &str, state: WorkspaceState) -> Self {
        Self {
            name: name.to_string(),
            file: file.to_string(),
            state,
            environment: None,
            running: 0,
            services: 0,
            firing: 0,
            cpu_pct: 0.0,
            rss: 0,
            deploying: Vec::new(),
            quota: QuotaStatus::default(),
            members: Vec::new(),
        }
    }

    /// The row for a running workspace's snapshot.
    pub fn from_snapshot(name: &str, file: &str, snapshot: &Snapshot) -> Self {
        let sample = snapshot.metrics.iter().flat_map(|m| &m.services);
        Self {
            environment: snapshot.environment.clone(),
            running: snapshot
                .services
                .iter()
                .filter(|s| s.state == ServiceState::Running)
                .count(),
            services: snapshot.services.len(),
            firing: snapshot
                .alerts
                .iter()
                .filter(|a| a.state == AlertState::Firing)
                .count(),
            cpu_pct: sample.clone().map(|s| s.cpu_pct).sum(),
            rss: sample.map(|s| s.rss).sum(),
            deploying: snapshot
                .deploys
                .iter()
                .filter(|d| d.state.is_active())
                .map(|d| d.service.clone())
                .collect(),
            quota: snapshot.quota.clone(),
            members: snapshot.services.clone(),
            ..Self::idle(name, file, WorkspaceState::Running)
        }
    }

    /// The cells under [`COLUMNS`], as `uc ps` prints them and the overview draws them.
    pub fn cells(&self) -> [String; 8] {
        let figures = self.state == WorkspaceState::Running;
        let or_dash = |shown: bool, text: String| if shown { text } else { "-".into() };
        [
            self.name.clone(),
            match &self.state {
                WorkspaceState::Running => {
                    self.environment.clone().unwrap_or_else(|| "default".into())
                }
                _ => self.state_word().to_string(),
            },
            or_dash(figures, format!("{}/{}", self.running, self.services)),
            or_dash(figures, self.firing.to_string()),
            or_dash(figures, format::percent(f64::from(self.cpu_pct))),
            or_dash(figures, format::bytes(self.rss as f64)),
            or_dash(figures, self.quota_cell()),
            match self.deploying.as_slice() {
                [] => "-".into(),
                services => services.join(","),
            },
        ]
    }

    /// `services 2/3 memory 41% cpu 12%`: each shown quota the workspace sets, `-` if none.
    pub fn quota_cell(&self) -> String {
        let shown: Vec<String> = self
            .quotas()
            .map(|(kind, label, usage)| match kind {
                QuotaKind::Services => format!("{label} {}/{}", usage.used, usage.limit),
                _ => format!("{label} {:.0}%", usage.ratio() * 100.0),
            })
            .collect();
        if shown.is_empty() {
            "-".into()
        } else {
            shown.join(" ")
        }
    }

    /// The shown quotas the workspace sets, with their usage.
    pub fn quotas(&self) -> impl Iterator<Item = (QuotaKind, &'static str, &super::Usage)> {
        (QUOTA_SHOWN.iter())
            .filter_map(|(kind, label)| self.quota.get(*kind).map(|usage| (*kind, *label, usage)))
    }

    /// `running`, `stopped`, or `unreachable` (the reason is in [`WorkspaceState`]).
    pub fn state_word(&self) -> &'static str {
        match self.state {
            WorkspaceState::Running => "running",
            WorkspaceState::Stopped => "stopped",
            WorkspaceState::Unreachable(_) => "unreachable",
        }
    }
}
