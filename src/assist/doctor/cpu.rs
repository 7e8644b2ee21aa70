//! CPU saturation: a service near a whole core, or the host's CPU nearly all busy, for a
//! minute or more, with the top consumers at the latest sample.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::format;
use crate::metrics::series::{Metric, SeriesKey};
use crate::protocol::ServiceState;

use super::Facts;
use super::memory::flagged;

/// How long the CPU must stay busy; the points must cover most of it.
const SUSTAIN_SECS: f64 = 60.0;
const COVERED: f64 = 0.8;
/// Busy: on average at least this percent (of one core for a service, of all for the host),
/// and no point far below it.
const BUSY_PCT: f64 = 90.0;
const FLOOR_PCT: f64 = 70.0;

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    let mut found: Vec<Finding> = (facts.snapshot.services.iter())
        .filter(|s| s.state == ServiceState::Running)
        .filter_map(|s| service(facts, &s.name))
        .collect();
    found.extend(host(facts));
    found
}

/// The average of the series over the sustain window, when it is busy all along.
fn busy(facts: &Facts, key: &SeriesKey) -> Option<f64> {
    let all = facts.series.get(key)?;
    let newest = all.last()?.0;
    let points = &all[all.partition_point(|p| p.0 < newest - SUSTAIN_SECS)..];
    let span = newest - points.first()?.0;
    let avg = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let floor = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    (span >= SUSTAIN_SECS * COVERED && avg >= BUSY_PCT && floor >= FLOOR_PCT).then_some(avg)
}

fn service(facts: &Facts, name: &str) -> Option<Finding> {
    let key = SeriesKey::new(Metric::ServiceCpu, name);
    let avg = busy(facts, &key)?;
    let mut evidence = vec![window_evidence(facts, &key, avg)];
    evidence.extend(flagged(facts, &key));
    evidence.extend(top_cpu(facts));
    Some(Finding {
        analyzer: "cpu_saturation".into(),
        severity: Severity::Warning,
        rank: 3,
        service: Some(name.to_owned()),
        cause: format!(
            "{name} has kept {} of a core busy for the last {}",
            format::percent(avg),
            format::duration(SUSTAIN_SECS as u64)
        ),
        evidence,
        actions: vec![
            Suggestion::Logs {
                service: Some(name.to_owned()),
                pattern: None,
            },
            Suggestion::Restart {
                service: name.to_owned(),
            },
        ],
        since_ms: None,
    })
}

fn host(facts: &Facts) -> Option<Finding> {
    let key = SeriesKey::host(Metric::HostCpu);
    let avg = busy(facts, &key)?;
    let mut evidence = vec![window_evidence(facts, &key, avg)];
    evidence.extend(flagged(facts, &key));
    evidence.extend(top_cpu(facts));
    let top = top_service(facts);
    Some(Finding {
        analyzer: "cpu_saturation".into(),
        severity: Severity::Warning,
        rank: 2,
        service: None,
        cause: format!(
            "the host's CPU has been {} busy for the last {}{}",
            format::percent(avg),
            format::duration(SUSTAIN_SECS as u64),
            top.as_ref()
                .map(|(n, pct)| format!("; {n} uses {} of a core", format::percent(*pct)))
                .unwrap_or_default()
        ),
        evidence,
        actions: top
            .map(|(service, _)| Suggestion::Logs {
                service: Some(service),
                pattern: None,
            })
            .into_iter()
            .collect(),
        since_ms: None,
    })
}

fn window_evidence(facts: &Facts, key: &SeriesKey, avg: f64) -> Evidence {
    let newest = facts.series.get(key).and_then(|p| p.last()).map(|p| p.0);
    Evidence {
        kind: EvidenceKind::Metric,
        text: format!(
            "{} {} averaged {} over {}",
            key.metric.name(),
            key.label,
            format::percent(avg),
            format::duration(SUSTAIN_SECS as u64)
        ),
        at_ms: newest.map(|t| (t * 1000.0) as u64),
    }
}

/// The service using the most CPU at the latest sample.
fn top_service(facts: &Facts) -> Option<(String, f64)> {
    let sample = facts.snapshot.metrics.as_ref()?;
    (sample.services.iter())
        .max_by(|a, b| a.cpu_pct.total_cmp(&b.cpu_pct))
        .map(|s| (s.name.clone(), f64::from(s.cpu_pct)))
}

fn top_cpu(facts: &Facts) -> Option<Evidence> {
    let sample = facts.snapshot.metrics.as_ref()?;
    let mut services: Vec<_> = sample.services.iter().collect();
    services.sort_by(|a, b| b.cpu_pct.total_cmp(&a.cpu_pct));
    let top: Vec<String> = (services.iter().take(3))
        .map(|s| format!("{} {}", s.name, format::percent(f64::from(s.cpu_pct))))
        .collect();
    (!top.is_empty()).then(|| Evidence {
        kind: EvidenceKind::Process,
        text: format!("most CPU: {}", top.join(", ")),
        at_ms: Some(sample.at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Sample, ServiceSample};
    use crate::protocol::{ServiceStatus, Snapshot};

    fn facts(series: Vec<(SeriesKey, Vec<(f64, f64)>)>) -> Facts {
        let mut spin = ServiceStatus::new("spin");
        spin.state = ServiceState::Running;
        let mut f = Facts {
            snapshot: Snapshot {
                services: vec![spin],
                metrics: Some(Sample {
                    at: 70_000,
                    host: Default::default(),
                    services: vec![
                        ServiceSample {
                            name: "spin".into(),
                            cpu_pct: 99.0,
                            ..ServiceSample::default()
                        },
                        ServiceSample {
                            name: "idle".into(),
                            cpu_pct: 1.0,
                            ..ServiceSample::default()
                        },
                    ],
                    anomalies: vec![],
                }),
                ..Snapshot::default()
            },
            ..Facts::default()
        };
        f.series.extend(series);
        f
    }

    fn flat(value: f64, secs: u32) -> Vec<(f64, f64)> {
        (0..=secs).map(|t| (f64::from(t), value)).collect()
    }

    #[test]
    fn a_service_on_a_whole_core_for_a_minute_is_saturated() {
        let key = SeriesKey::new(Metric::ServiceCpu, "spin");
        let f = analyze(&facts(vec![(key, flat(99.0, 70))]));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].cause,
            "spin has kept 99.0% of a core busy for the last 1m00s"
        );
        assert_eq!(f[0].evidence[1].text, "most CPU: spin 99.0%, idle 1.0%");
    }

    #[test]
    fn a_short_or_broken_burst_is_not() {
        let key = SeriesKey::new(Metric::ServiceCpu, "spin");
        assert!(analyze(&facts(vec![(key.clone(), flat(99.0, 20))])).is_empty());
        let mut dip = flat(99.0, 70);
        dip[40].1 = 10.0;
        assert!(analyze(&facts(vec![(key, dip)])).is_empty());
    }

    #[test]
    fn a_busy_host_names_the_top_consumer() {
        let f = analyze(&facts(vec![(
            SeriesKey::host(Metric::HostCpu),
            flat(95.0, 70),
        )]));
        assert_eq!(
            f[0].cause,
            "the host's CPU has been 95.0% busy for the last 1m00s; spin uses 99.0% of a core"
        );
        assert_eq!(f[0].service, None);
    }
}
