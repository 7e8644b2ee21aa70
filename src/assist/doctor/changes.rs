//! What changed: each firing alert and each new error pattern, put next to what happened
//! in the minutes before it — config revisions (with the fields they changed), environment
//! switches, deploys, restarts. "errors in api started 40s after revision 7 (env.DB_URL
//! changed)". A symptom with nothing before it is left to the other analyzers.

use crate::alerts::model::{AlertState, Severity as AlertSeverity};
use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::deploy::model::{DeployState, Deployment};
use crate::format;
use crate::heal::event::HealKind;
use crate::logs::PatternInfo;

use super::Facts;
use super::records::ConfigChange;

/// A change this long before a symptom may explain it.
const BEFORE_MS: u64 = 10 * 60_000;
/// Clocks of the log lines and of the engine may differ by this much.
const SLACK_MS: u64 = 1_000;
/// A pattern is an error pattern when more than this share of its lines are ERROR or FATAL.
const ERROR_SHARE: f64 = 0.5;
/// Example lines shown.
const EXAMPLES: usize = 2;

/// Something that went wrong, and when it began.
struct Symptom {
    service: Option<String>,
    at: u64,
    /// `errors in api`, `alert HighLatency{service=api} firing`.
    what: String,
    severity: Severity,
    evidence: Vec<Evidence>,
    pattern: Option<String>,
}

/// Something that happened to what runs.
struct Change {
    at: u64,
    /// `revision 7 (env.DB_URL changed)`.
    what: String,
    /// The services it touched; empty for all of them (an environment switch).
    services: Vec<String>,
    evidence: Evidence,
    rollback: Option<String>,
    /// It left what runs as it was: a deploy that failed before its switch or was rolled
    /// back. Nearest to a symptom, it is the symptom's story (`deploy_failed` tells it), and
    /// no earlier change is blamed.
    inert: bool,
    /// A restart of this service: part of its own fault's story (a crash loop), never what
    /// changed for it.
    restart_of: Option<String>,
}

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    let changes = changes(facts);
    let mut found: Vec<Finding> = Vec::new();
    for symptom in symptoms(facts) {
        let Some(change) = explain(&symptom, &changes) else {
            continue;
        };
        // One finding per service and change: the first symptom speaks for the rest.
        let dup = found
            .iter()
            .any(|f| f.service == symptom.service && f.evidence.first() == Some(&change.evidence));
        if !dup {
            found.push(finding(symptom, change));
        }
    }
    found
}

/// The latest change before the symptom, one that touched its service first.
fn explain<'a>(symptom: &Symptom, changes: &'a [Change]) -> Option<&'a Change> {
    let before = |c: &&Change| {
        c.at <= symptom.at + SLACK_MS
            && c.at + BEFORE_MS >= symptom.at
            && (c.restart_of.is_none() || c.restart_of != symptom.service)
    };

    let touches = |c: &&Change| {
        c.services.is_empty()
            || symptom
                .service
                .as_ref()
                .is_some_and(|s| c.services.contains(s))
    };
    let latest = |a: &&Change, b: &&Change| a.at.cmp(&b.at);
    match changes.iter().filter(before).filter(touches).max_by(latest) {
        Some(nearest) => (!nearest.inert).then_some(nearest),
        None => (changes.iter().filter(before))
            .filter(|c| !c.inert)
            .max_by(latest),
    }
}

fn finding(symptom: Symptom, change: &Change) -> Finding {
    let after = symptom.at.saturating_sub(change.at) / 1000;
    let cause = format!(
        "{} started {} after {}",
        symptom.what,
        format::duration(after),
        change.what
    );
    let mut evidence = vec![change.evidence.clone()];
    evidence.extend(symptom.evidence);
    let mut actions = vec![Suggestion::Logs {
        service: symptom.service.clone(),
        pattern: symptom.pattern,
    }];
    actions.extend(
        change
            .rollback
            .clone()
            .map(|service| Suggestion::Rollback { service }),
    );
    Finding {
        analyzer: "what_changed".into(),
        severity: symptom.severity,
        // The change is the root the symptom's other findings grow from.
        rank: 7,
        service: symptom.service,
        cause,
        evidence,
        actions,
        since_ms: Some(symptom.at),
    }
}

fn symptoms(facts: &Facts) -> Vec<Symptom> {
    let mut out: Vec<Symptom> = (facts.patterns.iter())
        .filter(|p| p.new && is_errors(p))
        .map(|p| pattern_symptom(facts, p))
        .collect();
    out.extend(
        (facts.snapshot.alerts.iter())
            .filter(|a| a.state == AlertState::Firing)
            .map(|a| Symptom {
                service: a.labels.get("service").cloned(),
                at: a.fired_at.unwrap_or(a.active_since),
                what: format!("alert {} firing", a.describe()),
                severity: match a.severity {
                    AlertSeverity::Critical => Severity::Critical,
                    AlertSeverity::Warning => Severity::Warning,
                    AlertSeverity::Info => Severity::Info,
                },
                evidence: vec![Evidence {
                    kind: EvidenceKind::Alert,
                    text: format!("{} = {}", a.describe(), a.value),
                    at_ms: a.fired_at,
                }],
                pattern: None,
            }),
    );
    out.sort_by_key(|s| s.at);
    out
}

