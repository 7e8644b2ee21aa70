//! What frontends ask of the engine (`POST /api/v1/commands`).

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::alerts::model::Matcher;

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
    /// Acknowledge a pending or firing alert (id or unique id prefix): it keeps firing but
    /// stops repeating its notifications.
    Ack {
        alert: String,
        by: String,
        comment: Option<String>,
    },
    /// Mute notifications of alerts matching every matcher (`service=api`) for a while.
    Silence {
        matchers: Vec<String>,
        /// A duration: `2h`, `30m`.
        #[serde(rename = "for")]
        duration: String,
        by: String,
        comment: Option<String>,
    },
    /// End a silence now (id or unique id prefix).
    Expire { silence: String },
    /// Switch to another environment: services whose effective definition changes restart,
    /// in dependency order; the others keep running.
    UseEnvironment { environment: String, by: String },
    /// Apply the edit waiting in the snapshot's `config.pending`. With `hash`, only if that
    /// is still the pending one (the user saw that diff, not a later edit).
    ApplyConfig { hash: Option<String>, by: String },
    /// Re-apply a stored revision through the same path as a switch.
    RevertConfig { revision: u64, by: String },
}

impl Command {
    /// Commands the alerting worker answers; the supervisor answers the others.
    pub fn is_alerting(&self) -> bool {
        matches!(
            self,
            Self::Ack { .. } | Self::Silence { .. } | Self::Expire { .. }
        )
    }

    /// Commands the configuration center answers.
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            Self::UseEnvironment { .. } | Self::ApplyConfig { .. } | Self::RevertConfig { .. }
        )
    }
}

/// A command that was accepted: what it acts on, in the order it will act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"message": "starting db, api", "services": ["db", "api"], "seq": 42}))]
pub struct Reply {
    pub message: String,
    #[serde(default)]
    pub services: Vec<String>,
    /// The engine's event sequence number once the command took effect: a client folding
    /// the event stream sees the command's effects when its snapshot's `seq` reaches this.
    #[serde(default)]
    pub seq: u64,
}

/// A request that was refused, and the shape of every error the API answers:
/// `{"error": "...", "field": "...", "hint": "..."}`. `field` names the part of the request
/// that was wrong; `hint` says what would be accepted instead.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema,
)]
#[schema(example = json!({"error": "unknown service `apu`", "field": "names[0]", "hint": "services: api, db"}))]
#[error("{}{message}{}", field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default(),
    hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
pub struct CommandError {
    #[serde(rename = "error")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl CommandError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: None,
            hint: None,
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(message)
        }
    }

    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        Self {
            hint: Some(hint.into()),
            ..self
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
    alert: Option<String>,
    matchers: Option<Vec<String>>,
    #[serde(rename = "for")]
    duration: Option<String>,
    by: Option<String>,
    comment: Option<String>,
    silence: Option<String>,
    environment: Option<String>,
    hash: Option<String>,
    revision: Option<u64>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Start,
    Stop,
    Restart,
    Down,
    Shutdown,
    Ack,
    Silence,
    Expire,
    UseEnvironment,
    ApplyConfig,
    RevertConfig,
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
        if let Some(field) = wire.config_field()
            && !matches!(
                wire.command,
                Kind::UseEnvironment | Kind::ApplyConfig | Kind::RevertConfig
            )
        {
            return Err(CommandError::field(
                field,
                "only config commands take this field",
            ));
        }
        if matches!(wire.command, Kind::Ack | Kind::Silence | Kind::Expire) {
            return alerting(wire);
        }
        if matches!(
            wire.command,
            Kind::UseEnvironment | Kind::ApplyConfig | Kind::RevertConfig
        ) {
            return config(wire);
        }
        if let Some(field) = wire.alerting_field() {
            return Err(CommandError::field(
                field,
                "only alert commands take this field",
            ));
        }
        let Wire {
            command,
            services,
            tags,
            ..
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
            Kind::Ack
            | Kind::Silence
            | Kind::Expire
            | Kind::UseEnvironment
            | Kind::ApplyConfig
            | Kind::RevertConfig => Err(CommandError::field("command", "not a service command")),
        }
    }
}

/// `ack`, `silence` and `expire`: each field checked here so the error names it.
fn alerting(wire: Wire) -> Result<Command, CommandError> {
    let required = |value: Option<String>, field: &str| {
        value
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| CommandError::field(field, "required"))
    };
    for (field, set) in [
        ("services", wire.services.is_some()),
        ("tags", wire.tags.is_some()),
    ] {
        if set {
            return Err(CommandError::field(
                field,
                "alert commands take no services",
            ));
        }
    }
    let by = wire.by.unwrap_or_else(|| "api".to_owned());
    match wire.command {
        Kind::Ack => Ok(Command::Ack {
            alert: required(wire.alert, "alert")?,
            by,
            comment: wire.comment,
        }),
        Kind::Silence => {
            let matchers = wire.matchers.unwrap_or_default();
            if matchers.is_empty() {
                return Err(CommandError::field("matchers", "name at least one matcher"));
            }
            for (i, m) in matchers.iter().enumerate() {
                Matcher::parse(m).map_err(|e| CommandError::field(format!("matchers[{i}]"), e))?;
            }
            let duration = required(wire.duration, "for")?;
            silence_duration(&duration).map_err(|e| CommandError::field("for", e))?;
            Ok(Command::Silence {
                matchers,
                duration,
                by,
                comment: wire.comment,
            })
        }
        _ => Ok(Command::Expire {
            silence: required(wire.silence, "silence")?,
        }),
    }
}

