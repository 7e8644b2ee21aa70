//! Quotas as frontends see them: each limit's usage (`Snapshot.quota`, drawn as bars and
//! printed by `uc status`) and the refusal every frontend shows when one is reached, worded
//! like Kubernetes' ResourceQuota 403: the quota, the usage, where it is set, what to do.

use serde::{Deserialize, Serialize};

use super::CommandError;

/// One usage per limit the workspace sets; `None` where it sets none.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QuotaStatus {
    /// Services running (or starting, or stopping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Usage>,
    /// Resident memory of every service together, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Usage>,
    /// Cores busy with the services together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Usage>,
    /// Bytes of stored logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_retention: Option<Usage>,
    /// API calls in the current minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<Usage>,
    /// How memory and CPU are held: `cgroup <path>` (cgroup v2, the kernel enforces) or
    /// `engine` (starts refused at the limit, the largest service stopped above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub used: f64,
    pub limit: f64,
    /// Where the limit is set: `univers.yaml:12:3`.
    pub at: String,
}

impl Usage {
    /// Share of the limit in use, 0.0 to 1.0 and beyond.
    pub fn ratio(&self) -> f64 {
        if self.limit > 0.0 {
            self.used / self.limit
        } else {
            0.0
        }
    }
}

/// The quotas, by their key under `quotas:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    Services,
    Memory,
    Cpu,
    LogRetention,
    RequestsPerMinute,
}

impl QuotaKind {
    pub const ALL: [QuotaKind; 5] = [
        Self::Services,
        Self::Memory,
        Self::Cpu,
        Self::LogRetention,
        Self::RequestsPerMinute,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Services => "services",
            Self::Memory => "memory",
            Self::Cpu => "cpu",
            Self::LogRetention => "log_retention",
            Self::RequestsPerMinute => "requests_per_minute",
        }
    }

    /// A usage or a limit of this quota, for people: `2`, `300.0M`, `1.50 cores`.
    pub fn show(self, value: f64) -> String {
        match self {
            Self::Memory | Self::LogRetention => crate::format::bytes(value),
            Self::Cpu => format!("{value:.2} cores"),
            Self::Services | Self::RequestsPerMinute => format!("{value:.0}"),
        }
    }

    /// What the user can do about it, besides raising the limit.
    fn advice(self) -> &'static str {
        match self {
            Self::Services => "stop a service",
            Self::Memory => "stop a service or lower its memory use",
            Self::Cpu => "stop a busy service",
            Self::LogRetention => "the oldest logs are deleted",
            Self::RequestsPerMinute => "wait for the next minute",
        }
    }
}

impl QuotaStatus {
    pub fn get(&self, kind: QuotaKind) -> Option<&Usage> {
        match kind {
            QuotaKind::Services => self.services.as_ref(),
            QuotaKind::Memory => self.memory.as_ref(),
            QuotaKind::Cpu => self.cpu.as_ref(),
            QuotaKind::LogRetention => self.log_retention.as_ref(),
            QuotaKind::RequestsPerMinute => self.requests_per_minute.as_ref(),
        }
    }

    pub fn is_empty(&self) -> bool {
        QuotaKind::ALL.iter().all(|k| self.get(*k).is_none())
    }
}

/// `quota exceeded: services 2/2 in workspace demo (quotas.services in univers.yaml:12:3);
/// stop a service or raise quotas.services`, naming the field `quotas.services`.
pub fn exceeded(kind: QuotaKind, usage: &Usage, workspace: &str) -> CommandError {
    let key = kind.key();
    let message = format!(
        "quota exceeded: {} {}/{} in workspace {workspace} (quotas.{key} in {}); {} or raise \
         quotas.{key}",
        key.replace('_', " "),
        kind.show(usage.used),
        kind.show(usage.limit),
        usage.at,
        kind.advice(),
    );
    CommandError::field(format!("quotas.{key}"), message)
}

/// A refusal [`exceeded`] made: answered 403 (429 for the request rate).
pub fn is_exceeded(err: &CommandError) -> bool {
    err.message.starts_with("quota exceeded: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_names_quota_usage_place_and_remedy() {
        let usage = Usage {
            used: 2.0,
            limit: 2.0,
            at: "univers.yaml:12:3".into(),
        };
        let err = exceeded(QuotaKind::Services, &usage, "demo");
        assert_eq!(
            err.message,
            "quota exceeded: services 2/2 in workspace demo (quotas.services in \
             univers.yaml:12:3); stop a service or raise quotas.services"
        );
        assert_eq!(err.field.as_deref(), Some("quotas.services"));
        assert!(is_exceeded(&err));
    }
}
