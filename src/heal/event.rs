//! What healing did and why: every restart, backoff, give-up, probe state change and
//! playbook run is one [`HealEvent`], published to frontends, kept in SQLite
//! (`uc heal history`) and, for a give-up with `then: alert`, raised as an alert.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealEvent {
    /// Unix ms.
    pub at: u64,
    /// `None` for a playbook run not tied to a service.
    #[serde(default)]
    pub service: Option<String>,
    pub kind: HealKind,
    /// One line for people: `exited with code 1; restarting in 2s`.
    pub reason: String,
    /// More to read: a failed probe's output, a playbook's step results.
    #[serde(default)]
    pub detail: Option<String>,
    /// The service's last log lines, attached when a restart policy gives up.
    #[serde(default)]
    pub logs: Vec<String>,
    /// Raise an alert (a give-up under `then: alert`).
    #[serde(default)]
    pub escalate: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealKind {
    /// The service was restarted (after an exit, a failed liveness probe, a trigger).
    Restart,
    /// A restart waits out a backoff.
    Backoff,
    /// The restart policy's `max` was used up.
    GaveUp,
    /// A probe changed state (passing, failing).
    Probe,
    /// A playbook ran (or was dry-run).
    Playbook,
}

impl HealKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restart => "restart",
            Self::Backoff => "backoff",
            Self::GaveUp => "gave-up",
            Self::Probe => "probe",
            Self::Playbook => "playbook",
        }
    }
}

impl HealEvent {
    pub fn new(service: Option<&str>, kind: HealKind, reason: impl Into<String>) -> Self {
        Self {
            at: crate::clock::now_ms(),
            service: service.map(str::to_owned),
            kind,
            reason: reason.into(),
            detail: None,
            logs: Vec::new(),
            escalate: false,
        }
    }
}
