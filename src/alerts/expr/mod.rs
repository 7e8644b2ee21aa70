//! Rule expressions: one selector, optionally compared with a number.
//!
//! ```text
//! cpu > 80
//! disk_free_pct{mount="/"} < 10
//! service_cpu{service=~"api|web"} >= 150
//! service_down                      # no comparison: true where the value is not 0
//! log_rate(api, level=ERROR, 1m) > 5
//! ```
//!
//! A selector yields one value per label set (an instant vector); each element whose value
//! passes the comparison becomes its own alert, labelled with the element's labels. Label
//! matchers (`=`, `!=`, `=~`, `!~`, regexes match whole values) narrow the elements.
//! Thresholds may carry a unit: `k`, `M`, `G`, `T` (powers of 1000), `Ki`, `Mi`, `Gi`, `Ti`
//! (powers of 1024), or `%` (ignored): `service_rss > 512Mi`.
//!
//! | selector | labels | value |
//! |---|---|---|
//! | `cpu` | | host CPU use over all cores, % |
//! | `load1`, `load5`, `load15` | | load averages |
//! | `mem_pct` / `mem_used` | | memory in use, % / bytes |
//! | `swap_pct` / `swap_used` | | swap in use, % (0 without swap) / bytes |
//! | `core_cpu` | `core` | one core's use, % (`core="0"` is the first) |
//! | `disk_used_pct` / `disk_free_pct` | `mount` | space used / free on the file system, % |
//! | `disk_free` | `mount` | free space, bytes |
//! | `disk_read_bps` / `disk_write_bps` | `mount` | disk IO, bytes per second |
//! | `net_rx_bps` / `net_tx_bps` | `iface` | network traffic, bytes per second |
//! | `service_cpu` | `service` | CPU of the service's process tree, % of one core |
//! | `service_rss` | `service` | resident memory of the tree, bytes |
//! | `service_threads` / `service_procs` | `service` | threads / processes in the tree |
//! | `service_fds` | `service` | open file descriptors (where readable) |
//! | `service_up` | `service` | 1 while running, else 0; every configured service |
//! | `service_down` | `service` | 1 when exited, failed, crash-looping or gave up restarting (not when stopped by a user), else 0 |
//! | `service_port_open` | `service` | 1 when every port a running service declares (`ports:`, a literal `env.PORT`) accepts a TCP connection on 127.0.0.1, else 0; running services that declare ports |
//! | `service_escalated` | `service` | 1 while a service whose restart policy gave up with `then: alert` stays down; its alerts carry a `logs` annotation with the service's last 20 log lines |
//! | `deploy_failed` | `service` | 1 while a service's latest deploy failed or was rolled back (until one succeeds); its alerts carry a `deploy` annotation saying which deploy and why |
//! | `service_healthy` | `service` | 1 healthy, 0 unhealthy or not yet known; services whose health check runs |
//! | `service_restarts` | `service` | restarts after the service ended or failed on its own (not those a user asked for) |
//! | `restarts_in(10m)` | `service` | such restarts within the window; every configured service |
//! | `port_open(5432)`, `port_open("db:5432")` | `instance` | 1 when the port accepts a TCP connection (host defaults to 127.0.0.1), else 0 |
//! | `http_ok("http://127.0.0.1:8080/health")`, `http_ok("...", 5s)` | `instance` | 1 when a GET answers 2xx within the timeout (default 2s), else 0 |
//! | `log_rate(api, level=ERROR, 1m)` | `service` | the service's log lines at that level within the window (default 1m) |
//! | `log_match(api, "timeout\|refused", 5m)` | `service` | the service's log lines the regex matches within the window (default 1m) |
//! | `anomaly(service_cpu, 5m)`, `anomaly(cpu)`, `anomaly(service_rss, 10m, service=api)` | the series' (`service`, `core`, `mount`, `iface`; none for host-wide series) | 1 when the engine's detector (`metrics::anomaly`) flagged the series within the window (default 5m, memory 24h), else 0; every series of that metric in the latest sample. A named argument narrows by the label, as `{service="api"}` would |
//! | `disk_full` | `path` | 1 while writes to uc's state directory (the label) wait for space: the log capture, the log store or the outbox hit ENOSPC, or its file system has (next to) no space left; else 0 |
//! | `log_pattern_flagged` | `pattern` | lines of each log pattern the engine flagged (mostly ERROR/FATAL, or new and growing); the label reads `api [errors] Connection to <*> refused` |
//!
//! `service_cpu`, `service_rss`, `service_threads`, `service_procs` and `service_fds` exist
//! for running services only. Probes and log counts have no value until the engine has a
//! first reading; a missing value never fires. Service names in functions may be written
//! bare or quoted; strings take `"` or `'`, and a backslash before anything but a quote, a
//! backslash, `n` or `t` is kept (`"\d+ ms"` is the regex `\d+ ms`).
//!
//! Bounds, checked when the rules load: an expression is at most 2 KiB, and a regex compiles
//! to at most 1 MiB with at most 32 levels of nesting (`config::values::compile`).

