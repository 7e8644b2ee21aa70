//! Workspace configuration: the YAML schema, environments (overlays, variables, secrets),
//! loading with every problem at file:line:col and its key path, validation, the JSON
//! Schema, the built-in demo workspace and importers for Procfile / process-compose.yaml.

pub mod access;
pub mod assistant;
mod check;
mod cycles;
mod de;
mod demo;
pub(crate) mod duration;
mod effective;
mod emit;
mod environments;
mod error;
pub mod import;
mod interpolate;
mod json_schema;
mod lint;
pub(crate) mod load;
pub mod projects;
mod quotas;
pub mod schema;
mod secrets;
mod shell;
mod source;
pub(crate) mod suggest;
mod tree;
mod validate;
pub(crate) mod values;

mod vars;
pub mod webhooks;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::Signal;

pub use demo::{DEMO_YAML, demo_dir, demo_loaded, demo_workspace};
pub use source::{Effective, Source};

/// Where a workspace keeps its playbooks, relative to its directory.
pub const PLAYBOOKS_DIR: &str = "configs/playbooks";
pub use effective::{Loaded, check_env, load_effective, load_env};
pub use environments::OVERLAY_DIR;
pub use error::{ConfigError, Problem, ProblemSeverity};
pub use json_schema::{overlay_schema, workspace_schema};
pub use load::{find_workspace_file, load_file, load_str};
pub use quotas::{Amount, Quota, Quotas};
pub use vars::SECRETS_FILE;
// The other YAML files of a workspace (alert channels, rules) report problems the same way.
pub(crate) use load::{with_source_lines, yaml_problem};
pub use schema::Condition;
pub use secrets::Secrets;
pub use suggest::closest as suggest;

/// File name looked up in the current directory when `-f` is not given.
pub const WORKSPACE_FILE: &str = "univers.yaml";

/// A validated workspace: every service exists, dependencies are acyclic, values are parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    pub name: String,
    /// The file it came from; `None` for the built-in demo.
    pub file: Option<PathBuf>,
    /// Directory relative paths (`cwd`) are resolved against.
    pub dir: PathBuf,
    pub theme: Option<String>,
    /// The active environment; `None` when the workspace declares none.
    pub environment: Option<String>,
    /// The declared environments, the default first.
    pub environments: Vec<Environment>,
    /// Services in the order they were written.
    pub services: Vec<Service>,
    pub metrics: MetricsSettings,
    pub alerts: AlertSettings,
    pub logs: LogSettings,
    pub webhooks: webhooks::Webhooks,
    /// Who besides the engine's owner may use the workspace (`access:`).
    pub access: access::Access,
    /// What the workspace may use of the host (`quotas:`).
    pub quotas: Quotas,
    /// The optional model the assistant may ask (`assistant:`).
    pub assistant: assistant::Assistant,
    /// Every secret the config uses, to keep out of what is shown, stored and logged.
    pub secrets: Secrets,
}

/// An environment declared in `environments:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// A theme name or a frame colour (`red`) shown while it is active.
    pub theme: Option<String>,
    /// Switching to it requires typing its name.
    pub confirm: bool,
}

/// Where the logs worker reads lines besides the services' terminal output, and how long it
/// keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogSettings {
    pub sources: Vec<LogSource>,
    pub retention: Retention,
}

/// A named source of lines. Several entries may share a name (a service's files and a
/// workspace source of the same name): their lines form one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    pub name: String,
    pub input: LogInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogInput {
    /// Absolute paths or globs.
    Files(Vec<PathBuf>),
    /// A shell command run by the engine; each line it prints is a line of the source.
    /// `env`: the variables its `${…}` are read from.
    Command {
        command: String,
        cwd: PathBuf,
        env: BTreeMap<String, String>,
    },
}

/// Per source: the stored lines beyond `size` bytes or older than `age` go, a whole segment
/// at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub size: u64,
    pub age: Duration,
    pub segment: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            size: 256 << 20,
            age: Duration::from_secs(7 * 24 * 3600),
            segment: 32 << 20,
        }
    }
}

/// Where the alerting worker reads its rules and channels. Both files are watched and
/// reloaded on change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    pub enabled: bool,
    /// `None`: the built-in rules named by `builtin`.
    pub rules: Option<PathBuf>,
    pub builtin: BuiltinRules,
    /// `None`: no channels; alerts are shown and recorded but not sent anywhere.
    pub channels: Option<PathBuf>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            rules: None,
            builtin: BuiltinRules::Defaults,
            channels: None,
        }
    }
}

