//! What `uc doctor` answers: findings, each a cause in one sentence with its evidence and
//! the allowlisted actions that would help. Plain data, carried by the API to every frontend.

use serde::{Deserialize, Serialize};

/// How much a finding matters; the order findings are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// One diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The analyzer that found it (`crash_loop`, `dependency_down`, ...): stable, for scripts.
    pub analyzer: String,
    pub severity: Severity,
    /// Among findings of one severity, the one that explains the others ranks first: a
    /// database down before the API that waits for it. Higher is nearer the root.
    #[serde(default)]
    pub rank: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The cause in one sentence.
    pub cause: String,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// What would help, best first.
    #[serde(default)]
    pub actions: Vec<Suggestion>,
    /// When the fault began, Unix ms, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<u64>,
}

/// Why the analyzer believes it: a log line, a probe's output, a metric's values, a diff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Log,
    Probe,
    Metric,
    Process,
    Config,
    Deploy,
    Alert,
    Disk,
    Event,
}

/// An action from the allowlist; nothing else can be suggested or applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Suggestion {
    Start {
        service: String,
    },
    Restart {
        service: String,
    },
    Stop {
        service: String,
    },
    Rollback {
        service: String,
    },
    RunPlaybook {
        playbook: String,
    },
    Silence {
        matchers: Vec<String>,
        for_secs: u64,
    },
    /// Open the logs filtered to a pattern.
    Logs {
        service: Option<String>,
        pattern: Option<String>,
    },
    /// Set one value of the workspace file (`services.api.max_memory` from `256M` to
    /// `512M`), applied through the configuration center with its diff.
    RaiseLimit {
        path: String,
        from: String,
        to: String,
    },
    /// Apply the edit waiting on disk.
    ApplyConfig,
}

impl Suggestion {
    /// Whether applying it changes anything (opening the logs does not).
    pub fn mutates(&self) -> bool {
        !matches!(self, Self::Logs { .. })
    }

    /// The `uc` command line that does the same, shown beside the suggestion.
    pub fn command_line(&self) -> String {
        match self {
            Self::Start { service } => format!("uc up {service}"),
            Self::Restart { service } => format!("uc restart {service}"),
            Self::Stop { service } => format!("uc down {service}"),
            Self::Rollback { service } => format!("uc deploy rollback {service}"),
            Self::RunPlaybook { playbook } => format!("uc heal run {playbook}"),
            Self::Silence { matchers, for_secs } => {
                let matchers: Vec<String> = matchers.iter().map(|m| format!("-m {m}")).collect();
                format!("uc alerts silence {} --for {for_secs}s", matchers.join(" "))
            }
            Self::Logs { service, pattern } => {
                let mut line = "uc logs".to_owned();
                if let Some(s) = service {
                    line += &format!(" {s}");
                }
                if let Some(p) = pattern {
                    line += &format!(" --grep '{p}'");
                }
                line
            }
            Self::RaiseLimit { path, from, to } => {
                format!("edit {path}: {from} → {to}, then uc config apply")
            }
            Self::ApplyConfig => "uc config apply".to_owned(),
        }
    }
}

/// `uc doctor`'s answer: findings, most important first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub at_ms: u64,
    /// The service asked about, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub findings: Vec<Finding>,
    /// Every analyzer that ran, found something or not.
    pub analyzers: Vec<String>,
}
