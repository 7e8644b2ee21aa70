//! What drawing reads, worked out once per update: series slices, axes, table rows.

use crate::metrics::{AnomalySpan, Metric, SeriesKey};

use super::SPARK_POINTS;

/// The eight heights of a one-line sparkline.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// What a chart draws for one series: cached history (long windows) and then the live points
/// from memory, both borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Series<'a> {
    pub history: &'a [(f64, f64)],
    pub live: &'a [(f64, f64)],
    /// A long window whose history has not arrived yet.
    pub loading: bool,
    /// A long window whose history could not be read (the error went to the status line).
    pub failed: bool,
    /// The stretches of the window the anomaly detector flagged: those of the cached
    /// history, then those in memory (the two may overlap).
    pub anomalies: [&'a [AnomalySpan]; 2],
}

impl<'a> Series<'a> {
    /// Whether the detector flagged the series anywhere in the window.
    pub fn anomalous(&self) -> bool {
        self.anomalies.iter().any(|spans| !spans.is_empty())
    }

    /// The runs of points (of the history, then of the live tail) inside flagged stretches:
    /// what the charts draw again in the alarm colour. Slices, no copies.
    pub fn flagged(&self) -> impl Iterator<Item = &'a [(f64, f64)]> + '_ {
        [self.history, self.live].into_iter().flat_map(move |data| {
            self.anomalies
                .into_iter()
                .flatten()
                .filter_map(move |span| {
                    let first = data.partition_point(|p| p.0 < span.from);
                    let end = data.partition_point(|p| p.0 <= span.to);
                    (first < end).then(|| &data[first..end])
                })
        })
    }
}

/// A chart's value axis: `[0, max]`, labelled `0` and `label`.
#[derive(Debug, Clone, PartialEq)]
pub struct YAxis {
    pub max: f64,
    pub label: String,
}

impl Default for YAxis {
    fn default() -> Self {
        Self {
            max: 1.0,
            label: String::new(),
        }
    }
}

/// The metrics cells of one running service's row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceRow {
    /// `12.3%`
    pub cpu: String,
    /// `45.6M`
    pub rss: String,
    /// CPU over the last [`SPARK_POINTS`] samples, newest last; draw a tail of it.
    pub spark: String,
}

/// The graphs of the selected service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceGraphs {
    pub name: String,
    pub cpu_key: SeriesKey,
    pub rss_key: SeriesKey,
    /// `cpu 12.3%`
    pub cpu_title: String,
    /// `rss 45.6M · 7 threads · 23 fds`
    pub rss_title: String,
    pub cpu_axis: YAxis,
    pub rss_axis: YAxis,
}

/// One core's cell in the host view.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreRow {
    pub label: String,
    pub spark: String,
    /// `45%`
    pub pct: String,
}

/// One mount's gauge line.
#[derive(Debug, Clone, PartialEq)]
pub struct DiskRow {
    pub mount: String,
    /// Used, 0–1.
    pub ratio: f64,
    /// ` 45%`
    pub pct: String,
    /// `120G of 256G`
    pub usage: String,
    /// `r 1.2M/s  w 300K/s`
    pub io: String,
}

/// One interface's line.
#[derive(Debug, Clone, PartialEq)]
pub struct NetRow {
    pub iface: String,
    pub rx: String,
    pub rx_spark: String,
    pub tx: String,
    pub tx_spark: String,
}

/// Everything the host view shows.
#[derive(Debug, Clone, PartialEq)]
pub struct HostGraphs {
    /// Whether a sample has arrived.
    pub sampled: bool,
    pub cpu_key: SeriesKey,
    pub mem_key: SeriesKey,
    pub swap_key: SeriesKey,
    /// `cpu 23.4% · load 1.20 0.80 0.50`
    pub cpu_title: String,
    /// `mem 5.2G/15.6G`
    pub mem_title: String,
    /// `swap 100M/2.0G`; `None` without swap.
    pub swap_title: Option<String>,
    pub cpu_axis: YAxis,
    pub mem_axis: YAxis,
    pub cores: Vec<CoreRow>,
    pub disks: Vec<DiskRow>,
    pub nets: Vec<NetRow>,
}

impl Default for HostGraphs {
    fn default() -> Self {
        Self {
            sampled: false,
            cpu_key: SeriesKey::host(Metric::HostCpu),
            mem_key: SeriesKey::host(Metric::MemUsed),
            swap_key: SeriesKey::host(Metric::SwapUsed),
            cpu_title: "cpu -".to_string(),
            mem_title: "mem -".to_string(),
            swap_title: None,
            cpu_axis: percent_axis(100.0),
            mem_axis: YAxis::default(),
            cores: vec![],
            disks: vec![],
            nets: vec![],
        }
    }
}

/// The points with `t >= from`.
pub(super) fn since(points: &[(f64, f64)], from: f64) -> &[(f64, f64)] {
    &points[points.partition_point(|p| p.0 < from)..]
}

/// The scale of a sparkline over the last [`SPARK_POINTS`]: their largest value, at least
/// `floor`.
pub(super) fn spark_max(points: &[(f64, f64)], floor: f64) -> f64 {
    let points = &points[points.len().saturating_sub(SPARK_POINTS)..];
    points.iter().map(|p| p.1).fold(floor, f64::max)
}

/// The last [`SPARK_POINTS`] values as bars, scaled to their largest value (at least
/// `floor`, so that noise stays flat).
pub fn spark(points: &[(f64, f64)], floor: f64) -> String {
    let max = spark_max(points, floor);
    points[points.len().saturating_sub(SPARK_POINTS)..]
        .iter()
        .map(|&(_, v)| BARS[((v / max).clamp(0.0, 1.0) * 7.0).round() as usize])
        .collect()
}

/// The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ that is at least `x`: round
/// enough to read, close enough that the line uses the chart's height.
pub fn nice_ceil(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 1.0;
    }
    let decade = 10f64.powf(x.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&v| v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * decade)
}

pub(super) fn percent_axis(max: f64) -> YAxis {
    YAxis {
        max,
        label: format!("{max}%"),
    }
}

/// A round byte size at least `x`, in the unit that reads best: `50M`, `2.5G`.
pub(super) fn bytes_axis(x: f64) -> YAxis {
    const UNITS: [&str; 6] = ["B", "K", "M", "G", "T", "P"];
    let mut unit = 0;
    let mut value = x.max(1.0);
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let nice = nice_ceil(value);
    YAxis {
        max: nice * 1024f64.powi(unit as i32),
        label: format!("{nice}{}", UNITS[unit]),
    }
}