/// Which embedded rule file applies when no rules file is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinRules {
    /// `configs/rules.yaml` as shipped: CPU, memory, disk, and the ports and readiness probes
    /// the services declare.
    Defaults,
    /// `configs/demo/rules.yaml`: tuned so the demo's services make alerts fire.
    Demo,
}

/// Looked up next to the workspace file when `alerts:` does not name the files.
pub const RULES_FILE: &str = "configs/rules.yaml";
pub const CHANNELS_FILE: &str = "configs/channels.yaml";

/// How the engine samples metrics and where it serves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsSettings {
    pub interval: Duration,
    /// Address of the Prometheus `/metrics` endpoint, if it should be served.
    pub listen: Option<std::net::SocketAddr>,
    /// Keep history in SQLite (`<state>/<workspace>/history.db`).
    pub history: bool,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            listen: None,
            history: true,
        }
    }
}

impl Workspace {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The settings of the active environment.
    pub fn active_environment(&self) -> Option<&Environment> {
        let name = self.environment.as_deref()?;
        self.environments.iter().find(|e| e.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    /// For `/bin/sh -c`: each `${…}` written in it is a quoted reference to a variable of
    /// `env` (`"${UC_VAR_PORT}"`), never the value itself.
    pub command: String,
    /// Absolute working directory.
    pub cwd: PathBuf,
    /// `env:`, and the variables the command and exec probes read their `${…}` from
    /// (they share this environment).
    pub env: BTreeMap<String, String>,
    /// The variables of `env` that hold a secret: they reach the service through a private
    /// file, never a command line.
    pub secret_env: BTreeSet<String>,
    pub depends_on: Vec<Dependency>,
    pub tags: Vec<String>,
    /// Ports it listens on: `ports:` and a literal `env: { PORT: … }` (what the built-in
    /// `PortNotAnswering` rule watches while it runs).
    pub ports: Vec<u16>,
    pub stop: Stop,
    pub restart: Restart,
    /// Drives `health` and `depends_on: healthy`.
    pub readiness: Option<Check>,
    /// Failing it restarts the service.
    pub liveness: Option<Check>,
    pub triggers: Triggers,
    /// Where its releases come from; its `cwd` is then inside the `current` release.
    pub deploy: Option<Deploy>,
}

/// A service's `deploy:`: releases exported from `repo` into `dir`, switched by the
/// `current` symlink the service runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deploy {
    /// A URL, or an absolute path.
    pub repo: String,
    pub branch: String,
    /// For `/bin/sh -c` in the new release, quoted like a service's command.
    pub build: Option<String>,
    /// Releases kept, at least 2.
    pub keep: u32,
    pub gate: Gate,
    pub soak: Duration,
    pub strategy: Strategy,
    /// `<state>/<workspace>/deploys/<service>`.
    pub dir: PathBuf,
    /// With `strategy: blue-green`: the proxy and this service's colour.
    pub blue_green: Option<BlueGreen>,
    /// How often the repository is asked for new commits; `None`: never.
    pub poll: Option<Duration>,
    /// Pushed ref → environment; empty: the deploy's branch deploys, whatever the
    /// environment.
    pub rules: Vec<DeployRule>,
    /// The environments a release is promoted through, in order.
    pub pipeline: Vec<PipelineStage>,
}

/// A rule: refs matching `pattern` (`*` any run of characters) go to `environment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRule {
    /// `refs/heads/<branch>` or `refs/tags/<tag>`.
    pub pattern: String,
    pub environment: String,
}

/// A pipeline's stage: its environment, its gate, and the role whose approval it waits
/// for before the switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineStage {
    pub environment: String,
    /// `deployer` or `admin`.
    pub approve: Option<String>,
    /// `None`: the deploy's own gate.
    pub gate: Option<Gate>,
}

/// `strategy: blue-green`: the proxy on `listen` sends requests to the colour that serves;
/// each colour runs with its port (`ports[colour]`) as `$PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlueGreen {
    pub listen: std::net::SocketAddr,
    pub ports: [u16; 2],
    /// How long the old colour may finish what it has in flight before it is stopped.
    pub drain: Duration,
    /// Which of the two this service is (the sibling `<name>-green` is green).
    pub colour: crate::deploy::model::Colour,
}

/// The file in a blue-green service's deploy dir that names the colour serving.
pub const SERVING_FILE: &str = "serving";

impl Deploy {
    /// The colour the proxy sends requests to: the one `<dir>/serving` names (blue before
    /// any deploy).
    pub fn serving(&self) -> crate::deploy::model::Colour {
        std::fs::read_to_string(self.dir.join(SERVING_FILE))
            .ok()
            .and_then(|s| crate::deploy::model::Colour::parse(&s))
            .unwrap_or_default()
    }

