//! What frontends ask of the engine (`POST /v1/commands`).

use serde::{Deserialize, Serialize};

/// One request to the engine. The JSON shape is part of the stable API:
/// `{"command":"start","services":["api"]}`.
/// Parsed with [`Command::from_json`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Start services and, first, what they depend on. Empty `services` and `tags` = all.
    Start {
        services: Vec<String>,
        tags: Vec<String>,
    },
    /// Stop services and, first, what depends on them. Empty = all.
    Stop { services: Vec<String> },
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

/// The wire shape of a command, flat so a parse error can name the field that is wrong
/// (serde loses the path inside internally tagged enums).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    command: Kind,
    services: Option<Vec<String>>,
    tags: Option<Vec<String>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Start,
    Stop,
    Restart,
    Down,
    Shutdown,
}

impl Command {
    /// Parse a request body; errors name the offending field (`services[1]`).
    pub fn from_json(body: &[u8]) -> Result<Self, CommandError> {
        let de = &mut serde_json::Deserializer::from_slice(body);
        let wire: Wire = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "command".to_string()
            } else {
                path
            };
            CommandError::field(field, e.into_inner().to_string())
        })?;
        let unused = |field: &str, kind: &str| {
            CommandError::field(field, format!("`{kind}` takes no {field}"))
        };
        let Wire {
            command,
            services,
            tags,
        } = wire;
        match command {
            Kind::Start => Ok(Self::Start {
                services: services.unwrap_or_default(),
                tags: tags.unwrap_or_default(),
            }),
            Kind::Stop | Kind::Restart if tags.is_some() => Err(unused("tags", "stop/restart")),
            Kind::Stop => Ok(Self::Stop {
                services: services.unwrap_or_default(),
            }),
            Kind::Restart => match services {
                Some(services) if !services.is_empty() => Ok(Self::Restart { services }),
                _ => Err(CommandError::field("services", "name at least one service")),
            },
            Kind::Down | Kind::Shutdown if services.is_some() => {
                Err(unused("services", "down/shutdown"))
            }
            Kind::Down | Kind::Shutdown if tags.is_some() => Err(unused("tags", "down/shutdown")),
            Kind::Down => Ok(Self::Down),
            Kind::Shutdown => Ok(Self::Shutdown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_errors_name_the_field() {
        let err = Command::from_json(br#"{"command":"start","services":["a",7]}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("services[1]"));
        let err = Command::from_json(br#"{"command":"strat"}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("command"));
        assert!(err.message.contains("unknown variant `strat`"));
        let err = Command::from_json(br#"{"command":"down","services":["a"]}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("services"));
        let err = Command::from_json(br#"{"command":"stop","servics":[]}"#).unwrap_err();
        assert!(err.message.contains("unknown field `servics`"), "{err}");
    }

    #[test]
    fn serialized_commands_parse_back() {
        for command in [
            Command::Start {
                services: vec!["a".into()],
                tags: vec!["t".into()],
            },
            Command::Stop { services: vec![] },
            Command::Restart {
                services: vec!["a".into()],
            },
            Command::Down,
            Command::Shutdown,
        ] {
            let json = serde_json::to_vec(&command).unwrap();
            assert_eq!(Command::from_json(&json).unwrap(), command);
        }
    }
}
