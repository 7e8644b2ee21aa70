//! Service exited: a service that ended on its own with a failure (a non-zero code, a
//! signal) and that nothing restarts. The services waiting for it have their own finding
//! (`dependency_down`), which names it and ranks first; this one says how it ended.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::format;
use crate::protocol::{ServiceState, ServiceStatus};

use super::Facts;

/// Log lines shown from its last run.
const SHOWN_LINES: usize = 5;
/// The logs worker times the lines it reads in one cycle by when the cycle began, which
/// can be a little before the run that printed them started.
const STAMP_SLACK_MS: u64 = 1_000;

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    facts
        .snapshot
        .services
        .iter()
        .filter(|s| failed(s))
        .map(|s| finding(facts, s))
        .collect()
}

/// Ended on its own, not with code 0.
pub fn failed(s: &ServiceStatus) -> bool {
    s.state == ServiceState::Exited && (s.exit_code.is_some_and(|c| c != 0) || s.signal.is_some())
}

fn finding(facts: &Facts, s: &ServiceStatus) -> Finding {
    let name = &s.name;
    let how = match (s.exit_code, &s.signal) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("was killed by {signal}"),
        (None, None) => "ended".to_owned(),
    };
    // The lines of its last run: those since it started.
    let lines: Vec<_> = facts
        .crash_logs
        .get(name)
        .into_iter()
        .flatten()
        .filter(|l| s.started_at.is_none_or(|t| l.at + STAMP_SLACK_MS >= t))
        .filter(|l| !l.text.trim().is_empty())
        .collect();
    let mut cause = format!("{name} {how}");
    if let Some(at) = s.started_at {
        let ran = facts.now_ms.saturating_sub(at) / 1000;
        cause += &format!(" (started {} ago)", format::duration(ran));
    }
    if let Some(last) = lines.last() {
        cause += &format!(", after \"{}\"", last.text.trim());
    }
    cause += ", and is not restarted";
    let mut evidence: Vec<Evidence> = lines[lines.len().saturating_sub(SHOWN_LINES)..]
        .iter()
        .map(|l| Evidence {
            kind: EvidenceKind::Log,
            text: l.text.clone(),
            at_ms: Some(l.at),
        })
        .collect();
    evidence.extend(s.reason.iter().map(|r| Evidence {
        kind: EvidenceKind::Event,
        text: format!("{name}: {r}"),
        at_ms: None,
    }));
    Finding {
        analyzer: "service_exited".into(),
        severity: Severity::Critical,
        rank: 3,
        service: Some(name.clone()),
        cause,
        evidence,
        actions: vec![
            Suggestion::Logs {
                service: Some(name.clone()),
                pattern: None,
            },
            Suggestion::Start {
                service: name.clone(),
            },
        ],
        since_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::LogLine;
    use crate::protocol::Snapshot;

    fn facts(code: Option<i32>, signal: Option<&str>) -> Facts {
        let mut job = ServiceStatus::new("job");
        job.state = ServiceState::Exited;
        job.exit_code = code;
        job.signal = signal.map(str::to_owned);
        job.started_at = Some(4_000);
        let line = |at: u64, text: &str| LogLine {
            seq: at,
            at,
            source: "job".into(),
            level: None,
            pattern: None,
            text: text.into(),
            header: None,
            continues: false,
        };
        Facts {
            now_ms: 10_000,
            snapshot: Snapshot {
                services: vec![job],
                ..Snapshot::default()
            },
            crash_logs: [(
                "job".to_owned(),
                vec![
                    line(1_000, "an earlier run"),
                    line(3_900, "starting"),
                    line(4_100, "panic: out of cheese"),
                ],
            )]
            .into(),
            ..Facts::default()
        }
    }

    #[test]
    fn a_failed_exit_names_its_code_and_last_line() {
        let f = analyze(&facts(Some(2), None));
        assert_eq!(
            f[0].cause,
            "job exited with code 2 (started 6s ago), after \"panic: out of cheese\", and is not restarted"
        );
        let lines: Vec<&str> = f[0].evidence.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            lines,
            ["starting", "panic: out of cheese"],
            "its last run's lines"
        );
        assert!(f[0].rank < 5, "below dependency_down naming it");
        let f = analyze(&facts(None, Some("SIGKILL")));
        assert!(f[0].cause.starts_with("job was killed by SIGKILL"));
    }

    #[test]
    fn a_clean_exit_is_no_fault() {
        assert!(analyze(&facts(Some(0), None)).is_empty());
    }
}