mod call;
mod parse;
mod select;

use std::fmt;
use std::time::Duration;

use super::model::Matcher;
use super::readings::{LogCountQuery, ProbeTarget};

/// A parsed expression. Two expressions are equal when their text is.
#[derive(Debug, Clone)]
pub struct Expr {
    text: String,
    source: Source,
    matchers: Vec<Matcher>,
    comparison: Option<Comparison>,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Expr {
    /// Parse an expression; errors carry the byte offset of the offending token.
    pub fn parse(text: &str) -> Result<Self, ExprError> {
        parse::parse(text)
    }

    /// The expression as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn comparison(&self) -> Option<Comparison> {
        self.comparison
    }

    /// The name of the label that tells the elements apart (`service`, `mount`, ...);
    /// `None` for host-wide metrics, which have one element.
    pub fn series_label(&self) -> Option<&'static str> {
        match &self.source {
            Source::Metric(metric) => metric.label(),
            Source::RestartsIn(_) | Source::Log(_) => Some("service"),
            Source::Anomaly { series, .. } => series.label_name(),
            Source::Probe { .. } => Some("instance"),
        }
    }

    /// Whether the expression reads the ports services declare (`service_port_open`): the
    /// engine then probes each of them.
    pub fn reads_declared_ports(&self) -> bool {
        matches!(self.source, Source::Metric(Metric::DeclaredPorts))
    }

    /// The probe the engine must run for this expression, if any.
    pub fn probe(&self) -> Option<&ProbeTarget> {
        match &self.source {
            Source::Probe { probe, .. } => Some(probe),
            _ => None,
        }
    }

    /// The log lines the engine must count for this expression, if any.
    pub fn log_query(&self) -> Option<&LogCountQuery> {
        match &self.source {
            Source::Log(query) => Some(query),
            _ => None,
        }
    }

    /// Whether an element with this value satisfies the expression.
    pub fn holds(&self, value: f64) -> bool {
        match self.comparison {
            Some(c) => c.op.holds(value, c.threshold),
            None => value != 0.0,
        }
    }

    /// Service names the expression refers to literally (functions' arguments and
    /// `service="x"` matchers), to check against the workspace.
    pub fn services(&self) -> Vec<&str> {
        if let Source::Log(query) = &self.source {
            return vec![query.service.as_str()];
        }
        let by_service = self.series_label() == Some("service");
        self.matchers
            .iter()
            .filter(|m| by_service && m.op == super::MatchOp::Eq)
            .map(|m| m.value.as_str())
            .collect()
    }
}

/// A threshold as written after a comparison (`80`, `512Mi`, `1.5k`), for values such as
/// a rule's `clear` that must read like the expression's.
pub fn threshold(text: &str) -> Option<f64> {
    parse::number(text.trim()).ok()
}

/// `> 80`: the operator and the threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    pub op: Cmp,
    pub threshold: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Cmp {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::Gt => value > threshold,
            Self::Ge => value >= threshold,
            Self::Lt => value < threshold,
            Self::Le => value <= threshold,
            Self::Eq => value == threshold,
            Self::Ne => value != threshold,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Eq => "==",
            Self::Ne => "!=",
        }
    }
}

/// Why an expression did not parse; `offset` is a byte offset into the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// Where an expression's elements come from, resolved at parse time.
#[derive(Debug, Clone)]
enum Source {
    Metric(Metric),
    RestartsIn(Duration),
    /// `instance` is the probe's label value, formatted once.
    Probe {
        probe: ProbeTarget,
        instance: String,
    },
    Log(LogCountQuery),
    /// `anomaly(series, window)`: whether the detector flagged each series of the metric.
    Anomaly {
        series: crate::metrics::Metric,
        window: Duration,
    },
}