fn is_errors(p: &PatternInfo) -> bool {
    let total = p.levels.total();
    total > 0 && p.levels.errors() as f64 > total as f64 * ERROR_SHARE
}

fn pattern_symptom(facts: &Facts, p: &PatternInfo) -> Symptom {
    // A pattern's source is a service's name when its lines are the service's output.
    let service = (p.sources.iter())
        .find(|s| facts.snapshot.service(s).is_some())
        .or(p.sources.first())
        .cloned();
    let whose = service
        .as_deref()
        .map(|s| format!(" in {s}"))
        .unwrap_or_default();
    let mut evidence: Vec<Evidence> = (p.examples.iter().take(EXAMPLES))
        .map(|line| Evidence {
            kind: EvidenceKind::Log,
            text: line.clone(),
            at_ms: None,
        })
        .collect();
    evidence.push(Evidence {
        kind: EvidenceKind::Log,
        text: format!("new pattern, {} lines: {}", p.count, p.template),
        at_ms: Some(p.first_seen),
    });
    Symptom {
        service,
        at: p.first_seen,
        what: format!("errors{whose}"),
        severity: Severity::Warning,
        evidence,
        pattern: literal(&p.template),
    }
}

/// The longest literal stretch of a template, as a regex matching it.
fn literal(template: &str) -> Option<String> {
    let part = (template.split("<*>").map(str::trim)).max_by_key(|s| s.len())?;
    (!part.is_empty()).then(|| regex::escape(part))
}

fn changes(facts: &Facts) -> Vec<Change> {
    let mut out: Vec<Change> = facts.config_changes.iter().filter_map(revision).collect();
    out.extend(facts.deploys.iter().map(deploy));
    out.extend(
        (facts.heal.iter())
            .filter(|e| e.kind == HealKind::Restart)
            .map(|e| {
                let service = e.service.clone().unwrap_or_default();
                Change {
                    at: e.at,
                    what: format!("a restart of {service} ({})", e.reason),
                    services: vec![service.clone()],
                    evidence: Evidence {
                        kind: EvidenceKind::Event,
                        text: e.reason.clone(),
                        at_ms: Some(e.at),
                    },
                    rollback: None,
                    inert: false,
                    restart_of: Some(service),
                }
            }),
    );
    out
}

fn revision(c: &ConfigChange) -> Option<Change> {
    if c.changed.is_empty() && c.switched_from.is_none() {
        return None;
    }
    let services: Vec<String> = (c.changed.iter())
        .filter_map(|path| path.strip_prefix("services.")?.split('.').next())
        .map(str::to_owned)
        .fold(Vec::new(), |mut all, s| {
            if !all.contains(&s) {
                all.push(s);
            }
            all
        });
    let what = match (&c.switched_from, &c.environment) {
        (Some(from), Some(to)) => format!("the switch from {from} to {to} (revision {})", c.id),
        _ => format!("revision {} ({} changed)", c.id, short_paths(&c.changed)),
    };
    let services = if c.switched_from.is_some() {
        Vec::new()
    } else {
        services
    };
    Some(Change {
        at: c.at,
        what,
        services,
        evidence: Evidence {
            kind: EvidenceKind::Config,
            text: format!(
                "revision {} applied by {} ({}): {}",
                c.id,
                c.author,
                c.reason,
                c.changed.join(", ")
            ),
            at_ms: Some(c.at),
        },
        rollback: None,
        inert: false,
        restart_of: None,
    })
}

/// `env.DB_URL, command` for one service's fields; full paths when several services.
fn short_paths(paths: &[String]) -> String {
    let shown: Vec<&str> = paths.iter().take(3).map(|p| short(p)).collect();
    let more = paths.len().saturating_sub(shown.len());
    let mut text = shown.join(", ");
    if more > 0 {
        text += &format!(" and {more} more");
    }
    text
}

/// `services.api.env.DB_URL` → `env.DB_URL`.
fn short(path: &str) -> &str {
    match path.strip_prefix("services.") {
        Some(rest) => rest.split_once('.').map_or(rest, |(_, field)| field),
        None => path,
    }
}

fn deploy(d: &Deployment) -> Change {
    let at = d.ended_at.unwrap_or(d.started_at);
    Change {
        at,
        what: format!(
            "deploy #{} of {} ({}, {})",
            d.id,
            d.service,
            d.git_ref,
            d.state.as_str()
        ),
        services: vec![d.service.clone()],
        evidence: Evidence {
            kind: EvidenceKind::Deploy,
            text: format!(
                "deploy #{} of {} by {}: {}",
                d.id,
                d.service,
                d.by,
                d.state.as_str()
            ),
            at_ms: Some(at),
        },
        rollback: d.switched.then(|| d.service.clone()),
        inert: !(d.state == DeployState::Succeeded || d.switched),
        restart_of: None,
    }
}

#[cfg(test)]
#[path = "changes_tests.rs"]
mod tests;
