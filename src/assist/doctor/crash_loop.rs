//! Crash loop: a service that keeps ending on its own. Its heal events say how each run
//! ended (exit code or signal) and when the next one began; the last line it printed before
//! each end is what it said when it died, and the same line before every crash is the cause
//! to read first. It ranks above the findings of the services that wait for it.

use std::collections::HashMap;

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::format;
use crate::heal::event::{HealEvent, HealKind};
use crate::logs::LogLine;
use crate::protocol::{ServiceState, ServiceStatus};

use super::Facts;

/// Ends within the window that make a loop of a service that runs again now.
const LOOP_EXITS: usize = 2;
/// A service up this long since its last crash is out of the loop.
const SETTLED_MS: u64 = 60_000;
/// How late a service's last words may be stored after the heal event of its exit, when
/// the next run starts at once (no backoff separates the runs).
const LOG_LAG_MS: u64 = 500;
/// A crash this recent whose run has no stored line yet may still get one: it counts
/// neither for nor against the line said before the others.
const LOG_SETTLE_MS: u64 = 1_000;
/// Crashes and log lines shown as evidence.
const SHOWN_CRASHES: usize = 5;
const SHOWN_LINES: usize = 5;

/// One run that ended on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Crash<'a> {
    pub at: u64,
    /// `exited with code 3`, `killed by SIGSEGV`.
    pub how: &'a str,
    /// The next run started with this event.
    restarted: bool,
}

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    facts
        .snapshot
        .services
        .iter()
        .filter_map(|s| looping(facts, s))
        .collect()
}

/// The runs of `service` that ended on its own, oldest first, from its heal events.
pub fn crashes<'a>(events: &'a [HealEvent], service: &'a str) -> impl Iterator<Item = Crash<'a>> {
    events
        .iter()
        .filter(move |e| e.service.as_deref() == Some(service))
        .filter(|e| {
            matches!(
                e.kind,
                HealKind::Restart | HealKind::Backoff | HealKind::GaveUp
            )
        })
        .filter_map(|e| {
            Some(Crash {
                at: e.at,
                how: ending(&e.reason)?,
                restarted: e.kind == HealKind::Restart,
            })
        })
}

/// `exited with code 3` or `killed by SIGKILL` in a heal event's reason.
fn ending(reason: &str) -> Option<&str> {
    let start = reason
        .find("exited with code ")
        .or_else(|| reason.find("killed by "))?;
    let rest = &reason[start..];
    let end = [rest.find(';'), rest.find(')'), rest.find(" after ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end())
}

fn looping(facts: &Facts, s: &ServiceStatus) -> Option<Finding> {
    let crashes: Vec<Crash> = crashes(&facts.heal, &s.name).collect();
    let stuck = matches!(s.state, ServiceState::CrashLooping | ServiceState::GaveUp);
    let recent = crashes
        .last()
        .is_some_and(|c| facts.now_ms.saturating_sub(c.at) < SETTLED_MS);
    let again = crashes.len() >= LOOP_EXITS && recent && s.state.is_active();
    if !(stuck || again) {
        return None;
    }
    let lines = facts.crash_logs.get(&s.name).map_or(&[][..], Vec::as_slice);
    let restarts: Vec<u64> = facts
        .heal
        .iter()
        .filter(|e| e.service.as_deref() == Some(&s.name) && e.kind == HealKind::Restart)
        .map(|e| e.at)
        .collect();
    let last_words: Vec<Option<&LogLine>> = crashes
        .iter()
        .map(|c| last_line(lines, &restarts, c))
        .collect();
    Some(finding(facts, s, &crashes, &last_words, lines, &restarts))
}

/// The last line the run that ended in `crash` printed: the lines after the restart that
/// began the run and before the one that followed its end.
fn last_line<'a>(lines: &'a [LogLine], restarts: &[u64], crash: &Crash) -> Option<&'a LogLine> {
    let began = restarts.iter().rev().find(|r| **r < crash.at).copied();
    let ended = if crash.restarted {
        crash.at + LOG_LAG_MS
    } else {
        restarts
            .iter()
            .find(|r| **r > crash.at)
            .copied()
            .unwrap_or(u64::MAX)
    };
    lines
        .iter()
        .rev()
        .filter(|l| began.is_none_or(|b| l.at > b) && l.at < ended)
        .find(|l| !l.text.trim().is_empty())
}

