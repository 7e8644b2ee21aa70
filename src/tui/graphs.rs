//! The graphs' state: the last ten minutes of every series in memory (fed by metrics events
//! and by the glue's prefill), the time window the charts show, history for the windows
//! longer than memory (requested, cached, refreshed while shown), and everything drawing
//! needs that can be worked out once per update: table cells, titles, axis ranges and labels,
//! sparklines. Drawing borrows from here; it never builds point vectors.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::metrics::{
    HistoryQuery, HistoryResponse, Metric, RECENT_POINTS, Recent, Ring, Sample, SeriesKey,
};

use super::panes::format;

/// Points behind every small sparkline (services table, cores, network): the last minute.
pub const SPARK_POINTS: usize = 60;
/// How long an unanswered history request holds back the next one.
const REQUEST_TIMEOUT_MS: u64 = 20_000;
/// The tier of the glue's prefill, and of any answer served from the engine's memory.
const MEMORY_TIER: &str = "memory";
/// The eight heights of a one-line sparkline.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// How far back the charts look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeWindow {
    M1,
    #[default]
    M5,
    H1,
    H24,
}

impl TimeWindow {
    pub const ALL: [Self; 4] = [Self::M1, Self::M5, Self::H1, Self::H24];

    pub fn secs(self) -> u64 {
        match self {
            Self::M1 => 60,
            Self::M5 => 300,
            Self::H1 => 3600,
            Self::H24 => 86_400,
        }
    }

    /// `1m`, `5m`, `1h`, `24h`.
    pub fn label(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M5 => "5m",
            Self::H1 => "1h",
            Self::H24 => "24h",
        }
    }

    /// The label of the time axis' left end.
    pub fn ago(self) -> &'static str {
        match self {
            Self::M1 => "-1m",
            Self::M5 => "-5m",
            Self::H1 => "-1h",
            Self::H24 => "-24h",
        }
    }

    /// `1m`, `5m`, `1h`, `24h` (also `60s`, `60m`, `1d`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1m" | "60s" => Some(Self::M1),
            "5m" => Some(Self::M5),
            "1h" | "60m" => Some(Self::H1),
            "24h" | "1d" => Some(Self::H24),
            _ => None,
        }
    }

    /// The next longer window, back to the shortest after the longest.
    pub fn next(self) -> Self {
        match self {
            Self::M1 => Self::M5,
            Self::M5 => Self::H1,
            Self::H1 => Self::H24,
            Self::H24 => Self::M1,
        }
    }

    /// Whether the window is longer than what memory keeps: its charts read history.
    pub fn uses_history(self) -> bool {
        matches!(self, Self::H1 | Self::H24)
    }

    /// How old shown history may get before it is asked for again.
    fn refresh_ms(self) -> u64 {
        match self {
            Self::H1 => 30_000,
            Self::H24 => 300_000,
            Self::M1 | Self::M5 => u64::MAX,
        }
    }
}

/// One series' history for one window, as the engine answered it.
#[derive(Debug, Clone, PartialEq)]
struct Cached {
    /// `(t, avg)`, oldest first.
    points: Vec<(f64, f64)>,
    /// Unix ms of the answer (or of the failure).
    fetched_ms: u64,
    failed: bool,
}

/// The history request waiting for its answer (one at a time: the latest need wins).
#[derive(Debug, Clone, PartialEq)]
struct InFlight {
    window: TimeWindow,
    series: Vec<SeriesKey>,
    sent_ms: u64,
}

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
}