/// The metrics a selector may name, grouped by where their elements come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Host(HostMetric),
    Core,
    Disk(DiskMetric),
    Net(NetMetric),
    Process(ProcessMetric),
    State(StateMetric),
    /// Patterns the logs worker flagged (mostly errors, or new and growing).
    LogPattern,
    /// Services whose restart policy gave up with `then: alert`.
    Escalated,
    /// Whether the ports a running service declares answer.
    DeclaredPorts,
    /// Writes to the state directory wait for space.
    DiskFull,
    /// Services whose latest deploy failed or was rolled back.
    DeployFailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostMetric {
    Cpu,
    Load1,
    Load5,
    Load15,
    MemPct,
    MemUsed,
    SwapPct,
    SwapUsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiskMetric {
    UsedPct,
    FreePct,
    Free,
    ReadBps,
    WriteBps,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NetMetric {
    RxBps,
    TxBps,
}

/// Read from a running service's process tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProcessMetric {
    Cpu,
    Rss,
    Threads,
    Fds,
    Procs,
}

/// Read from the supervisor's status of every configured service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StateMetric {
    Up,
    Down,
    Healthy,
    Restarts,
}

const METRICS: [(&str, Metric); 30] = [
    ("cpu", Metric::Host(HostMetric::Cpu)),
    ("load1", Metric::Host(HostMetric::Load1)),
    ("load5", Metric::Host(HostMetric::Load5)),
    ("load15", Metric::Host(HostMetric::Load15)),
    ("mem_pct", Metric::Host(HostMetric::MemPct)),
    ("mem_used", Metric::Host(HostMetric::MemUsed)),
    ("swap_pct", Metric::Host(HostMetric::SwapPct)),
    ("swap_used", Metric::Host(HostMetric::SwapUsed)),
    ("core_cpu", Metric::Core),
    ("disk_used_pct", Metric::Disk(DiskMetric::UsedPct)),
    ("disk_free_pct", Metric::Disk(DiskMetric::FreePct)),
    ("disk_free", Metric::Disk(DiskMetric::Free)),
    ("disk_read_bps", Metric::Disk(DiskMetric::ReadBps)),
    ("disk_write_bps", Metric::Disk(DiskMetric::WriteBps)),
    ("net_rx_bps", Metric::Net(NetMetric::RxBps)),
    ("net_tx_bps", Metric::Net(NetMetric::TxBps)),
    ("service_cpu", Metric::Process(ProcessMetric::Cpu)),
    ("service_rss", Metric::Process(ProcessMetric::Rss)),
    ("service_threads", Metric::Process(ProcessMetric::Threads)),
    ("service_fds", Metric::Process(ProcessMetric::Fds)),
    ("service_procs", Metric::Process(ProcessMetric::Procs)),
    ("service_up", Metric::State(StateMetric::Up)),
    ("service_down", Metric::State(StateMetric::Down)),
    ("service_healthy", Metric::State(StateMetric::Healthy)),
    ("service_restarts", Metric::State(StateMetric::Restarts)),
    ("log_pattern_flagged", Metric::LogPattern),
    ("service_escalated", Metric::Escalated),
    ("service_port_open", Metric::DeclaredPorts),
    ("disk_full", Metric::DiskFull),
    ("deploy_failed", Metric::DeployFailed),
];

/// Function names, with an example for messages.
const FUNCTIONS: [(&str, &str); 6] = [
    ("anomaly", "anomaly(service_cpu, 5m)"),
    ("restarts_in", "restarts_in(10m)"),
    ("port_open", "port_open(5432)"),
    ("http_ok", "http_ok(\"http://127.0.0.1:8080/health\")"),
    ("log_rate", "log_rate(api, level=ERROR, 1m)"),
    ("log_match", "log_match(api, \"timeout\", 5m)"),
];

impl Metric {
    fn named(name: &str) -> Option<Self> {
        METRICS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
    }

    fn label(self) -> Option<&'static str> {
        match self {
            Self::Host(_) => None,
            Self::Core => Some("core"),
            Self::Disk(_) => Some("mount"),
            Self::Net(_) => Some("iface"),
            Self::Process(_)
            | Self::State(_)
            | Self::Escalated
            | Self::DeclaredPorts
            | Self::DeployFailed => Some("service"),
            Self::LogPattern => Some("pattern"),
            Self::DiskFull => Some("path"),
        }
    }
}

#[cfg(test)]
mod anomaly_tests;
#[cfg(test)]
mod tests;
