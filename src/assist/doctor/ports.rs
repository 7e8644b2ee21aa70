//! Port taken: a service down or failing its probe while a process it did not start
//! listens on its port. That process answers in the service's place or kept it from
//! binding: the root cause of the crash loop or the failing probe it comes with.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::procfs::net::PortHolder;

use super::Facts;

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    facts
        .ports_held
        .iter()
        .flat_map(|(service, holders)| holders.iter().map(move |h| finding(facts, service, h)))
        .collect()
}

fn finding(facts: &Facts, service: &str, holder: &PortHolder) -> Finding {
    let port = holder.port;
    let who = match holder.pid {
        Some(pid) if holder.command.is_empty() => format!("PID {pid}"),
        Some(pid) => format!("PID {pid} ({})", holder.command),
        None => "a process of another user".to_owned(),
    };
    let state = facts
        .snapshot
        .service(service)
        .map_or("down", |s| s.state.as_str());
    let mut evidence = vec![Evidence {
        kind: EvidenceKind::Process,
        text: format!("{who} listens on port {port}"),
        at_ms: None,
    }];
    if let Some(s) = facts.snapshot.service(service) {
        evidence.extend(s.reason.iter().map(|r| Evidence {
            kind: EvidenceKind::Event,
            text: format!("{service}: {r}"),
            at_ms: None,
        }));
        evidence.extend(
            s.probes
                .iter()
                .filter(|p| p.last_ok == Some(false))
                .map(|p| Evidence {
                    kind: EvidenceKind::Probe,
                    text: format!(
                        "{} {}: {}",
                        p.kind.as_str(),
                        p.target,
                        p.output.as_deref().unwrap_or("failed")
                    ),
                    at_ms: p.checked_at,
                }),
        );
    }
    Finding {
        analyzer: "port_taken".into(),
        severity: Severity::Critical,
        rank: 8,
        service: Some(service.to_owned()),
        cause: format!(
            "port {port} of {service} is held by another process, {who}, while {service} is {}",
            if state == "running" {
                "running but failing its probe"
            } else {
                state
            }
        ),
        evidence,
        actions: vec![
            Suggestion::Logs {
                service: Some(service.to_owned()),
                pattern: None,
            },
            Suggestion::Restart {
                service: service.to_owned(),
            },
        ],
        since_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ServiceState, ServiceStatus, Snapshot};

    fn facts(holder: PortHolder) -> Facts {
        let mut api = ServiceStatus::new("api");
        api.state = ServiceState::CrashLooping;
        api.reason = Some("exited with code 1; restarting in 1s".into());
        Facts {
            snapshot: Snapshot {
                services: vec![api],
                ..Snapshot::default()
            },
            ports_held: [("api".to_owned(), vec![holder])].into(),
            ..Facts::default()
        }
    }

    #[test]
    fn the_holder_is_named_by_pid_and_command_above_the_crash_loop() {
        let f = analyze(&facts(PortHolder {
            port: 8080,
            pid: Some(4242),
            command: "python3 -m http.server 8080".into(),
        }));
        assert_eq!(
            f[0].cause,
            "port 8080 of api is held by another process, PID 4242 (python3 -m http.server \
             8080), while api is crash-looping"
        );
        assert!(f[0].rank > 6, "it explains the crash loop");
        assert_eq!(
            f[0].evidence[0].text,
            "PID 4242 (python3 -m http.server 8080) listens on port 8080"
        );
    }

    #[test]
    fn a_holder_we_may_not_read_is_still_reported() {
        let f = analyze(&facts(PortHolder {
            port: 80,
            pid: None,
            command: String::new(),
        }));
        assert!(
            f[0].cause.contains("a process of another user"),
            "{}",
            f[0].cause
        );
    }
}
