//! What frontends ask of the engine (`POST /v1/commands`).

use serde::{Deserialize, Serialize};

/// One request to the engine. The JSON shape is part of the stable API:
/// `{"command":"start","services":["api"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Start services and, first, what they depend on. Empty `services` and `tags` = all.
    Start {
        #[serde(default)]
        services: Vec<String>,
        #[serde(default)]
        tags: Vec<String>,
    },
    /// Stop services and, first, what depends on them. Empty = all.
    Stop {
        #[serde(default)]
        services: Vec<String>,
    },
    /// Stop then start each service (dependents are left alone).
    Restart { services: Vec<String> },
    /// Stop every service, then the engine and the workspace's tmux server.
    Down,
    /// Stop the engine only; services keep running and the next engine adopts them.
    Shutdown,
}

/// A command that was accepted: what it acts on, in the order it will act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub message: String,
    #[serde(default)]
    pub services: Vec<String>,
    /// The engine's event sequence number once the command took effect: a client folding
    /// the event stream sees the command's effects when its snapshot's `seq` reaches this.
    #[serde(default)]
    pub seq: u64,
}

/// A command that was refused. `field` names the part of the request that was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}{message}", field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct CommandError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl CommandError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            field: None,
            message: message.into(),
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}