/// The line said before the most crashes (digits alike; between as many, the latest), its
/// key and how many it preceded.
fn common_line<'a>(last_words: &[Option<&'a LogLine>]) -> Option<(&'a str, String, usize)> {
    let mut counts: HashMap<String, (usize, usize, &str)> = HashMap::new();
    for (i, line) in last_words.iter().enumerate() {
        let Some(line) = line else { continue };
        let entry = counts.entry(key(&line.text)).or_insert((0, 0, ""));
        *entry = (entry.0 + 1, i, line.text.trim());
    }
    counts
        .into_iter()
        .max_by_key(|(_, (n, latest, _))| (*n, *latest))
        .map(|(k, (n, _, t))| (t, k, n))
}

/// Lines alike but for their numbers (PIDs, ports, times) share a key.
fn key(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

fn finding(
    facts: &Facts,
    s: &ServiceStatus,
    crashes: &[Crash],
    last_words: &[Option<&LogLine>],
    lines: &[LogLine],
    restarts: &[u64],
) -> Finding {
    let name = &s.name;
    let mut cause = match crashes.first() {
        Some(first) => format!(
            "{name} ended {} in {} ({})",
            times(crashes.len()),
            format::duration(facts.now_ms.saturating_sub(first.at).div_ceil(1000)),
            hows(crashes)
        ),
        None => format!("{name} keeps ending ({})", status_ending(s)),
    };
    // The last words of a crash this recent may not all be stored yet: they count when they
    // agree with the others, and are left out when they do not.
    let settled = |c: &Crash| facts.now_ms.saturating_sub(c.at) >= LOG_SETTLE_MS;
    let common = common_line(last_words);
    if let Some((line, common_key, n)) = &common {
        let known = crashes
            .iter()
            .zip(last_words)
            .filter(|(c, w)| settled(c) || w.is_some_and(|w| key(&w.text) == *common_key))
            .count();
        let each = if *n == known && *n > 1 {
            "each".to_owned()
        } else {
            format!("{n} of them")
        };
        cause += &format!(", {each} after \"{line}\"");
    }
    cause += &format!("; {}", policy(s, facts.now_ms));
    let mut evidence: Vec<Evidence> = crashes
        .iter()
        .rev()
        .take(SHOWN_CRASHES)
        .rev()
        .map(|c| Evidence {
            kind: EvidenceKind::Event,
            text: c.how.to_owned(),
            at_ms: Some(c.at),
        })
        .collect();
    if let Some(last) = crashes.iter().rev().find(|c| settled(c)).or(crashes.last()) {
        evidence.extend(run_lines(lines, restarts, last));
    }
    if let Some(reason) = &s.reason {
        evidence.push(Evidence {
            kind: EvidenceKind::Event,
            text: format!("{name}: {reason}"),
            at_ms: None,
        });
    }
    let actions = vec![
        Suggestion::Logs {
            service: Some(name.clone()),
            pattern: common.map(|(line, _, _)| regex::escape(line)),
        },
        Suggestion::Restart {
            service: name.clone(),
        },
        Suggestion::Stop {
            service: name.clone(),
        },
    ];
    Finding {
        analyzer: "crash_loop".into(),
        severity: Severity::Critical,
        rank: 6,
        service: Some(name.clone()),
        cause,
        evidence,
        actions,
        since_ms: crashes.first().map(|c| c.at),
    }
}

/// The last lines of the run that ended in `crash`.
fn run_lines(lines: &[LogLine], restarts: &[u64], crash: &Crash) -> Vec<Evidence> {
    let Some(last) = last_line(lines, restarts, crash) else {
        return Vec::new();
    };
    let began = restarts.iter().rev().find(|r| **r < crash.at).copied();
    let upto = lines
        .iter()
        .position(|l| l.seq == last.seq)
        .map_or(0, |i| i + 1);
    let run: Vec<&LogLine> = lines[..upto]
        .iter()
        .filter(|l| began.is_none_or(|b| l.at > b))
        .collect();
    run[run.len().saturating_sub(SHOWN_LINES)..]
        .iter()
        .map(|l| Evidence {
            kind: EvidenceKind::Log,
            text: l.text.clone(),
            at_ms: Some(l.at),
        })
        .collect()
}

fn times(n: usize) -> String {
    match n {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

/// `exited with code 3`, or each way it ended, most frequent first.
fn hows(crashes: &[Crash]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for c in crashes {
        match seen.iter_mut().find(|(h, _)| *h == c.how) {
            Some((_, n)) => *n += 1,
            None => seen.push((c.how, 1)),
        }
    }
    seen.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    if let [(how, _)] = seen.as_slice() {
        return (*how).to_owned();
    }
    let each: Vec<String> = seen.iter().map(|(h, n)| format!("{h} ×{n}")).collect();
    each.join(", ")
}

fn status_ending(s: &ServiceStatus) -> String {
    match (s.exit_code, &s.signal) {
        (Some(code), _) => format!("last exited with code {code}"),
        (None, Some(signal)) => format!("last killed by {signal}"),
        _ => "last ending unknown".to_owned(),
    }
}

/// The restart policy's state: backing off until when, or given up.
fn policy(s: &ServiceStatus, now_ms: u64) -> String {
    match (s.state, s.restart_at) {
        (ServiceState::GaveUp, _) => "its restart policy gave up".to_owned(),
        // Backoffs are short at first: `850ms`, not `0s`.
        (ServiceState::CrashLooping, Some(at)) => format!(
            "crash-looping, next restart in {}",
            format::latency(at.saturating_sub(now_ms) * 1000)
        ),
        (ServiceState::CrashLooping, None) => "crash-looping".to_owned(),
        (state, _) => format!("restarted, {} now", state.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Snapshot;

    fn event(at: u64, kind: HealKind, reason: &str) -> HealEvent {
        HealEvent {
            at,
            ..HealEvent::new(Some("api"), kind, reason)
        }
    }

    fn line(seq: u64, at: u64, text: &str) -> LogLine {
        LogLine {
            seq,
            at,
            source: "api".into(),
            level: None,
            pattern: None,
            text: text.into(),
            header: None,
            continues: false,
        }
    }

    fn facts(state: ServiceState, heal: Vec<HealEvent>, lines: Vec<LogLine>) -> Facts {
        let mut api = ServiceStatus::new("api");
        api.state = state;
        api.restart_at = Some(12_000);
        Facts {
            now_ms: 10_000,
            snapshot: Snapshot {
                services: vec![api],
                ..Snapshot::default()
            },
            heal,
            crash_logs: [("api".to_owned(), lines)].into(),
            ..Facts::default()
        }
    }

    /// Three runs, each printing a start line and a fatal one, each ended with code 3,
    /// restarted after a backoff.
    fn three_crashes() -> (Vec<HealEvent>, Vec<LogLine>) {
        let mut heal = Vec::new();
        let mut lines = Vec::new();
        for run in 0..3u64 {
            let t = 1_000 + run * 2_000;
            lines.push(line(run * 2, t + 100, "starting"));
            lines.push(line(
                run * 2 + 1,
                t + 200,
                "FATAL: cannot open config /etc/x.conf",
            ));
            heal.push(event(
                t + 150,
                HealKind::Backoff,
                "exited with code 3; restarting in 1s",
            ));
            heal.push(event(
                t + 1_150,
                HealKind::Restart,
                "backoff over; restarted",
            ));
        }
        (heal, lines)
    }

    #[test]
    fn a_crash_loop_names_the_exit_code_and_the_line_before_each_crash() {
        let (heal, lines) = three_crashes();
        let f = analyze(&facts(ServiceState::CrashLooping, heal, lines));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].cause,
            "api ended 3 times in 9s (exited with code 3), each after \
             \"FATAL: cannot open config /etc/x.conf\"; crash-looping, next restart in 2.0s"
        );
        assert_eq!(f[0].since_ms, Some(1_150));
        assert!(f[0].rank > 5, "above dependency_down of its dependents");
        let logs: Vec<&str> = f[0]
            .evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::Log)
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(logs, ["starting", "FATAL: cannot open config /etc/x.conf"]);
        assert_eq!(
            f[0].actions[0],
            Suggestion::Logs {
                service: Some("api".into()),
                pattern: Some(r"FATAL: cannot open config /etc/x\.conf".into())
            }
        );
    }

    #[test]
    fn a_line_printed_after_the_exit_event_still_belongs_to_its_run() {
        let heal = vec![
            event(
                1_000,
                HealKind::Backoff,
                "killed by SIGSEGV; restarting in 1s",
            ),
            event(2_000, HealKind::Restart, "backoff over; restarted"),
            event(
                2_500,
                HealKind::GaveUp,
                "5 restarts within 1m (last: killed by SIGSEGV)",
            ),
        ];
        let lines = vec![
            line(1, 1_100, "segfault at 0x0"),
            line(2, 2_100, "up"),
            line(3, 2_600, "segfault at 0x8"),
        ];
        let f = analyze(&facts(ServiceState::GaveUp, heal, lines));
        assert!(
            f[0].cause.starts_with(
                "api ended twice in 9s (killed by SIGSEGV), each after \"segfault at 0x"
            ),
            "{}",
            f[0].cause
        );
        assert!(f[0].cause.ends_with("; its restart policy gave up"));
    }

    #[test]
    fn a_recent_crash_whose_last_words_are_not_all_stored_yet_does_not_count() {
        let (mut heal, lines) = three_crashes();
        heal.push(event(
            9_500,
            HealKind::Backoff,
            "exited with code 3; restarting in 1s",
        ));
        let f = analyze(&facts(
            ServiceState::CrashLooping,
            heal.clone(),
            lines.clone(),
        ));
        assert!(f[0].cause.contains("4 times"), "{}", f[0].cause);
        assert!(f[0].cause.contains(", each after"), "{}", f[0].cause);
        let mut later = facts(ServiceState::CrashLooping, heal, lines);
        later.now_ms = 10_500;
        let f = analyze(&later);
        assert!(f[0].cause.contains(", 3 of them after"), "{}", f[0].cause);
    }

    #[test]
    fn one_crash_of_a_running_service_is_no_loop_and_a_stopped_one_is_none() {
        let heal = vec![event(
            9_000,
            HealKind::Restart,
            "exited with code 1 after 45s; restarted",
        )];
        assert!(analyze(&facts(ServiceState::Running, heal.clone(), vec![])).is_empty());
        let (heal, lines) = three_crashes();
        assert_eq!(
            analyze(&facts(ServiceState::Running, heal.clone(), lines)).len(),
            1
        );
        assert!(analyze(&facts(ServiceState::Stopped, heal, vec![])).is_empty());
    }

    #[test]
    fn endings_are_read_from_every_heal_reason() {
        assert_eq!(
            ending("exited with code 3; restarting in 2s"),
            Some("exited with code 3")
        );
        assert_eq!(
            ending("exited with code 1 after 45s; restarted"),
            Some("exited with code 1")
        );
        assert_eq!(
            ending("5 restarts within 1m (last: killed by SIGKILL)"),
            Some("killed by SIGKILL")
        );
        assert_eq!(ending("backoff over; restarted"), None);
    }

    #[test]
    fn mixed_endings_are_counted() {
        let heal = vec![
            event(
                1_000,
                HealKind::Backoff,
                "exited with code 3; restarting in 1s",
            ),
            event(
                2_000,
                HealKind::Backoff,
                "killed by SIGKILL; restarting in 1s",
            ),
            event(
                3_000,
                HealKind::Backoff,
                "exited with code 3; restarting in 1s",
            ),
        ];
        let f = analyze(&facts(ServiceState::CrashLooping, heal, vec![]));
        assert!(
            f[0].cause
                .contains("(exited with code 3 ×2, killed by SIGKILL ×1)"),
            "{}",
            f[0].cause
        );
    }
}
