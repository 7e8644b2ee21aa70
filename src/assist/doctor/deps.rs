//! Dependency down: a service held back or failing because something it `depends_on` is not
//! up. A dependency that is stopped or exited is the root cause itself; one that keeps
//! failing has its own finding (a crash loop, a failing probe), which ranks above this one.
//! Dependency slow: a dependency still up whose probe answers slowly or timed out, which
//! its dependents feel before it counts as down.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::format;
use crate::protocol::{Health, ProbeStatus, ServiceState, ServiceStatus};

use super::Facts;

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    let snapshot = &facts.snapshot;
    let mut found = Vec::new();
    for service in &snapshot.services {
        if !wants_to_run(service) {
            continue;
        }
        for dep in &service.depends_on {
            let finding = match snapshot.service(dep) {
                Some(d) if is_down(d) => Some(local(service, d)),
                None if dep.contains('/') => remote(service, dep),
                _ => None,
            };
            found.extend(finding);
        }
    }
    found
}

/// A probe answering slower than this makes its service slow for those that depend on it.
const SLOW_US: u64 = 1_000_000;

pub fn slow(facts: &Facts) -> Vec<Finding> {
    let snapshot = &facts.snapshot;
    let mut found = Vec::new();
    for service in snapshot.services.iter().filter(|s| wants_to_run(s)) {
        for dep in &service.depends_on {
            let Some(d) = snapshot.service(dep).filter(|d| !is_down(d)) else {
                continue;
            };
            if let Some(probe) = d.probes.iter().find(|p| is_slow(p)) {
                found.push(slow_finding(service, d, probe));
            }
        }
    }
    found
}

/// The last run timed out, or passed but took long.
fn is_slow(p: &ProbeStatus) -> bool {
    let timed_out =
        p.last_ok == Some(false) && p.output.as_deref().is_some_and(|o| o.contains("timed out"));
    timed_out || p.latency_us.is_some_and(|us| us >= SLOW_US)
}

fn slow_finding(service: &ServiceStatus, dep: &ServiceStatus, probe: &ProbeStatus) -> Finding {
    let how = match (&probe.output, probe.last_ok) {
        (Some(output), Some(false)) => output.clone(),
        _ => format!(
            "answered in {}",
            format::latency(probe.latency_us.unwrap_or(0))
        ),
    };
    Finding {
        analyzer: "dependency_slow".into(),
        severity: Severity::Warning,
        rank: 1,
        service: Some(service.name.clone()),
        cause: format!(
            "{} depends on {}, which is slow: its {} probe {how}",
            service.name,
            dep.name,
            probe.kind.as_str()
        ),
        evidence: vec![Evidence {
            kind: EvidenceKind::Probe,
            text: format!("{} {}: {how}", probe.kind.as_str(), probe.target),
            at_ms: probe.checked_at,
        }],
        actions: vec![
            Suggestion::Logs {
                service: Some(dep.name.clone()),
                pattern: None,
            },
            Suggestion::Restart {
                service: dep.name.clone(),
            },
        ],
        since_ms: None,
    }
}

/// A service someone asked to run: a stopped one waits for nothing.
fn wants_to_run(s: &ServiceStatus) -> bool {
    !matches!(s.state, ServiceState::Stopped | ServiceState::Stopping)
}

fn is_down(d: &ServiceStatus) -> bool {
    !matches!(d.state, ServiceState::Running | ServiceState::Starting)
        || d.health == Some(Health::Unhealthy)
}

fn local(service: &ServiceStatus, dep: &ServiceStatus) -> Finding {
    let what = if dep.health == Some(Health::Unhealthy) && dep.state == ServiceState::Running {
        "running but unhealthy".to_owned()
    } else {
        dep.state.as_str().to_owned()
    };
    let stopped = matches!(dep.state, ServiceState::Stopped);
    // A dependency crash-looping or failing its probe has its own finding, nearer the root.
    let explained = matches!(
        dep.state,
        ServiceState::CrashLooping | ServiceState::GaveUp | ServiceState::Running
    );
    let mut evidence = vec![Evidence {
        kind: EvidenceKind::Event,
        text: format!("{} is {what}", dep.name),
        at_ms: None,
    }];
    if let Some(reason) = &service.reason {
        evidence.push(Evidence {
            kind: EvidenceKind::Event,
            text: format!("{}: {reason}", service.name),
            at_ms: None,
        });
    }
    let action = if stopped {
        Suggestion::Start {
            service: dep.name.clone(),
        }
    } else {
        Suggestion::Restart {
            service: dep.name.clone(),
        }
    };
    Finding {
        analyzer: "dependency_down".into(),
        severity: Severity::Critical,
        rank: if explained { 1 } else { 5 },
        service: Some(service.name.clone()),
        cause: format!("{} depends on {}, which is {what}", service.name, dep.name),
        evidence,
        actions: vec![action],
        since_ms: None,
    }
}

