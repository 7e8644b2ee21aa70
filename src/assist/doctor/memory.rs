//! Memory growth: a service whose resident memory climbs steadily over the last minutes,
//! with the time left until its `max_memory` (or the host's available memory) at that rate
//! and the biggest consumers beside it. A line that fits the points well tells a leak from
//! a cache that breathes.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::format;
use crate::metrics::series::{Metric, SeriesKey};
use crate::protocol::{ServiceState, ServiceStatus};

use super::Facts;
use super::trend;

/// The trend is read over at most this many seconds, from the current run's start.
const TREND_SECS: f64 = 300.0;
/// The first moments of a run (loading code, warming caches) are not a trend.
const WARMUP_SECS: f64 = 1.0;
/// A trend needs this many points over this long, this well fitted by a line.
const MIN_POINTS: usize = 4;
const MIN_SPAN: f64 = 2.5;
const MIN_FIT: f64 = 0.9;
/// And it must have grown by this much, and by this share of where it started.
const MIN_GROWTH: f64 = 8.0 * 1024.0 * 1024.0;
const MIN_SHARE: f64 = 0.1;

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    (facts.snapshot.services.iter())
        .filter(|s| s.state == ServiceState::Running)
        .filter_map(|s| growth(facts, s))
        .collect()
}

fn growth(facts: &Facts, service: &ServiceStatus) -> Option<Finding> {
    let key = SeriesKey::new(Metric::ServiceRss, &service.name);
    let started = service.started_at.unwrap_or(0) as f64 / 1000.0 + WARMUP_SECS;
    let all = facts.series.get(&key)?;
    let newest = all.last()?.0;
    let from = started.max(newest - TREND_SECS);
    let points = &all[all.partition_point(|p| p.0 < from)..];
    let t = trend::fit(points)?;
    let (first, now) = (points[0].1, points[points.len() - 1].1);
    let grown = now - first;
    let steady = points.len() >= MIN_POINTS && t.span >= MIN_SPAN && t.fit >= MIN_FIT;
    if !(steady && t.slope > 0.0 && grown >= MIN_GROWTH && grown >= first * MIN_SHARE) {
        return None;
    }
    let name = &service.name;
    let limit = facts.memory_limits.get(name).copied();
    let (target, room) = match limit {
        Some(limit) => (
            format!("its max_memory {}", format::bytes(limit as f64)),
            limit as f64,
        ),
        None => {
            let host = &facts.snapshot.metrics.as_ref()?.host;
            let available = host.mem_total.saturating_sub(host.mem_used) as f64;
            let what = format!("the host's available memory ({})", format::bytes(available));
            (what, now + available)
        }
    };
    let eta = trend::time_to(now, room, t.slope)?;
    let cause = format!(
        "{name}'s memory grows {} steadily ({} now): at this rate it reaches {target} in {}",
        format::rate(t.slope),
        format::bytes(now),
        format::duration(eta as u64)
    );
    let mut evidence = vec![Evidence {
        kind: EvidenceKind::Metric,
        text: format!(
            "rss {} → {} over {} ({} points, line fit {:.2})",
            format::bytes(first),
            format::bytes(now),
            format::duration(t.span as u64),
            points.len(),
            t.fit
        ),
        at_ms: Some((newest * 1000.0) as u64),
    }];
    evidence.extend(flagged(facts, &key));
    evidence.extend(top_memory(facts));
    Some(Finding {
        analyzer: "memory_growth".into(),
        severity: Severity::Warning,
        rank: 5,
        service: Some(name.clone()),
        cause,
        evidence,
        actions: actions(name, limit),
        since_ms: Some((points[0].0 * 1000.0) as u64),
    })
}

fn actions(name: &str, limit: Option<u64>) -> Vec<Suggestion> {
    let mut out = vec![Suggestion::Restart {
        service: name.to_owned(),
    }];
    if let Some(limit) = limit {
        out.push(Suggestion::RaiseLimit {
            path: format!("services.{name}.max_memory"),
            from: format::bytes(limit as f64),
            to: format::bytes(limit as f64 * 2.0),
        });
    }
    out.push(Suggestion::Logs {
        service: Some(name.to_owned()),
        pattern: None,
    });
    out
}

/// The anomaly detector's word on the series, when it flags it at the latest sample.
pub fn flagged(facts: &Facts, key: &SeriesKey) -> Option<Evidence> {
    let sample = facts.snapshot.metrics.as_ref()?;
    let a = sample.anomalies.iter().find(|a| &a.series == key)?;
    Some(Evidence {
        kind: EvidenceKind::Metric,
        text: format!(
            "the anomaly detector flags {} {} (score {:.1})",
            key.label,
            key.metric.name(),
            a.score
        ),
        at_ms: Some((a.since * 1000.0) as u64),
    })
}

