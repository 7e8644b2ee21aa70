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

    #[test]
    fn fires_once_readings_stay_above_for_the_period() {
        let mut above = Above::new(limit(1500));
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(above.reading(200 << 20, at(0)), None);
        assert_eq!(above.reading(200 << 20, at(1000)), None);
        let reason = above.reading(300 << 20, at(2000)).expect("fired");
        assert_eq!(
            reason,
            "memory 300 MiB above max_memory 100 MiB for 1s 500ms"
        );
    }

    #[test]
    fn a_reading_at_or_below_the_limit_starts_the_period_again() {
        let mut above = Above::new(limit(1500));
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(above.reading(200 << 20, at(0)), None);
        assert_eq!(above.reading(100 << 20, at(1000)), None);
        assert_eq!(above.reading(200 << 20, at(2000)), None);
        assert_eq!(above.reading(200 << 20, at(3000)), None);
        assert!(above.reading(200 << 20, at(3500)).is_some());
    }

    #[test]
    fn a_period_shorter_than_the_interval_takes_two_readings() {
        let mut above = Above::new(limit(1000));
        let t0 = Instant::now();
        assert_eq!(above.reading(200 << 20, t0), None);
        let ten = t0 + Duration::from_secs(10);
        assert!(above.reading(200 << 20, ten).is_some());
    }

    fn metrics(rss: &[(&str, u64)]) -> Event {
        let services = rss.iter().map(|(name, rss)| ServiceSample {
            name: (*name).to_owned(),
            rss: *rss,
            ..ServiceSample::default()
        });
        Event::Metrics(Box::new(Sample {
            at: crate::clock::now_ms(),
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