/// A dependency in another workspace: the supervisor's reason says what it saw there.
fn remote(service: &ServiceStatus, dep: &str) -> Option<Finding> {
    let reason = service.reason.as_deref()?;
    if !(service.state == ServiceState::Starting && reason.contains(dep)) {
        return None;
    }
    Some(Finding {
        analyzer: "dependency_down".into(),
        severity: Severity::Critical,
        rank: 5,
        service: Some(service.name.clone()),
        cause: format!("{} waits for {dep} in another workspace", service.name),
        evidence: vec![Evidence {
            kind: EvidenceKind::Event,
            text: reason.to_owned(),
            at_ms: None,
        }],
        actions: vec![],
        since_ms: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Snapshot;

    fn svc(name: &str, state: ServiceState, deps: &[&str]) -> ServiceStatus {
        let mut s = ServiceStatus::new(name);
        s.state = state;
        s.depends_on = deps.iter().map(|d| (*d).to_owned()).collect();
        s
    }

    fn facts(services: Vec<ServiceStatus>) -> Facts {
        Facts {
            snapshot: Snapshot {
                services,
                ..Snapshot::default()
            },
            ..Facts::default()
        }
    }

    #[test]
    fn a_stopped_dependency_is_the_root_cause() {
        let mut api = svc("api", ServiceState::Starting, &["db"]);
        api.reason = Some("waiting for db (healthy)".into());
        let f = analyze(&facts(vec![api, svc("db", ServiceState::Stopped, &[])]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cause, "api depends on db, which is stopped");
        assert_eq!(f[0].rank, 5);
        assert_eq!(
            f[0].actions,
            [Suggestion::Start {
                service: "db".into()
            }]
        );
    }

    #[test]
    fn an_unhealthy_dependency_counts_and_a_healthy_one_does_not() {
        let mut db = svc("db", ServiceState::Running, &[]);
        db.health = Some(Health::Unhealthy);
        let f = analyze(&facts(vec![svc("api", ServiceState::Running, &["db"]), db]));
        assert_eq!(
            f[0].cause,
            "api depends on db, which is running but unhealthy"
        );
        let ok = svc("db", ServiceState::Running, &[]);
        assert!(analyze(&facts(vec![svc("api", ServiceState::Running, &["db"]), ok])).is_empty());
    }

    #[test]
    fn a_stopped_dependent_waits_for_nothing() {
        let f = analyze(&facts(vec![
            svc("api", ServiceState::Stopped, &["db"]),
            svc("db", ServiceState::Stopped, &[]),
        ]));
        assert!(f.is_empty());
    }

    #[test]
    fn a_slow_dependency_of_a_running_service_warns() {
        let mut db = svc("db", ServiceState::Running, &[]);
        db.health = Some(Health::Healthy);
        db.probes = vec![ProbeStatus {
            kind: crate::protocol::ProbeKind::Readiness,
            target: "tcp 127.0.0.1:5432".into(),
            state: Health::Healthy,
            last_ok: Some(false),
            latency_us: Some(1_000_300),
            checked_at: None,
            output: Some("timed out after 1s".into()),
            failures: 1,
        }];
        let api = svc("api", ServiceState::Running, &["db"]);
        let f = slow(&facts(vec![api.clone(), db.clone()]));
        assert_eq!(
            f[0].cause,
            "api depends on db, which is slow: its readiness probe timed out after 1s"
        );
        assert_eq!(f[0].severity, Severity::Warning);
        db.probes[0].last_ok = Some(true);
        db.probes[0].latency_us = Some(1_500_000);
        let f = slow(&facts(vec![api.clone(), db.clone()]));
        assert!(
            f[0].cause.ends_with("its readiness probe answered in 1.5s"),
            "{}",
            f[0].cause
        );
        db.probes[0].latency_us = Some(2_000);
        assert!(slow(&facts(vec![api, db])).is_empty());
    }

    #[test]
    fn a_remote_dependency_is_read_from_the_reason() {
        let mut api = svc("api", ServiceState::Starting, &["ops/db"]);
        api.reason = Some("waiting for ops/db: workspace ops not running".into());
        let f = analyze(&facts(vec![api]));
        assert_eq!(f[0].cause, "api waits for ops/db in another workspace");
    }
}
