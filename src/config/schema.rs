//! The YAML file as written by the user (`univers.yaml`). Validation turns it into
//! [`super::Workspace`]; nothing here is trusted until then.
//!
//! Values that validation may reject are [`Spanned`] so every problem can point at the
//! line and column it came from. Scalars that need parsing (durations, signals, policies,
//! conditions) stay strings here: validation parses them all and reports every bad one at
//! once, instead of serde stopping at the first.

use std::fmt;
use std::path::PathBuf;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

mod access;
mod assistant;
mod deploy;
mod heal;
mod quotas;
mod webhooks;

pub use access::AccessSpec;
pub use assistant::{AssistantSpec, LlmSpec};
pub use deploy::{DeploySpec, GateSpec, PipelineStageSpec, ProxySpec, RuleSpec};
pub use heal::{HttpFull, HttpSpec, ProbeSpec, Scalar, WatchSpec};
pub use quotas::QuotasSpec;
pub use webhooks::{IncomingSpec, OutgoingSpec, WebhooksSpec};

/// Wraps a value built in code (not read from a file), e.g. by the importers.
pub fn unspanned<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// An empty key (`services:` with nothing under it) means the same as leaving it out.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// Top level of `univers.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceFile {
    /// The workspace's name: letters, digits, `_` and `-`.
    #[schemars(with = "String")]
    pub workspace: Spanned<String>,
    /// `[dev, staging, prod]` or a map of name to settings; the first is the default.
    /// Each may overlay this file with `configs/environments/<name>.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<EnvironmentsSpec>,
    /// Values for `${NAME}`, after the process environment and the env files.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub vars: IndexMap<String, EnvValue>,
    /// The file `${secret:name}` reads (default `configs/secrets.yaml`, mode 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<PathBuf>,
    /// The TUI theme (a file in `themes/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "IndexMap<String, ServiceSpec>")]
    pub services: IndexMap<Spanned<String>, ServiceSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricsSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertsSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<LogsSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<WebhooksSpec>,
    /// Who besides the engine's owner may use the workspace, and with which role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quotas: Option<QuotasSpec>,
    /// The optional model the assistant may ask (`assistant: { llm: … }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant: Option<AssistantSpec>,
}

/// `environments: [dev, prod]` or `environments: { dev: {}, prod: { theme: red } }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvironmentsSpec {
    Names(Vec<String>),
    Settings(IndexMap<String, Option<EnvironmentSpec>>),
}

/// One environment's settings; all optional.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// The overlay file (default `configs/environments/<name>.yaml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// `.env` files read for `${NAME}`; later files win.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_files: Vec<PathBuf>,
    /// This environment's secrets file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<PathBuf>,
    /// Theme (or frame colour, e.g. `red`) while this environment is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    /// Switching to it asks for its name (default: true for `prod` and `production`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<bool>,
}

/// `logs: { files: { nginx: [/var/log/nginx/*.log] }, commands: { ssh: journalctl -f -u ssh },
/// retention: { size: 256MiB, age: 7d, segment: 32MiB } }`. Services' own output is always
/// captured; these add sources.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogsSpec {
    /// Source name → file paths or globs (relative to the workspace file).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    #[schemars(with = "IndexMap<String, Vec<String>>")]
    pub files: IndexMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Source name → a shell command whose output is the source (`journalctl -f -u ssh`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    #[schemars(with = "IndexMap<String, String>")]
    pub commands: IndexMap<Spanned<String>, Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionSpec>,
}

/// How much of each source's stored lines is kept.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSpec {
    /// Per source, e.g. `256MiB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub size: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub age: Option<Spanned<String>>,
    /// Size of one segment file; the oldest segment is what retention deletes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub segment: Option<Spanned<String>>,
}

/// `alerts: { rules: configs/rules.yaml, channels: configs/channels.yaml, enabled: true }`.
/// Paths are relative to the workspace file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<PathBuf>")]
    pub rules: Option<Spanned<PathBuf>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<PathBuf>")]
    pub channels: Option<Spanned<PathBuf>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// `metrics: { interval: 1s, listen: 127.0.0.1:9464, allow_remote: false, history: true }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    /// Where to serve Prometheus' `/metrics`; not served when absent. An address other
    /// machines can reach (not 127.0.0.1 or ::1) needs `allow_remote: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub listen: Option<Spanned<String>>,
    /// Serve `/metrics` on a non-loopback `listen` address, to the network on purpose
    /// (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_remote: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<bool>,
}

