//! Failing probe: a running service whose readiness or liveness probe fails, with what the
//! probe last said and how long it took; a timeout is named with the latency that hit it.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::format;
use crate::heal::event::HealKind;
use crate::protocol::{Health, ProbeStatus, ServiceStatus};

use super::Facts;

/// Probe changes shown as evidence.
const SHOWN_CHANGES: usize = 3;

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    let mut found = Vec::new();
    for s in &facts.snapshot.services {
        if !s.state.is_active() {
            continue;
        }
        for probe in s.probes.iter().filter(|p| failing(p)) {
            found.push(finding(facts, s, probe));
        }
    }
    found
}

fn failing(p: &ProbeStatus) -> bool {
    p.last_ok == Some(false) && p.failures > 0
}

fn finding(facts: &Facts, s: &ServiceStatus, probe: &ProbeStatus) -> Finding {
    let name = &s.name;
    let kind = probe.kind.as_str();
    let output = probe.output.as_deref().unwrap_or("failed");
    let took = probe
        .latency_us
        .map(|us| format!(" (the last took {})", format::latency(us)))
        .unwrap_or_default();
    let cause = format!(
        "{name}'s {kind} probe {} fails: {output}{took}, {} in a row",
        probe.target, probe.failures
    );
    let mut evidence = vec![Evidence {
        kind: EvidenceKind::Probe,
        text: format!("{kind} {}: {output}", probe.target),
        at_ms: probe.checked_at,
    }];
    if let Some(us) = probe.latency_us {
        evidence.push(Evidence {
            kind: EvidenceKind::Probe,
            text: format!("last run took {}", format::latency(us)),
            at_ms: probe.checked_at,
        });
    }
    let changes: Vec<Evidence> = facts
        .heal
        .iter()
        .filter(|e| e.service.as_deref() == Some(name) && e.kind == HealKind::Probe)
        .map(|e| Evidence {
            kind: EvidenceKind::Probe,
            text: match &e.detail {
                Some(detail) => format!("{}: {detail}", e.reason),
                None => e.reason.clone(),
            },
            at_ms: Some(e.at),
        })
        .collect();
    evidence.extend(changes.into_iter().rev().take(SHOWN_CHANGES));
    // A failing readiness probe leaves the service unhealthy now; a few failures below the
    // threshold are a warning of it.
    let severity = if s.health == Some(Health::Unhealthy) || probe.state == Health::Unhealthy {
        Severity::Critical
    } else {
        Severity::Warning
    };
    Finding {
        analyzer: "probe_failing".into(),
        severity,
        rank: 4,
        service: Some(name.clone()),
        cause,
        evidence,
        actions: vec![
            Suggestion::Logs {
                service: Some(name.clone()),
                pattern: None,
            },
            Suggestion::Restart {
                service: name.clone(),
            },
        ],
        since_ms: None,
    }
}

/// The ports a service answers on: those it declares and those its probes check on this
/// host.
pub fn ports(s: &ServiceStatus) -> Vec<u16> {
    let mut ports = s.ports.clone();
    for p in &s.probes {
        if let Some(port) = local_port(&p.target)
            && !ports.contains(&port)
        {
            ports.push(port);
        }
    }
    ports
}

/// The port of a probe's target on this host: `tcp 127.0.0.1:5432`,
/// `http://localhost:8080/health`.
fn local_port(target: &str) -> Option<u16> {
    let addr = target.strip_prefix("tcp ").unwrap_or(target);
    let addr = addr
        .strip_prefix("http://")
        .or_else(|| addr.strip_prefix("https://"))
        .unwrap_or(addr);
    let authority = addr.split('/').next()?;
    let (host, port) = authority.rsplit_once(':')?;
    let local = matches!(
        host,
        "127.0.0.1" | "localhost" | "0.0.0.0" | "[::1]" | "[::]" | "::1"
    );
    if local { port.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ProbeKind, ServiceState, Snapshot};

    fn probe(output: &str, latency_us: u64, failures: u32, state: Health) -> ProbeStatus {
        ProbeStatus {
            kind: ProbeKind::Readiness,
            target: "http://127.0.0.1:8080/health".into(),
            state,
            last_ok: Some(failures == 0),
            latency_us: Some(latency_us),
            checked_at: Some(9_000),
            output: (failures > 0).then(|| output.to_owned()),
            failures,
        }
    }

    fn facts(state: ServiceState, probe: ProbeStatus) -> Facts {
        let mut web = ServiceStatus::new("web");
        web.state = state;
        web.health = Some(probe.state);
        web.probes = vec![probe];
        Facts {
            now_ms: 10_000,
            snapshot: Snapshot {
                services: vec![web],
                ..Snapshot::default()
            },
            ..Facts::default()
        }
    }

    #[test]
    fn a_timed_out_probe_names_its_timeout_and_latency() {
        let p = probe("timed out after 500ms", 501_200, 3, Health::Unhealthy);
        let f = analyze(&facts(ServiceState::Running, p));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].cause,
            "web's readiness probe http://127.0.0.1:8080/health fails: timed out after 500ms \
             (the last took 501ms), 3 in a row"
        );
        assert_eq!(f[0].severity, Severity::Critical);
    }

    #[test]
    fn failures_below_the_threshold_warn_and_a_passing_probe_says_nothing() {
        let p = probe("HTTP 500 (expected 200..299)", 1_500, 1, Health::Healthy);
        let f = analyze(&facts(ServiceState::Running, p));
        assert_eq!(f[0].severity, Severity::Warning);
        let ok = probe("", 1_500, 0, Health::Healthy);
        assert!(analyze(&facts(ServiceState::Running, ok)).is_empty());
        let p = probe("refused", 1_500, 3, Health::Unhealthy);
        assert!(analyze(&facts(ServiceState::Stopped, p)).is_empty());
    }

    #[test]
    fn a_service_answers_on_its_declared_ports_and_its_local_probe_targets() {
        let mut s = ServiceStatus::new("db");
        s.ports = vec![5432];
        s.probes = vec![
            ProbeStatus {
                target: "tcp 127.0.0.1:6543".into(),
                ..probe("", 0, 0, Health::Healthy)
            },
            ProbeStatus {
                target: "http://example.com:80/".into(),
                ..probe("", 0, 0, Health::Healthy)
            },
            ProbeStatus {
                target: "http://localhost:5432/x".into(),
                ..probe("", 0, 0, Health::Healthy)
            },
        ];
        assert_eq!(ports(&s), [5432, 6543]);
    }
}
