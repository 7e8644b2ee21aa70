//! `max_memory`: a restart when the service's processes together stay above the limit for
//! the sustain period (PM2's `max_memory_restart`, without its one-sample trigger: a
//! short spike during a GC should not kill a service).
//!
//! The readings are the metrics sampler's (`Event::Metrics`: the resident memory of the
//! service's whole process tree, every `metrics.interval`), so memory is read from `/proc`
//! once per cycle for metrics, alerts and this trigger together. With an interval longer
//! than the period, it takes two readings above the limit in a row to fire, and a firing
//! comes up to one interval after the period has passed.

use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::{Fired, TriggerKind};
use crate::config::MemoryLimit;
use crate::protocol::Event;

/// Watches one run: the supervisor ends the task with the run, and the old process tree is
/// gone before a new run starts, so a restart counts again from the new tree's readings.
/// `events`: the engine's event stream.
pub async fn run(
    service: String,
    limit: MemoryLimit,
    mut events: broadcast::Receiver<Event>,
    fired: mpsc::UnboundedSender<Fired>,
) {
    let mut above = Above::new(limit);
    loop {
        let sample = match events.recv().await {
            Ok(Event::Metrics(sample)) => sample,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        // A service the sample does not list had no live process when it was taken.
        let rss = sample
            .services
            .iter()
            .find(|s| s.name == service)
            .map_or(0, |s| s.rss);
        if let Some(reason) = above.reading(rss, Instant::now()) {
            let event = Fired {
                service,
                kind: TriggerKind::Memory,
                reason,
            };
            let _ = fired.send(event);
            // One firing per run: the restart ends this task with the process tree.
            return;
        }
    }
}

/// Since when the readings have all been above the limit.
struct Above {
    limit: MemoryLimit,
    since: Option<Instant>,
}

impl Above {
    fn new(limit: MemoryLimit) -> Self {
        Self { limit, since: None }
    }

    /// The reason to restart, once readings have stayed above the limit for its period.
    fn reading(&mut self, rss: u64, now: Instant) -> Option<String> {
        if rss <= self.limit.bytes {
            self.since = None;
            return None;
        }
        let since = *self.since.get_or_insert(now);
        (now.duration_since(since) >= self.limit.sustain).then(|| {
            format!(
                "memory {} above max_memory {} for {}",
                mib(rss),
                mib(self.limit.bytes),
                crate::config::duration::format(self.limit.sustain)
            )
        })
    }
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1 << 20))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::sample::{Sample, ServiceSample};

    fn limit(sustain_ms: u64) -> MemoryLimit {
        MemoryLimit {
            bytes: 100 << 20,
            sustain: Duration::from_millis(sustain_ms),
        }
    }

    /// What each reading `(MiB, ms after the first)` returns, in order.
    fn readings(sustain_ms: u64, readings: &[(u64, u64)]) -> Vec<Option<String>> {
        let mut above = Above::new(limit(sustain_ms));
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        readings
            .iter()
            .map(|&(mib, ms)| above.reading(mib << 20, at(ms)))
            .collect()
    }

    #[test]
    fn fires_once_readings_stay_above_for_the_period() {
        let got = readings(1500, &[(200, 0), (200, 1000), (300, 2000)]);
        let reason = "memory 300 MiB above max_memory 100 MiB for 1s 500ms";
        assert_eq!(got, [None, None, Some(reason.to_owned())]);
    }

    #[test]
    fn a_reading_at_or_below_the_limit_starts_the_period_again() {
        let got = readings(
            1500,
            &[(200, 0), (100, 1000), (200, 2000), (200, 3000), (200, 3500)],
        );
        assert_eq!(got[..4], [None, None, None, None]);
        assert!(got[4].is_some());
    }

    #[test]
    fn a_period_shorter_than_the_interval_takes_two_readings() {
        let got = readings(1000, &[(200, 0), (200, 10_000)]);
        assert_eq!(got[0], None);
        assert!(got[1].is_some());
    }

    fn metrics(rss: &[(&str, u64)]) -> Event {
        let services = rss.iter().map(|(name, rss)| ServiceSample {
            name: (*name).to_owned(),
            rss: *rss,
            ..ServiceSample::default()
        });
        Event::Metrics(Box::new(Sample {
            at: crate::clock::now_ms(),
            anomalies: Vec::new(),
            host: Default::default(),
            services: services.collect(),
        }))
    }

    #[tokio::test]
    async fn reads_the_service_from_the_samplers_events() {
        let (events, rx_events) = broadcast::channel(16);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run("api".into(), limit(0), rx_events, tx));
        // Another service above the limit, and this one at it, do not fire.
        for _ in 0..10 {
            let _ = events.send(metrics(&[("web", 900 << 20), ("api", 100 << 20)]));
        }
        let _ = events.send(metrics(&[("api", 101 << 20)]));
        let fired = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("fired in time")
            .expect("open");
        assert_eq!(fired.service, "api");
        assert!(rx.try_recv().is_err(), "one firing");
        assert_eq!(fired.kind, TriggerKind::Memory);
        assert_eq!(
            fired.reason,
            "memory 101 MiB above max_memory 100 MiB for 0s"
        );
        task.abort();
    }
}