/// `use_environment`, `apply_config` and `revert_config`.
fn config(wire: Wire) -> Result<Command, CommandError> {
    let unused = [
        ("services", wire.services.is_some()),
        ("tags", wire.tags.is_some()),
        ("alert", wire.alert.is_some()),
        ("matchers", wire.matchers.is_some()),
        ("for", wire.duration.is_some()),
        ("comment", wire.comment.is_some()),
        ("silence", wire.silence.is_some()),
    ];
    if let Some((field, _)) = unused.into_iter().find(|(_, set)| *set) {
        return Err(CommandError::field(
            field,
            "config commands take no such field",
        ));
    }
    let by = wire
        .by
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "api".to_owned());
    let only = |field: &str, set: bool| {
        if set {
            Err(CommandError::field(field, "not a field of this command"))
        } else {
            Ok(())
        }
    };
    match wire.command {
        Kind::UseEnvironment => {
            only("hash", wire.hash.is_some())?;
            only("revision", wire.revision.is_some())?;
            let environment = wire
                .environment
                .filter(|e| !e.trim().is_empty())
                .ok_or_else(|| CommandError::field("environment", "required"))?;
            Ok(Command::UseEnvironment { environment, by })
        }
        Kind::ApplyConfig => {
            only("environment", wire.environment.is_some())?;
            only("revision", wire.revision.is_some())?;
            Ok(Command::ApplyConfig {
                hash: wire.hash,
                by,
            })
        }
        _ => {
            only("environment", wire.environment.is_some())?;
            only("hash", wire.hash.is_some())?;
            let revision = wire
                .revision
                .ok_or_else(|| CommandError::field("revision", "required"))?;
            Ok(Command::RevertConfig { revision, by })
        }
    }
}

/// How long a silence lasts: `30m`, `2h`, `1d`; from a second to 366 days.
pub fn silence_duration(text: &str) -> Result<std::time::Duration, String> {
    let d = crate::config::values::duration(text).map_err(|rejected| rejected.to_string())?;
    if d < std::time::Duration::from_secs(1) || d > std::time::Duration::from_secs(366 * 86_400) {
        return Err(format!("`{}` is out of range (1s to 366d)", text.trim()));
    }
    Ok(d)
}

impl Wire {
    /// The first alert-only field that is set, for refusing it on service commands.
    fn alerting_field(&self) -> Option<&'static str> {
        [
            ("alert", self.alert.is_some()),
            ("matchers", self.matchers.is_some()),
            ("for", self.duration.is_some()),
            ("by", self.by.is_some()),
            ("comment", self.comment.is_some()),
            ("silence", self.silence.is_some()),
        ]
        .into_iter()
        .find_map(|(field, set)| set.then_some(field))
    }

    /// The first config-only field that is set.
    fn config_field(&self) -> Option<&'static str> {
        [
            ("environment", self.environment.is_some()),
            ("hash", self.hash.is_some()),
            ("revision", self.revision.is_some()),
        ]
        .into_iter()
        .find_map(|(field, set)| set.then_some(field))
    }
}

/// A command plus where its answer goes.
pub type CommandRequest = (Command, oneshot::Sender<Result<Reply, CommandError>>);

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
    fn alert_command_errors_name_the_field() {
        let err = |body: &str| Command::from_json(body.as_bytes()).unwrap_err();
        assert_eq!(err(r#"{"command":"ack"}"#).field.as_deref(), Some("alert"));
        let e = err(r#"{"command":"silence","matchers":["service=api","oops"],"for":"2h"}"#);
        assert_eq!(e.field.as_deref(), Some("matchers[1]"));
        let e = err(r#"{"command":"silence","matchers":["a=b"],"for":"soon"}"#);
        assert_eq!(e.field.as_deref(), Some("for"));
        let e = err(r#"{"command":"silence","matchers":[],"for":"2h"}"#);
        assert_eq!(e.field.as_deref(), Some("matchers"));
        assert_eq!(
            err(r#"{"command":"stop","alert":"x"}"#).field.as_deref(),
            Some("alert")
        );
        assert_eq!(
            err(r#"{"command":"ack","alert":"x","services":[]}"#)
                .field
                .as_deref(),
            Some("services")
        );
    }

    #[test]
    fn config_command_errors_name_the_field() {
        let err = |body: &str| Command::from_json(body.as_bytes()).unwrap_err();
        assert_eq!(
            err(r#"{"command":"use_environment"}"#).field.as_deref(),
            Some("environment")
        );
        assert_eq!(
            err(r#"{"command":"revert_config","environment":"x"}"#)
                .field
                .as_deref(),
            Some("environment")
        );
        assert_eq!(
            err(r#"{"command":"revert_config"}"#).field.as_deref(),
            Some("revision")
        );
        assert_eq!(
            err(r#"{"command":"start","revision":2}"#).field.as_deref(),
            Some("revision")
        );
        assert_eq!(
            err(r#"{"command":"revert_config","revision":"two"}"#)
                .field
                .as_deref(),
            Some("revision")
        );
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
            Command::Ack {
                alert: "3fa2".into(),
                by: "ana".into(),
                comment: None,
            },
            Command::Silence {
                matchers: vec!["service=api".into()],
                duration: "2h".into(),
                by: "ana".into(),
                comment: Some("deploying".into()),
            },
            Command::Expire {
                silence: "9c1d".into(),
            },
            Command::UseEnvironment {
                environment: "staging".into(),
                by: "ana".into(),
            },
            Command::ApplyConfig {
                hash: Some("ab12".into()),
                by: "ana".into(),
            },
            Command::RevertConfig {
                revision: 3,
                by: "ana".into(),
            },
        ] {
            let json = serde_json::to_vec(&command).unwrap();
            assert_eq!(Command::from_json(&json).unwrap(), command);
        }
    }
}
