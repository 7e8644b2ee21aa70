//! What the evaluator reads in the engine: the latest metrics sample, the services'
//! statuses, when each service restarted, when each series was anomalous, probe results
//! and log counts.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use super::logs::LogCounter;
use super::{LogCountQuery, ProbeTarget, Readings};
use crate::metrics::{Sample, SeriesKey};
use crate::protocol::ServiceStatus;

/// Restart and anomaly times are kept this long: the longest `restarts_in` or `anomaly`
/// window worth asking for.
const RESTART_MEMORY: Duration = Duration::from_secs(24 * 3600);

/// When each service restarted after a crash, learned from its status events (`restarts`
/// going up; `user_restarts`, the ones someone asked for, are not crashes). A new engine starts with an empty memory: restarts before it are not counted.
#[derive(Debug, Default)]
pub struct RestartLog {
    last_count: HashMap<String, u32>,
    times: HashMap<String, VecDeque<u64>>,
}

impl RestartLog {
    pub fn observe(&mut self, status: &ServiceStatus, now_ms: u64) {
        let previous = self.last_count.insert(status.name.clone(), status.restarts);
        let Some(previous) = previous else {
            return;
        };
        let times = self.times.entry(status.name.clone()).or_default();
        for _ in previous..status.restarts {
            times.push_back(now_ms);
        }
        let horizon = now_ms.saturating_sub(RESTART_MEMORY.as_millis() as u64);
        while times.front().is_some_and(|&t| t < horizon) {
            times.pop_front();
        }
    }

    pub fn count(&self, service: &str, window: Duration, now_ms: u64) -> f64 {
        let horizon = now_ms.saturating_sub(window.as_millis() as u64);
        self.times
            .get(service)
            .map_or(0, |t| t.iter().filter(|&&at| at > horizon).count()) as f64
    }
}

/// When each series was last flagged by the anomaly detector, learned from the samples'
/// `anomalies`; forgotten after the longest window worth asking for.
#[derive(Debug, Default)]
pub struct AnomalyLog {
    last: HashMap<SeriesKey, u64>,
}

impl AnomalyLog {
    pub fn observe(&mut self, sample: &Sample) {
        for anomaly in &sample.anomalies {
            self.last.insert(anomaly.series.clone(), sample.at);
        }
        let horizon = sample.at.saturating_sub(RESTART_MEMORY.as_millis() as u64);
        self.last.retain(|_, at| *at >= horizon);
    }

    /// Whether the series was flagged at a sample within `window` before `now_ms`.
    pub fn within(&self, series: &SeriesKey, window: Duration, now_ms: u64) -> bool {
        let horizon = now_ms.saturating_sub(window.as_millis() as u64);
        self.last.get(series).is_some_and(|&at| at >= horizon)
    }
}

/// One evaluation's view of the engine.
pub struct EngineReadings<'a> {
    pub now_ms: u64,
    pub sample: Option<&'a Sample>,
    pub services: &'a [ServiceStatus],
    pub restarts: &'a RestartLog,
    pub anomalies: &'a AnomalyLog,
    pub probes: &'a HashMap<ProbeTarget, bool>,
    pub logs: &'a LogCounter,
    /// The logs worker's flagged patterns; `None` when it does not run.
    pub patterns: Option<&'a crate::logs::live::LogsHub>,
    /// Services that gave up restarting with `then: alert`, with their last log lines.
    pub escalations: &'a HashMap<String, Vec<String>>,
    /// Services whose latest deploy failed or was rolled back, with what happened.
    pub failed_deploys: &'a HashMap<String, String>,
    pub storage: &'a crate::protocol::StorageInfo,
}

impl Readings for EngineReadings<'_> {
    fn sample(&self) -> Option<&Sample> {
        self.sample
    }

    fn services(&self) -> &[ServiceStatus] {
        self.services
    }

    fn restarts_in(&self, service: &str, window: Duration) -> f64 {
        self.restarts.count(service, window, self.now_ms)
    }

    fn probe(&self, probe: &ProbeTarget) -> Option<bool> {
        self.probes.get(probe).copied()
    }

    fn log_count(&self, query: &LogCountQuery) -> Option<f64> {
        self.logs.count(query)
    }

    fn log_patterns(&self) -> Vec<(String, f64)> {
        self.patterns
            .map(|hub| hub.flagged())
            .unwrap_or_default()
            .iter()
            .map(|f| (f.label(), f.count as f64))
            .collect()
    }

    fn escalations(&self) -> Vec<String> {
        self.escalations.keys().cloned().collect()
    }

    fn failed_deploys(&self) -> Vec<String> {
        self.failed_deploys.keys().cloned().collect()
    }

    fn storage(&self) -> Option<&crate::protocol::StorageInfo> {
        Some(self.storage)
    }

    fn anomalous(&self, series: &SeriesKey, window: Duration) -> bool {
        self.anomalies.within(series, window, self.now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_are_counted_within_the_window() {
        let mut log = RestartLog::default();
        let mut worker = ServiceStatus::new("worker");
        worker.restarts = 4;
        log.observe(&worker, 0);
        worker.restarts = 5;
        log.observe(&worker, 10_000);
        worker.restarts = 7;
        log.observe(&worker, 70_000);
        let minute = Duration::from_secs(60);
        assert_eq!(log.count("worker", minute, 69_000), 3.0);
        assert_eq!(log.count("worker", minute, 75_000), 2.0);
        assert_eq!(log.count("worker", Duration::from_secs(600), 75_000), 3.0);
        assert_eq!(log.count("web", minute, 75_000), 0.0);
    }

    #[test]
    fn anomalies_are_remembered_within_the_window_then_forgotten() {
        use crate::metrics::Metric;
        use crate::metrics::anomaly::Anomaly;
        let api = SeriesKey::new(Metric::ServiceCpu, "api");
        let web = SeriesKey::new(Metric::ServiceCpu, "web");
        let mut sample = crate::alerts::fixtures::sample(10.0);
        sample.at = 100_000;
        sample.anomalies = vec![Anomaly {
            series: api.clone(),
            since: 99.0,
            score: 9.0,
        }];
        let mut log = AnomalyLog::default();
        log.observe(&sample);
        let minute = Duration::from_secs(60);
        assert!(log.within(&api, minute, 150_000));
        assert!(!log.within(&api, minute, 170_000));
        assert!(!log.within(&web, minute, 150_000));
        sample.at += RESTART_MEMORY.as_millis() as u64 + 1;
        sample.anomalies.clear();
        log.observe(&sample);
        assert!(log.last.is_empty(), "{:?}", log.last);
    }
}