    /// A colour of a blue-green service that does not serve: it runs only during a deploy.
    pub fn standby(&self) -> bool {
        self.blue_green
            .as_ref()
            .is_some_and(|bg| bg.colour != self.serving())
    }
}

/// `passes` consecutive passes of `probe`, `interval` apart, within `timeout`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub probe: Probe,
    pub passes: u32,
    pub interval: Duration,
    pub timeout: Duration,
}

/// How a new release replaces the running one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Stop the old release, start the new one in its place.
    Restart,
    /// Start the new release next to the old one; the proxy moves to it once it passes.
    BlueGreen,
}

/// `service` is a service of this workspace, or `workspace/service` of another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub service: String,
    pub condition: Condition,
}

impl Dependency {
    /// `(workspace, service)` when the dependency is on another workspace's service. Service
    /// names never hold a `/`, so the full name is never mistaken for a local service.
    pub fn remote(&self) -> Option<(&str, &str)> {
        self.service.split_once('/')
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    pub signal: Signal,
    /// How long to wait after `signal` before SIGKILL.
    pub timeout: Duration,
}

impl Default for Stop {
    fn default() -> Self {
        Self {
            signal: Signal::SIGTERM,
            timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    #[default]
    No,
    OnFailure,
    Always,
    UnlessStopped,
}

/// What to do once `max` restarts happened within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GiveUp {
    #[default]
    Stop,
    Alert,
    KeepTrying,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Restart {
    pub policy: RestartPolicy,
    /// Backoff between repeated failures: from `.0`, doubling, capped at `.1`.
    pub backoff: Option<(Duration, Duration)>,
    /// At most `.0` restarts within `.1`.
    pub max: Option<(u32, Duration)>,
    pub then: GiveUp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Shell command in the service's cwd and env (which holds the variables its `${…}`
    /// are read from); exit code 0 passes.
    Exec(String),
    /// `host:port` accepts a TCP connection.
    Tcp(String),
    Http(HttpProbe),
    /// The service's main process is alive.
    Process,
}

/// An exec probe's command is cut to this many characters in its target.
const TARGET_WIDTH: usize = 48;

impl Probe {
    /// What the probe looks at, for people: `http://127.0.0.1:8080/health`, `tcp 127.0.0.1:5432`.
    pub fn target(&self) -> String {
        match self {
            Self::Exec(command) => {
                let line = command.lines().next().unwrap_or("");
                match line.char_indices().nth(TARGET_WIDTH) {
                    Some((cut, _)) => format!("exec {}…", &line[..cut]),
                    None => format!("exec {line}"),
                }
            }
            Self::Tcp(addr) => format!("tcp {addr}"),
            Self::Http(http) => http.url.clone(),
            Self::Process => "process alive".to_owned(),
        }
    }
}

/// An `http://` URL that must answer with a status in `status` (both ends included) and,
/// when given, a body containing `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpProbe {
    pub url: String,
    pub status: (u16, u16),
    pub body: Option<String>,
}

/// A probe and its timing, as Kubernetes spells them (plus Docker's `start_period`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub probe: Probe,
    /// Nothing is probed before this much time after the start.
    pub initial_delay: Duration,
    pub interval: Duration,
    pub timeout: Duration,
    /// Consecutive passes before a failing probe counts as passing again.
    pub success_threshold: u32,
    /// Consecutive failures before a passing probe counts as failing.
    pub failure_threshold: u32,
    /// Failures before the first pass within this period after start do not count.
    pub start_period: Duration,
}

/// Restart when the service's processes together use more memory than `bytes` for `sustain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimit {
    pub bytes: u64,
    pub sustain: Duration,
}

/// Restart when a file under `paths` changes (matching `include`, not matching `exclude`),
/// once changes have settled for `debounce`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    /// Absolute.
    pub paths: Vec<PathBuf>,
    /// Globs relative to each watched path; empty means every file.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub debounce: Duration,
}

/// What restarts a running service besides a liveness probe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Triggers {
    pub max_memory: Option<MemoryLimit>,
    pub watch: Option<Watch>,
    /// A validated cron pattern (5 or 6 fields, local time).
    pub cron_restart: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_exec_probe_is_cut_in_its_target() {
        let long = Probe::Exec(format!("python3 -c '{}'\nsecond line", "x".repeat(80)));
        let target = long.target();
        assert!(target.starts_with("exec python3 -c 'xxx") && target.ends_with('…'));
        assert_eq!(target.chars().count(), "exec ".len() + TARGET_WIDTH + 1);
        assert_eq!(Probe::Exec("true".into()).target(), "exec true");
    }
}
