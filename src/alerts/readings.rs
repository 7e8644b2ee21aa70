//! What the evaluator reads on each tick. The engine implements [`Readings`] over its live
//! state; [`FixedReadings`] is a plain in-memory one for tests and benchmarks.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::metrics::{Sample, SeriesKey};
use crate::protocol::{ServiceStatus, StorageInfo};

/// Everything rule expressions can read. Functions the engine cannot answer yet return
/// `None`, and a rule never fires on a reading it does not have.
pub trait Readings {
    /// The latest metrics sample (`None` before the first).
    fn sample(&self) -> Option<&Sample>;
    /// Every configured service, running or not.
    fn services(&self) -> &[ServiceStatus];
    /// How many times `service` was restarted within the last `window`.
    fn restarts_in(&self, service: &str, window: Duration) -> f64;
    /// The latest result of a probe the rules asked for (see `RuleSet::probes`).
    fn probe(&self, probe: &ProbeTarget) -> Option<bool>;
    /// Lines matching the query within its window (see `RuleSet::log_queries`).
    fn log_count(&self, query: &LogCountQuery) -> Option<f64>;
    /// Flagged log patterns: (`pattern` label, lines so far).
    fn log_patterns(&self) -> Vec<(String, f64)>;
    /// Services whose restart policy gave up with `then: alert` and that are still down.
    fn escalations(&self) -> Vec<String>;
    /// Services whose latest deploy failed or was rolled back.
    fn failed_deploys(&self) -> Vec<String>;
    /// The engine's own files: is the disk full (`disk_full`)?
    fn storage(&self) -> Option<&StorageInfo>;
    /// Whether the anomaly detector flagged the series within the last `window`.
    fn anomalous(&self, series: &SeriesKey, window: Duration) -> bool;
}

/// A check the engine runs on its own schedule for `port_open` and `http_ok`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProbeTarget {
    /// A TCP connection to `host:port` is accepted.
    Port { host: String, port: u16 },
    /// A GET of `url` answers with a 2xx status within `timeout`.
    Http { url: String, timeout: Duration },
}

impl ProbeTarget {
    /// The probes that tell whether the ports a service declares answer (on loopback).
    pub fn declared_ports(service: &ServiceStatus) -> impl Iterator<Item = Self> + '_ {
        service.ports.iter().map(|&port| Self::Port {
            host: "127.0.0.1".to_owned(),
            port,
        })
    }
}

impl fmt::Display for ProbeTarget {
    /// The `instance` label of the probe's series: `host:port` or the URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Port { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Self::Port { host, port } => write!(f, "{host}:{port}"),
            Self::Http { url, .. } => f.write_str(url),
        }
    }
}

/// Log lines of one service to count over a sliding window, for `log_rate` and `log_match`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogCountQuery {
    pub service: String,
    pub filter: LogFilter,
    pub window: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogFilter {
    /// Lines at this level, upper-case (`ERROR`, `WARN`, ...).
    Level(String),
    /// Lines the regex finds a match in (unanchored, as `grep`).
    Regex(String),
}

/// Readings held in plain fields. `restarts_in` answers from `restarts` and `anomalous` from
/// `anomalous` whatever the window.
#[derive(Debug, Clone, Default)]
pub struct FixedReadings {
    pub sample: Option<Sample>,
    pub services: Vec<ServiceStatus>,
    pub restarts: HashMap<String, f64>,
    pub probes: HashMap<ProbeTarget, bool>,
    pub logs: HashMap<LogCountQuery, f64>,
    pub log_patterns: Vec<(String, f64)>,
    pub escalations: Vec<String>,
    pub failed_deploys: Vec<String>,
    pub storage: Option<StorageInfo>,
    pub anomalous: Vec<SeriesKey>,
}

impl Readings for FixedReadings {
    fn sample(&self) -> Option<&Sample> {
        self.sample.as_ref()
    }

    fn services(&self) -> &[ServiceStatus] {
        &self.services
    }

    fn restarts_in(&self, service: &str, _window: Duration) -> f64 {
        self.restarts.get(service).copied().unwrap_or(0.0)
    }

    fn probe(&self, probe: &ProbeTarget) -> Option<bool> {
        self.probes.get(probe).copied()
    }

    fn log_count(&self, query: &LogCountQuery) -> Option<f64> {
        self.logs.get(query).copied()
    }

    fn log_patterns(&self) -> Vec<(String, f64)> {
        self.log_patterns.clone()
    }

    fn escalations(&self) -> Vec<String> {
        self.escalations.clone()
    }

    fn failed_deploys(&self) -> Vec<String> {
        self.failed_deploys.clone()
    }

    fn storage(&self) -> Option<&StorageInfo> {
        self.storage.as_ref()
    }

    fn anomalous(&self, series: &SeriesKey, _window: Duration) -> bool {
        self.anomalous.contains(series)
    }
}
