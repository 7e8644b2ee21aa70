//! Dependency down: a service held back or failing because something it `depends_on` is not
//! up. A dependency that is stopped or exited is the root cause itself; one that keeps
//! failing has its own finding (a crash loop, a failing probe), which ranks above this one.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::protocol::{Health, ServiceState, ServiceStatus};

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
    fn a_remote_dependency_is_read_from_the_reason() {
        let mut api = svc("api", ServiceState::Starting, &["ops/db"]);
        api.reason = Some("waiting for ops/db: workspace ops not running".into());
        let f = analyze(&facts(vec![api]));
        assert_eq!(f[0].cause, "api waits for ops/db in another workspace");
    }
}