/// The services using the most memory at the latest sample.
fn top_memory(facts: &Facts) -> Option<Evidence> {
    let sample = facts.snapshot.metrics.as_ref()?;
    let mut services: Vec<_> = sample.services.iter().collect();
    services.sort_by_key(|s| std::cmp::Reverse(s.rss));
    let top: Vec<String> = (services.iter().take(3))
        .map(|s| format!("{} {}", s.name, format::bytes(s.rss as f64)))
        .collect();
    (!top.is_empty()).then(|| Evidence {
        kind: EvidenceKind::Process,
        text: format!("most memory: {}", top.join(", ")),
        at_ms: Some(sample.at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{HostSample, Sample, ServiceSample};
    use crate::protocol::Snapshot;

    const MIB: f64 = 1024.0 * 1024.0;

    fn facts(points: Vec<(f64, f64)>, limit: Option<u64>) -> Facts {
        let mut api = ServiceStatus::new("api");
        api.state = ServiceState::Running;
        api.started_at = Some(0);
        let mut f = Facts {
            snapshot: Snapshot {
                services: vec![api],
                metrics: Some(Sample {
                    at: 10_000,
                    host: HostSample {
                        mem_total: 8 << 30,
                        mem_used: 4 << 30,
                        ..HostSample::default()
                    },
                    services: vec![ServiceSample {
                        name: "api".into(),
                        rss: 100 << 20,
                        ..ServiceSample::default()
                    }],
                    anomalies: vec![],
                }),
                ..Snapshot::default()
            },
            ..Facts::default()
        };
        f.series
            .insert(SeriesKey::new(Metric::ServiceRss, "api"), points);
        f.memory_limits.extend(limit.map(|l| ("api".to_owned(), l)));
        f
    }

    /// 20 MiB a second from 20 MiB at t = 2..=6.
    fn leak() -> Vec<(f64, f64)> {
        (2..=6)
            .map(|t| (f64::from(t), f64::from(t - 1) * 20.0 * MIB))
            .collect()
    }

    #[test]
    fn a_steady_leak_names_its_slope_and_the_time_to_its_limit() {
        let f = analyze(&facts(leak(), Some(1 << 30)));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].cause,
            "api's memory grows 20.0M/s steadily (100M now): at this rate it reaches its \
             max_memory 1.0G in 46s"
        );
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].evidence[1].text.starts_with("most memory: api"));
        assert!(f[0].actions.contains(&Suggestion::RaiseLimit {
            path: "services.api.max_memory".into(),
            from: "1.0G".into(),
            to: "2.0G".into()
        }));
    }

    #[test]
    fn without_a_limit_the_host_memory_is_the_horizon() {
        let f = analyze(&facts(leak(), None));
        assert!(
            f[0].cause
                .contains("the host's available memory (4.0G) in 3m24s"),
            "{}",
            f[0].cause
        );
    }

    #[test]
    fn a_flat_or_noisy_series_and_the_warmup_are_no_leak() {
        let flat: Vec<(f64, f64)> = (2..=30).map(|t| (f64::from(t), 50.0 * MIB)).collect();
        assert!(analyze(&facts(flat, None)).is_empty());
        let noisy: Vec<(f64, f64)> = (2..=30)
            .map(|t| (f64::from(t), if t % 2 == 0 { 50.0 } else { 90.0 } * MIB))
            .collect();
        assert!(analyze(&facts(noisy, None)).is_empty());
        // Loading in the first second is skipped; then it is flat.
        let mut warm = vec![(0.2, 1.0 * MIB), (0.6, 40.0 * MIB)];
        warm.extend((1..=10).map(|t| (f64::from(t), 80.0 * MIB)));
        assert!(analyze(&facts(warm, None)).is_empty());
    }

    #[test]
    fn a_flagged_series_adds_the_detectors_word() {
        let mut f = facts(leak(), None);
        if let Some(m) = f.snapshot.metrics.as_mut() {
            m.anomalies.push(crate::metrics::anomaly::Anomaly {
                series: SeriesKey::new(Metric::ServiceRss, "api"),
                since: 4.0,
                score: 7.5,
            });
        }
        let found = analyze(&f);
        assert!(
            found[0]
                .evidence
                .iter()
                .any(|e| e.text.contains("anomaly detector flags api"))
        );
    }
}