/// One service as written in the file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Run with `/bin/sh -c` in the service's own tmux window.
    #[schemars(with = "String")]
    pub command: Spanned<String>,
    /// Working directory, relative to the workspace file (`~/` for home).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Ports the service listens on; two services may not declare the same one.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[schemars(with = "Vec<std::num::NonZeroU16>")]
    pub ports: Vec<Spanned<u64>>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub env: IndexMap<String, EnvValue>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "DependsOnSpec::is_empty"
    )]
    pub depends_on: DependsOnSpec,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[schemars(with = "Vec<String>")]
    pub tags: Vec<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RestartSpec>")]
    pub restart: Option<Spanned<RestartSpec>>,
    /// The older name of `readiness`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<ProbeSpec>")]
    pub health: Option<Spanned<ProbeSpec>>,
    /// Decides when the service is `healthy` (drives `depends_on: healthy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<ProbeSpec>")]
    pub readiness: Option<Spanned<ProbeSpec>>,
    /// Failing it restarts the service (under its restart policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<ProbeSpec>")]
    pub liveness: Option<Spanned<ProbeSpec>>,
    /// `512MiB` or `512MiB for 30s`: restart when the service's processes use more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub max_memory: Option<Spanned<String>>,
    /// Restart when files change (for dev loops).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<WatchSpec>")]
    pub watch: Option<Spanned<WatchSpec>>,
    /// Restart on a cron schedule (`0 4 * * *`, local time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub cron_restart: Option<Spanned<String>>,
    /// Files the service writes besides its terminal output (paths or globs, relative to
    /// the workspace file); their lines belong to the service.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[schemars(with = "Vec<String>")]
    pub logs: Vec<Spanned<String>>,
    /// Deploy the service from a git repository, in releases (`uc deploy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<DeploySpec>")]
    pub deploy: Option<Spanned<DeploySpec>>,
}

/// Env values may be written as numbers or booleans (`PORT: 8080`), as in docker compose.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl EnvValue {
    pub fn to_env_string(&self) -> String {
        match self {
            Self::String(s) => s.clone(),
            Self::Integer(i) => i.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

// Hand-written rather than `untagged` so a wrong value gets a clear message and a location.
impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvVisitor;
        impl Visitor<'_> for EnvVisitor {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::String(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue::Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnvValue, E> {
                i64::try_from(v)
                    .map(EnvValue::Integer)
                    .or_else(|_| Ok(EnvValue::String(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<EnvValue, E> {
                Ok(EnvValue::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<EnvValue, E> {
                Ok(EnvValue::Bool(v))
            }
        }
        deserializer.deserialize_any(EnvVisitor)
    }
}

/// `depends_on: [db]` (condition `started`) or `depends_on: { db: healthy }`.
/// The condition stays a string until validation.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum DependsOnSpec {
    #[schemars(with = "Vec<String>")]
    List(Vec<Spanned<String>>),
    #[schemars(with = "IndexMap<String, Condition>")]
    Map(IndexMap<Spanned<String>, Spanned<String>>),
}

impl Default for DependsOnSpec {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

impl DependsOnSpec {
    pub fn is_empty(&self) -> bool {
        match self {
            Self::List(l) => l.is_empty(),
            Self::Map(m) => m.is_empty(),
        }
    }

    /// Dependencies in the order written; `None` as condition means the default, `started`.
    pub fn entries(&self) -> Vec<(&Spanned<String>, Option<&Spanned<String>>)> {
        match self {
            Self::List(l) => l.iter().map(|n| (n, None)).collect(),
            Self::Map(m) => m.iter().map(|(n, c)| (n, Some(c))).collect(),
        }
    }
}

// Hand-written rather than `untagged`: untagged enums lose the locations of their contents.
impl<'de> Deserialize<'de> for DependsOnSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DependsVisitor;
        impl<'de> Visitor<'de> for DependsVisitor {
            type Value = DependsOnSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of service names or a map of service name to condition")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DependsOnSpec, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element()? {
                    names.push(name);
                }
                Ok(DependsOnSpec::List(names))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DependsOnSpec, A::Error> {
                let mut entries = IndexMap::new();
                while let Some((name, condition)) = map.next_entry()? {
                    entries.insert(name, condition);
                }
                Ok(DependsOnSpec::Map(entries))
            }
        }
        deserializer.deserialize_any(DependsVisitor)
    }
}

/// When a dependency counts as satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The dependency's process is running.
    Started,
    /// The dependency's health check passed.
    Healthy,
    /// The dependency ran to completion with exit code 0.
    Completed,
}

impl Condition {
    pub const ALL: [Self; 3] = [Self::Started, Self::Healthy, Self::Completed];

    /// The name as written in the file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Healthy => "healthy",
            Self::Completed => "completed",
        }
    }
}

/// `stop: { signal: SIGINT, timeout: 10s }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub signal: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
}

/// `restart: on-failure` or `restart: { policy: on-failure, backoff: 1s..5m, max: 5 within 10m, then: alert }`.
/// Parsed and validated now; the behaviour belongs to the healing worker.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RestartSpec {
    Policy(String),
    Full(Box<RestartFull>),
}

// Hand-written rather than `untagged` so unknown keys in the long form are reported as such.
impl<'de> Deserialize<'de> for RestartSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RestartVisitor;
        impl<'de> Visitor<'de> for RestartVisitor {
            type Value = RestartSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a restart policy or a map with `policy`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RestartSpec, E> {
                Ok(RestartSpec::Policy(v.to_owned()))
            }
            // YAML 1.1 reads a bare `no` as false.
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RestartSpec, E> {
                Ok(RestartSpec::Policy(if v { "yes" } else { "no" }.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RestartSpec, A::Error> {
                RestartFull::deserialize(MapAccessDeserializer::new(map))
                    .map(|full| RestartSpec::Full(Box::new(full)))
            }
        }
        deserializer.deserialize_any(RestartVisitor)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartFull {
    #[schemars(with = "String")]
    pub policy: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub backoff: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub max: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub then: Option<Spanned<String>>,
}