impl Series<'_> {
    pub fn is_empty(&self) -> bool {
        self.history.is_empty() && self.live.is_empty()
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

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graphs {
    recent: Recent,
    window: TimeWindow,
    /// Time of the newest point in memory (unix s).
    latest: f64,
    history: HashMap<TimeWindow, BTreeMap<SeriesKey, Cached>>,
    in_flight: Option<InFlight>,
    rows: HashMap<String, ServiceRow>,
    selected: Option<ServiceGraphs>,
    host: HostGraphs,
}

impl Graphs {
    pub fn window(&self) -> TimeWindow {
        self.window
    }

    /// Call [`Graphs::derive`] after.
    pub fn set_window(&mut self, window: TimeWindow) {
        self.window = window;
    }

    pub fn recent(&self) -> &Recent {
        &self.recent
    }

    /// Feed one sample into memory (older or repeated samples are ignored).
    pub fn push(&mut self, sample: &Sample) {
        let t = sample.t();
        if t <= self.latest {
            return;
        }
        self.recent.push(sample);
        self.latest = t;
        self.recent.drop_stale(t - RECENT_POINTS as f64);
    }

    /// Merge a history answer's averages into memory, keeping the points already there.
    pub fn prefill(&mut self, response: &HistoryResponse) {
        let incoming: BTreeMap<&SeriesKey, Vec<(f64, f64)>> = response
            .series
            .iter()
            .map(|s| (&s.key, s.points.iter().map(|p| (p.t, p.avg)).collect()))
            .collect();
        let keys: BTreeSet<&SeriesKey> = self
            .recent
            .iter()
            .map(|(k, _)| k)
            .chain(incoming.keys().copied())
            .collect();
        let mut merged = Recent::default();
        for key in keys {
            let old = self.recent.get(key).map_or(&[][..], Ring::as_slice);
            let new = incoming.get(key).map_or(&[][..], Vec::as_slice);
            let (mut i, mut j) = (0, 0);
            while i < old.len() || j < new.len() {
                let point = match (old.get(i), new.get(j)) {
                    (Some(a), Some(b)) if a.0 == b.0 => {
                        j += 1;
                        i += 1;
                        *a
                    }
                    (Some(a), Some(b)) if b.0 < a.0 => {
                        j += 1;
                        *b
                    }
                    (Some(a), _) => {
                        i += 1;
                        *a
                    }
                    (None, Some(b)) => {
                        j += 1;
                        *b
                    }
                    (None, None) => break,
                };
                self.latest = self.latest.max(point.0);
                merged.push_point(key.clone(), point.0, point.1);
            }
        }
        self.recent = merged;
        self.recent.drop_stale(self.latest - RECENT_POINTS as f64);
    }

    /// Fold in an answer to [`Request::History`](super::Request::History) or the prefill.
    /// Returns the error to show, if it is one.
    pub fn on_history(
        &mut self,
        result: Result<HistoryResponse, String>,
        now_ms: u64,
    ) -> Option<String> {
        match result {
            Ok(response) => {
                let answers = self.in_flight.as_ref().is_some_and(|f| {
                    response.tier != MEMORY_TIER
                        || (!response.series.is_empty()
                            && response.series.iter().all(|s| f.series.contains(&s.key)))
                });
                if response.tier == MEMORY_TIER {
                    self.prefill(&response);
                }
                if let Some(request) = self.in_flight.take_if(|_| answers) {
                    let cache = self.history.entry(request.window).or_default();
                    for key in request.series {
                        let points = response
                            .series
                            .iter()
                            .find(|s| s.key == key)
                            .map(|s| s.points.iter().map(|p| (p.t, p.avg)).collect())
                            .unwrap_or_default();
                        let cached = Cached {
                            points,
                            fetched_ms: now_ms,
                            failed: false,
                        };
                        cache.insert(key, cached);
                    }
                }
                None
            }
            Err(error) => {
                if let Some(request) = self.in_flight.take() {
                    let cache = self.history.entry(request.window).or_default();
                    for key in request.series {
                        let cached = cache.entry(key).or_insert_with(|| Cached {
                            points: vec![],
                            fetched_ms: now_ms,
                            failed: true,
                        });
                        cached.fetched_ms = now_ms;
                        cached.failed = true;
                    }
                }
                Some(error)
            }
        }
    }

    /// The history request to send now for the series on screen, if any: when the window
    /// reads history, something shown is missing or stale, and no request is waiting.
    pub fn next_query(&mut self, shown: &[SeriesKey], now_ms: u64) -> Option<HistoryQuery> {
        if let Some(request) = &self.in_flight {
            if now_ms.saturating_sub(request.sent_ms) < REQUEST_TIMEOUT_MS {
                return None;
            }
            self.in_flight = None;
        }
        let window = self.window;
        if !window.uses_history() || shown.is_empty() {
            return None;
        }
        let cache = self.history.get(&window);
        let stale = shown.iter().any(|key| {
            cache
                .and_then(|c| c.get(key))
                .is_none_or(|c| now_ms.saturating_sub(c.fetched_ms) >= window.refresh_ms())
        });
        if !stale {
            return None;
        }
        self.in_flight = Some(InFlight {
            window,
            series: shown.to_vec(),
            sent_ms: now_ms,
        });
        Some(HistoryQuery {
            series: shown.to_vec(),
            since: window.secs(),
            step: None,
        })
    }

    /// Whether a history request is waiting for its answer.
    pub fn is_loading(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The series the charts show: the selected service's, or the host's.
    pub fn shown(&self, host: bool) -> Vec<SeriesKey> {
        if host {
            let h = &self.host;
            vec![h.cpu_key.clone(), h.mem_key.clone(), h.swap_key.clone()]
        } else {
            self.selected
                .as_ref()
                .map(|s| vec![s.cpu_key.clone(), s.rss_key.clone()])
                .unwrap_or_default()
        }
    }

    /// A series over the current window ending at `now` (unix s): slices, no copies.
    pub fn series(&self, key: &SeriesKey, now: f64) -> Series<'_> {
        let from = now - self.window.secs() as f64;
        let live = self.recent.get(key).map_or(&[][..], Ring::as_slice);
        if !self.window.uses_history() {
            return Series {
                history: &[],
                live: since(live, from),
                loading: false,
                failed: false,
            };
        }
        let cached = self.history.get(&self.window).and_then(|c| c.get(key));
        let history = since(cached.map_or(&[][..], |c| c.points.as_slice()), from);
        let live = match history.last() {
            Some(&(last, _)) => &live[live.partition_point(|p| p.0 <= last)..],
            None => since(live, from),
        };
        Series {
            history,
            live,
            loading: cached.is_none(),
            failed: cached.is_some_and(|c| c.failed),
        }
    }

    /// The metrics cells of a service's row, while it runs.
    pub fn row(&self, service: &str) -> Option<&ServiceRow> {
        self.rows.get(service)
    }

    pub fn selected(&self) -> Option<&ServiceGraphs> {
        self.selected.as_ref()
    }

    pub fn host(&self) -> &HostGraphs {
        &self.host
    }

    /// Work out what drawing needs from the latest sample and the selection.
    pub fn derive(&mut self, sample: Option<&Sample>, selected: Option<&str>) {
        let now = self.latest;
        self.rows = sample
            .map(|sample| {
                sample
                    .services
                    .iter()
                    .map(|s| {
                        let key = SeriesKey::new(Metric::ServiceCpu, &s.name);
                        let row = ServiceRow {
                            cpu: format::percent(f64::from(s.cpu_pct)),
                            rss: format::bytes(s.rss as f64),
                            spark: spark(self.points(&key), 5.0),
                        };
                        (s.name.clone(), row)
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.selected = selected.map(|name| self.service_graphs(name, sample, now));
        self.host = self.host_graphs(sample);
    }

    fn points(&self, key: &SeriesKey) -> &[(f64, f64)] {
        self.recent.get(key).map_or(&[], Ring::as_slice)
    }

    /// The largest value of a series over the window ending at `now`.
    fn max(&self, key: &SeriesKey, now: f64) -> f64 {
        let series = self.series(key, now);
        series
            .history
            .iter()
            .chain(series.live)
            .map(|p| p.1)
            .fold(0.0, f64::max)
    }

    fn service_graphs(&self, name: &str, sample: Option<&Sample>, now: f64) -> ServiceGraphs {
        let cpu_key = SeriesKey::new(Metric::ServiceCpu, name);
        let rss_key = SeriesKey::new(Metric::ServiceRss, name);
        let current = sample.and_then(|s| s.service(name));
        let cpu_title = match current {
            Some(s) => format!("cpu {}", format::percent(f64::from(s.cpu_pct))),
            None => "cpu -".to_string(),
        };
        let rss_title = match current {
            Some(s) => {
                let mut title = format!(
                    "rss {} · {} threads",
                    format::bytes(s.rss as f64),
                    s.threads
                );
                if let Some(fds) = s.fds {
                    title.push_str(&format!(" · {fds} fds"));
                }
                title
            }
            None => "rss -".to_string(),
        };
        ServiceGraphs {
            name: name.to_string(),
            cpu_axis: percent_axis(nice_ceil(self.max(&cpu_key, now).max(5.0) * 1.05)),
            rss_axis: bytes_axis(self.max(&rss_key, now).max(1024.0 * 1024.0) * 1.05),
            cpu_key,
            rss_key,
            cpu_title,
            rss_title,
        }
    }

    fn host_graphs(&self, sample: Option<&Sample>) -> HostGraphs {
        let Some(sample) = sample else {
            return HostGraphs::default();
        };
        let h = &sample.host;
        let cores = h
            .cores
            .iter()
            .enumerate()
            .map(|(i, pct)| {
                let key = SeriesKey::new(Metric::CoreCpu, i.to_string());
                CoreRow {
                    label: i.to_string(),
                    spark: spark(self.points(&key), 100.0),
                    pct: format!("{pct:.0}%"),
                }
            })
            .collect();
        let disks = h
            .disks
            .iter()
            .map(|d| DiskRow {
                mount: d.mount.clone(),
                ratio: (d.used_pct() / 100.0).clamp(0.0, 1.0),
                pct: format!("{:3.0}%", d.used_pct()),
                usage: format!(
                    "{} of {}",
                    format::bytes(d.used as f64),
                    format::bytes(d.total as f64)
                ),
                io: format!(
                    "r {}  w {}",
                    format::rate(d.read_bps),
                    format::rate(d.write_bps)
                ),
            })
            .collect();
        let nets = h
            .nets
            .iter()
            .map(|n| {
                let rx = self.points(&SeriesKey::new(Metric::NetRxBps, &n.iface));
                let tx = self.points(&SeriesKey::new(Metric::NetTxBps, &n.iface));
                // One scale for both directions, so they compare at a glance.
                let floor = spark_max(rx, 10_240.0).max(spark_max(tx, 10_240.0));
                NetRow {
                    iface: n.iface.clone(),
                    rx: format::rate(n.rx_bps),
                    rx_spark: spark(rx, floor),
                    tx: format::rate(n.tx_bps),
                    tx_spark: spark(tx, floor),
                }
            })
            .collect();
        let swap = h.swap_total > 0;
        let mem_max = h.mem_total.max(if swap { h.swap_total } else { 0 }).max(1) as f64;
        HostGraphs {
            sampled: true,
            cpu_title: format!(
                "cpu {} · load {:.2} {:.2} {:.2}",
                format::percent(f64::from(h.cpu_pct)),
                h.load[0],
                h.load[1],
                h.load[2]
            ),
            mem_title: format!(
                "mem {}/{}",
                format::bytes(h.mem_used as f64),
                format::bytes(h.mem_total as f64),
            ),
            swap_title: swap.then(|| {
                format!(
                    "swap {}/{}",
                    format::bytes(h.swap_used as f64),
                    format::bytes(h.swap_total as f64)
                )
            }),
            cpu_axis: percent_axis(100.0),
            mem_axis: YAxis {
                max: mem_max,
                label: format::bytes(mem_max),
            },
            cores,
            disks,
            nets,
            ..HostGraphs::default()
        }
    }
}

/// The points with `t >= from`.
fn since(points: &[(f64, f64)], from: f64) -> &[(f64, f64)] {
    &points[points.partition_point(|p| p.0 < from)..]
}

/// The scale of a sparkline over the last [`SPARK_POINTS`]: their largest value, at least
/// `floor`.
fn spark_max(points: &[(f64, f64)], floor: f64) -> f64 {
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

fn percent_axis(max: f64) -> YAxis {
    YAxis {
        max,
        label: format!("{max}%"),
    }
}

/// A round byte size at least `x`, in the unit that reads best: `50M`, `2.5G`.
fn bytes_axis(x: f64) -> YAxis {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{HostSample, Point, SeriesHistory, ServiceSample};

    const T0: u64 = 1_700_000_000_000;

    fn sample(i: u64, cpu: f32) -> Sample {
        Sample {
            at: T0 + i * 1000,
            host: HostSample {
                cpu_pct: cpu,
                cores: vec![cpu, 100.0 - cpu],
                mem_used: 4 << 30,
                mem_total: 16 << 30,
                ..HostSample::default()
            },
            services: vec![ServiceSample {
                name: "api".into(),
                cpu_pct: cpu,
                rss: 45 << 20,
                threads: 7,
                fds: Some(23),
                ..ServiceSample::default()
            }],
        }
    }

    fn key(metric: Metric, label: &str) -> SeriesKey {
        SeriesKey::new(metric, label)
    }

    fn response(tier: &str, key: SeriesKey, ts: &[f64]) -> HistoryResponse {
        HistoryResponse {
            tier: tier.into(),
            step: 1,
            series: vec![SeriesHistory {
                key,
                points: ts
                    .iter()
                    .map(|&t| Point {
                        t,
                        avg: t,
                        min: t,
                        max: t,
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn windows_parse_and_cycle() {
        for w in TimeWindow::ALL {
            assert_eq!(TimeWindow::parse(w.label()), Some(w));
            assert_eq!(w.ago(), format!("-{}", w.label()));
        }
        assert_eq!(TimeWindow::parse(" 1D "), Some(TimeWindow::H24));
        assert_eq!(TimeWindow::parse("2h"), None);
        assert_eq!(TimeWindow::default().next(), TimeWindow::H1);
        assert_eq!(TimeWindow::H24.next(), TimeWindow::M1);
    }

    #[test]
    fn nice_numbers_and_axes() {
        assert_eq!(nice_ceil(0.0), 1.0);
        assert_eq!(nice_ceil(7.0), 8.0);
        assert_eq!(nice_ceil(21.0), 25.0);
        assert_eq!(nice_ceil(100.0), 100.0);
        assert_eq!(nice_ceil(101.0), 120.0);
        assert_eq!(nice_ceil(850.0), 1000.0);
        assert_eq!(bytes_axis(45.6 * 1024.0 * 1024.0).label, "50M");
        assert_eq!(bytes_axis(1100.0 * 1024.0 * 1024.0).label, "1.2G");
        assert_eq!(bytes_axis(2.1 * 1024.0 * 1024.0 * 1024.0).label, "2.5G");
        assert_eq!(percent_axis(25.0).label, "25%");
    }

    #[test]
    fn sparklines_scale_to_their_max_with_a_floor() {
        let points: Vec<(f64, f64)> = (0..100)
            .map(|i| (f64::from(i), f64::from(i % 10)))
            .collect();
        let line = spark(&points, 1.0);
        assert_eq!(line.chars().count(), SPARK_POINTS);
        assert!(line.ends_with('█'), "{line}");
        assert_eq!(spark(&[(0.0, 0.1), (1.0, 0.2)], 5.0), "▁▁");
        assert_eq!(spark(&[], 5.0), "");
    }

    #[test]
    fn samples_feed_memory_and_rows() {
        let mut g = Graphs::default();
        for i in 0..10 {
            g.push(&sample(i, i as f32 * 10.0));
        }
        g.push(&sample(5, 0.0)); // from the past: ignored
        g.derive(None, None);
        assert!(g.row("api").is_none());
        let last = sample(9, 90.0);
        g.derive(Some(&last), Some("api"));
        let row = g.row("api").unwrap();
        assert_eq!((row.cpu.as_str(), row.rss.as_str()), ("90.0%", "45.0M"));
        assert_eq!(row.spark.chars().count(), 10);
        let s = g.selected().unwrap();
        assert_eq!(s.cpu_title, "cpu 90.0%");
        assert_eq!(s.rss_title, "rss 45.0M · 7 threads · 23 fds");
        assert_eq!(s.cpu_axis.label, "100%");
        assert_eq!(s.rss_axis.label, "50M");
        let now = last.t();
        let cpu = s.cpu_key.clone();
        assert_eq!(g.series(&cpu, now).live.len(), 10);
        g.set_window(TimeWindow::M1);
        assert_eq!(g.series(&cpu, now + 55.0).live.len(), 6);
        let host = g.host();
        assert_eq!(host.cores.len(), 2);
        assert_eq!(host.mem_title, "mem 4.0G/16.0G");
        assert_eq!(host.swap_title, None);
    }

    #[test]
    fn prefill_merges_with_points_already_in_memory() {
        let mut g = Graphs::default();
        g.push(&sample(5, 50.0));
        g.push(&sample(6, 60.0));
        let cpu = key(Metric::HostCpu, "");
        let t = |i: u64| (T0 + i * 1000) as f64 / 1000.0;
        let prefill = response("memory", cpu.clone(), &[t(3), t(4), t(5), t(7)]);
        assert_eq!(g.on_history(Ok(prefill), 0), None);
        let points: Vec<f64> = g
            .recent()
            .get(&cpu)
            .unwrap()
            .as_slice()
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(points, [t(3), t(4), t(5), t(6), t(7)]);
        // Memory keeps the value it had for t(5).
        assert_eq!(g.recent().get(&cpu).unwrap().as_slice()[2].1, 50.0);
        // Series only in memory survive.
        assert!(g.recent().get(&key(Metric::ServiceCpu, "api")).is_some());
    }

    #[test]
    fn history_is_requested_cached_refreshed_and_matched() {
        let mut g = Graphs::default();
        let cpu = key(Metric::ServiceCpu, "api");
        let shown = [cpu.clone()];
        assert_eq!(g.next_query(&shown, T0), None, "5m reads memory");
        g.set_window(TimeWindow::H1);
        let query = g.next_query(&shown, T0).unwrap();
        assert_eq!(query.since, 3600);
        assert_eq!(query.series, shown);
        assert!(g.series(&cpu, 0.0).loading);
        assert_eq!(
            g.next_query(&shown, T0 + 1000),
            None,
            "one request at a time"
        );
        // The prefill arriving meanwhile is not the answer.
        let prefill = HistoryResponse {
            tier: "memory".into(),
            step: 1,
            series: vec![],
        };
        g.on_history(Ok(prefill), T0);
        assert!(g.is_loading());
        g.on_history(Ok(response("1m", cpu.clone(), &[10.0, 20.0])), T0 + 500);
        assert!(!g.is_loading());
        let series = g.series(&cpu, 3000.0);
        assert_eq!(series.history, &[(10.0, 10.0), (20.0, 20.0)]);
        assert!(!series.loading);
        assert_eq!(g.next_query(&shown, T0 + 10_000), None, "fresh");
        assert!(
            g.next_query(&shown, T0 + 31_000).is_some(),
            "stale after 30 s"
        );
        // Errors are returned for the status line and stop the loading state.
        assert_eq!(
            g.on_history(Err("no store".into()), T0 + 32_000),
            Some("no store".into())
        );
        assert_eq!(g.series(&cpu, 3000.0).history.len(), 2, "old points kept");
        let other = [key(Metric::ServiceCpu, "db")];
        g.next_query(&other, T0 + 33_000).unwrap();
        g.on_history(Err("down".into()), T0 + 33_000);
        let failed = g.series(&other[0], 3000.0);
        assert!(failed.failed && !failed.loading);
        // A lost answer does not block forever.
        g.set_window(TimeWindow::H24);
        assert!(g.next_query(&shown, T0 + 40_000).is_some());
        assert!(g.next_query(&shown, T0 + 50_000).is_none());
        assert!(g.next_query(&shown, T0 + 61_000).is_some());
    }

    #[test]
    fn long_windows_draw_history_then_the_live_tail() {
        let mut g = Graphs::default();
        for i in 0..10 {
            g.push(&sample(i, 1.0));
        }
        let cpu = key(Metric::ServiceCpu, "api");
        g.set_window(TimeWindow::H1);
        g.next_query(std::slice::from_ref(&cpu), T0).unwrap();
        let t = |i: u64| (T0 + i * 1000) as f64 / 1000.0;
        g.on_history(Ok(response("raw", cpu.clone(), &[t(0) - 600.0, t(4)])), T0);
        let series = g.series(&cpu, t(9));
        assert_eq!(series.history.len(), 2);
        assert_eq!(series.live.first().map(|p| p.0), Some(t(5)));
        assert_eq!(series.live.len(), 5);
    }
}
