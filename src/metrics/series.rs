//! Names of the series every sample is flattened into. The names are stable: they are keys
//! in the history database and in the protocol.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Host CPU, percent of all cores.
    HostCpu,
    /// One core's CPU percent; label = core index.
    CoreCpu,
    Load1,
    MemUsed,
    MemTotal,
    SwapUsed,
    /// Label = mount point.
    DiskUsedPct,
    DiskReadBps,
    DiskWriteBps,
    /// Label = interface.
    NetRxBps,
    NetTxBps,
    /// Label = service; percent of one core.
    ServiceCpu,
    /// Label = service; bytes.
    ServiceRss,
    ServiceThreads,
    ServiceFds,
}

impl Metric {
    pub const ALL: [Metric; 15] = [
        Self::HostCpu,
        Self::CoreCpu,
        Self::Load1,
        Self::MemUsed,
        Self::MemTotal,
        Self::SwapUsed,
        Self::DiskUsedPct,
        Self::DiskReadBps,
        Self::DiskWriteBps,
        Self::NetRxBps,
        Self::NetTxBps,
        Self::ServiceCpu,
        Self::ServiceRss,
        Self::ServiceThreads,
        Self::ServiceFds,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::HostCpu => "host_cpu",
            Self::CoreCpu => "core_cpu",
            Self::Load1 => "load1",
            Self::MemUsed => "mem_used",
            Self::MemTotal => "mem_total",
            Self::SwapUsed => "swap_used",
            Self::DiskUsedPct => "disk_used_pct",
            Self::DiskReadBps => "disk_read_bps",
            Self::DiskWriteBps => "disk_write_bps",
            Self::NetRxBps => "net_rx_bps",
            Self::NetTxBps => "net_tx_bps",
            Self::ServiceCpu => "service_cpu",
            Self::ServiceRss => "service_rss",
            Self::ServiceThreads => "service_threads",
            Self::ServiceFds => "service_fds",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// What the series' label names: `core`, `mount`, `iface` or `service`; `None` for
    /// host-wide metrics.
    pub fn label_name(self) -> Option<&'static str> {
        match self {
            Self::CoreCpu => Some("core"),
            Self::DiskUsedPct | Self::DiskReadBps | Self::DiskWriteBps => Some("mount"),
            Self::NetRxBps | Self::NetTxBps => Some("iface"),
            Self::ServiceCpu | Self::ServiceRss | Self::ServiceThreads | Self::ServiceFds => {
                Some("service")
            }
            Self::HostCpu | Self::Load1 | Self::MemUsed | Self::MemTotal | Self::SwapUsed => None,
        }
    }
}

/// A series: a metric plus its label (core, mount, interface or service; empty for host-wide
/// metrics).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeriesKey {
    pub metric: Metric,
    #[serde(default)]
    pub label: String,
}

impl SeriesKey {
    pub fn new(metric: Metric, label: impl Into<String>) -> Self {
        Self {
            metric,
            label: label.into(),
        }
    }

    pub fn host(metric: Metric) -> Self {
        Self::new(metric, "")
    }

    /// `service_cpu:api` or `host_cpu`.
    pub fn parse(text: &str) -> Option<Self> {
        let (name, label) = text.split_once(':').unwrap_or((text, ""));
        Some(Self::new(Metric::from_name(name)?, label))
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.label.is_empty() {
            f.write_str(self.metric.name())
        } else {
            write!(f, "{}:{}", self.metric.name(), self.label)
        }
    }
}

/// One point of a history query: a bucket's time and its average, minimum and maximum. On
/// the wire a point is the array `[t, avg, min, max]`: a window of 40 series holds tens of
/// thousands of points, and field names would double the payload.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f64; 4]", into = "[f64; 4]")]
pub struct Point {
    /// Unix seconds (start of the bucket).
    pub t: f64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

impl From<[f64; 4]> for Point {
    fn from([t, avg, min, max]: [f64; 4]) -> Self {
        Self { t, avg, min, max }
    }
}

impl From<Point> for [f64; 4] {
    fn from(p: Point) -> Self {
        [p.t, p.avg, p.min, p.max]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_travel_as_arrays() {
        let p = Point {
            t: 60.0,
            avg: 2.5,
            min: 1.0,
            max: 4.0,
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "[60.0,2.5,1.0,4.0]");
        assert_eq!(serde_json::from_str::<Point>(&json).unwrap(), p);
    }

    #[test]
    fn keys_print_and_parse_back() {
        for key in [
            SeriesKey::host(Metric::HostCpu),
            SeriesKey::new(Metric::ServiceRss, "api"),
        ] {
            assert_eq!(SeriesKey::parse(&key.to_string()), Some(key));
        }
        assert_eq!(SeriesKey::parse("nope"), None);
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
    }
}

/// A history request (`GET /api/v1/metrics/history`): which series, over which window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    /// Empty: every series.
    #[serde(default)]
    pub series: Vec<SeriesKey>,
    /// Window start, seconds before now.
    pub since: u64,
    /// Bucket width in seconds; `None` lets the engine pick one from the window.
    #[serde(default)]
    pub step: Option<u64>,
}

/// One series' points over the requested window, oldest first, and the stretches of the
/// window the anomaly detector flagged it (oldest first, omitted when none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesHistory {
    pub key: SeriesKey,
    pub points: Vec<Point>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anomalies: Vec<AnomalySpan>,
}

/// A series the anomaly detector (`metrics::anomaly`) flagged at a sample, as carried with it:
/// since the first unusual sample of the run (unix s), and how unusual now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    pub series: SeriesKey,
    pub since: f64,
    pub score: f64,
}

/// A stretch the anomaly detector flagged a series: from the first unusual sample of the run
/// to the last flagged one (unix seconds), and the highest score it reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnomalySpan {
    pub from: f64,
    pub to: f64,
    pub score: f64,
}

impl AnomalySpan {
    /// Extends the span to a later flagged sample of the same run.
    pub fn extend(&mut self, t: f64, score: f64) {
        self.to = self.to.max(t);
        self.score = self.score.max(score);
    }
}

/// Where the answer came from: `memory` (the last 10 minutes), `raw` (1 s), `1m` or `1h`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryResponse {
    pub tier: String,
    pub step: u64,
    pub series: Vec<SeriesHistory>,
}
