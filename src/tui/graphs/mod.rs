//! The graphs' state: the last ten minutes of every series in memory (fed by metrics events
//! and by the glue's prefill), the time window the charts show, history for the windows
//! longer than memory (requested, cached, refreshed while shown), and everything drawing
//! needs that can be worked out once per update: table cells, titles, axis ranges and labels,
//! sparklines. Drawing borrows from here; it never builds point vectors.

pub mod chart;
pub mod host;
#[cfg(test)]
mod tests;
mod view;
mod window;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::metrics::{
    AnomalySpan, HistoryQuery, HistoryResponse, Metric, RECENT_POINTS, Recent, Ring, Sample,
    SeriesKey,
};

use crate::format;

/// Points behind every small sparkline (services table, cores, network): the last minute.
pub const SPARK_POINTS: usize = 60;
/// How long an unanswered history request holds back the next one.
const REQUEST_TIMEOUT_MS: u64 = 20_000;
/// The tier of the glue's prefill, and of any answer served from the engine's memory.
const MEMORY_TIER: &str = "memory";

pub use view::{
    CoreRow, DiskRow, HostGraphs, NetRow, Series, ServiceGraphs, ServiceRow, YAxis, nice_ceil,
    spark,
};
use view::{bytes_axis, percent_axis, since, spark_max};
pub use window::TimeWindow;

/// One series' history for one window, as the engine answered it.
#[derive(Debug, Clone, PartialEq)]
struct Cached {
    /// `(t, avg)`, oldest first.
    points: Vec<(f64, f64)>,
    /// The stretches the anomaly detector flagged, oldest first.
    anomalies: Vec<AnomalySpan>,
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
        for (key, spans) in self
            .recent
            .iter()
            .map(|(key, _)| (key, self.recent.anomalies(key, f64::MIN)))
            .chain(response.series.iter().map(|s| (&s.key, &s.anomalies[..])))
        {
            merged.add_anomalies(key, spans);
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
                        let found = response.series.iter().find(|s| s.key == key);
                        let cached = Cached {
                            points: found
                                .map(|s| s.points.iter().map(|p| (p.t, p.avg)).collect())
                                .unwrap_or_default(),
                            anomalies: found.map(|s| s.anomalies.clone()).unwrap_or_default(),
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
                            anomalies: vec![],
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
        let live_anomalies = self.recent.anomalies(key, from);
        if !self.window.uses_history() {
            return Series {
                history: &[],
                live: since(live, from),
                loading: false,
                failed: false,
                anomalies: [&[], live_anomalies],
            };
        }
        let cached = self.history.get(&self.window).and_then(|c| c.get(key));
        let history = since(cached.map_or(&[][..], |c| c.points.as_slice()), from);
        let live = match history.last() {
            Some(&(last, _)) => &live[live.partition_point(|p| p.0 <= last)..],
            None => since(live, from),
        };
        let spans = cached.map_or(&[][..], |c| c.anomalies.as_slice());
        Series {
            history,
            live,
            loading: cached.is_none(),
            failed: cached.is_some_and(|c| c.failed),
            anomalies: [
                &spans[spans.partition_point(|s| s.to < from)..],
                live_anomalies,
            ],
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
                    "rss {} · {}",
                    format::bytes(s.rss as f64),
                    format::count(s.threads, "thread")
                );
                if let Some(fds) = s.fds {
                    title.push_str(&format!(" · {}", format::count(fds, "fd")));
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
