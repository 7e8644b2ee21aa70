//! Alert noise: a storm (many alerts firing at once, grouped by the label most of them
//! share) and flapping rules (an alert flipping between firing and resolved over and over,
//! read from the alert journal). Both suggest a silence with the matchers that would quiet
//! them while the cause is looked into.

use std::collections::BTreeMap;

use crate::alerts::model::{Alert, AlertState};
use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::format;

use super::Facts;

/// This many alerts firing at once are a storm.
const STORM: usize = 5;
/// An alert that fired this many times within the window flaps.
const FLAPS: usize = 3;
const FLAP_WINDOW_MS: u64 = 10 * 60_000;
/// How long the suggested silences last.
const SILENCE_SECS: u64 = 3600;

pub fn storm(facts: &Facts) -> Vec<Finding> {
    let firing: Vec<&Alert> = (facts.snapshot.alerts.iter())
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    if firing.len() < STORM {
        return Vec::new();
    }
    let common = common_label(&firing);
    let shared = common
        .as_ref()
        .map(|(k, v, n)| format!("; {n} share {k}={v}"))
        .unwrap_or_default();
    let matchers = match &common {
        Some((k, v, _)) => vec![format!("{k}={v}")],
        None => Vec::new(),
    };
    let since = firing.iter().filter_map(|a| a.fired_at).min();
    let evidence = (firing.iter().take(10))
        .map(|a| Evidence {
            kind: EvidenceKind::Alert,
            text: format!("{} {}", a.describe(), a.severity.as_str()),
            at_ms: a.fired_at,
        })
        .collect();
    let actions = if matchers.is_empty() {
        Vec::new()
    } else {
        vec![Suggestion::Silence {
            matchers,
            for_secs: SILENCE_SECS,
        }]
    };
    vec![Finding {
        analyzer: "alert_storm".into(),
        severity: Severity::Warning,
        rank: 1,
        service: None,
        cause: format!("{} alerts are firing at once{shared}", firing.len()),
        evidence,
        actions,
        since_ms: since,
    }]
}

/// The label (other than `alertname` and `severity`) most of the alerts share, when at
/// least half do: `(name, value, how many)`.
fn common_label(alerts: &[&Alert]) -> Option<(String, String, usize)> {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for a in alerts {
        for (k, v) in &a.labels {
            if k != "severity" {
                *counts.entry((k, v)).or_default() += 1;
            }
        }
    }
    let ((k, v), n) = counts
        .into_iter()
        .max_by_key(|(kv, n)| (*n, kv.0 != "alertname"))?;
    (n * 2 >= alerts.len()).then(|| (k.to_owned(), v.to_owned(), n))
}

pub fn flapping(facts: &Facts) -> Vec<Finding> {
    let from = facts.now_ms.saturating_sub(FLAP_WINDOW_MS);
    let mut fired: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut rules: BTreeMap<&str, &str> = BTreeMap::new();
    for e in facts.alert_history.iter().filter(|e| e.at >= from) {
        let (Some(alert), Some(rule)) = (&e.alert, &e.rule) else {
            continue;
        };
        if e.kind == "firing" {
            fired.entry(alert).or_default().push(e.at);
            rules.insert(alert, rule);
        }
    }
    fired
        .into_iter()
        .filter(|(_, at)| at.len() >= FLAPS)
        .filter_map(|(id, at)| flap(facts, id, rules.get(id).copied()?, &at))
        .collect()
}

fn flap(facts: &Facts, id: &str, rule: &str, fired: &[u64]) -> Option<Finding> {
    let alert = facts.snapshot.alerts.iter().find(|a| a.id == id);
    let label = alert.map_or_else(|| rule.to_owned(), Alert::describe);
    let mut matchers = vec![format!("alertname={rule}")];
    if let Some(a) = alert {
        matchers.extend(
            (a.labels.iter())
                .filter(|(k, _)| k.as_str() != "alertname" && k.as_str() != "severity")
                .map(|(k, v)| format!("{k}={v}")),
        );
    }
    let (first, last) = (*fired.first()?, *fired.last()?);
    let evidence = (facts.alert_history.iter())
        .filter(|e| e.alert.as_deref() == Some(id) && e.at >= first)
        .rev()
        .take(6)
        .map(|e| Evidence {
            kind: EvidenceKind::Alert,
            text: e.text.clone(),
            at_ms: Some(e.at),
        })
        .collect();
    Some(Finding {
        analyzer: "flapping_rule".into(),
        severity: Severity::Warning,
        rank: 2,
        service: alert.and_then(|a| a.labels.get("service").cloned()),
        cause: format!(
            "{label} flaps: it fired {} times in {}, resolving in between",
            fired.len(),
            format::duration((last - first) / 1000)
        ),
        evidence,
        actions: vec![Suggestion::Silence {
            matchers,
            for_secs: SILENCE_SECS,
        }],
        since_ms: Some(first),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::model::Severity as AlertSeverity;
    use crate::store::journal::Entry;

    fn alert(id: &str, rule: &str, labels: &[(&str, &str)]) -> Alert {
        let mut all: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        all.insert("alertname".into(), rule.into());
        all.insert("severity".into(), "warning".into());
        Alert {
            id: id.into(),
            rule: rule.into(),
            state: AlertState::Firing,
            severity: AlertSeverity::Warning,
            labels: all,
            annotations: BTreeMap::new(),
            value: 1.0,
            active_since: 1_000,
            fired_at: Some(1_000),
            resolved_at: None,
            ack: None,
            silenced_by: None,
        }
    }

    fn facts(alerts: Vec<Alert>) -> Facts {
        let mut f = Facts {
            now_ms: 60_000,
            ..Facts::default()
        };
        f.snapshot.alerts = alerts;
        f
    }

    #[test]
    fn a_storm_is_grouped_by_the_label_most_share() {
        let mut alerts: Vec<Alert> = (0..5)
            .map(|i| alert(&format!("a{i}"), &format!("Rule{i}"), &[("service", "api")]))
            .collect();
        alerts.push(alert("b", "Disk", &[("mount", "/")]));
        let f = storm(&facts(alerts));
        assert_eq!(
            f[0].cause,
            "6 alerts are firing at once; 5 share service=api"
        );
        assert_eq!(
            f[0].actions,
            [Suggestion::Silence {
                matchers: vec!["service=api".into()],
                for_secs: 3600
            }]
        );
        let few = (0..4).map(|i| alert(&format!("a{i}"), "R", &[])).collect();
        assert!(storm(&facts(few)).is_empty());
    }

    fn entry(at: u64, kind: &str) -> Entry {
        Entry {
            at,
            kind: kind.into(),
            alert: Some("f1".into()),
            rule: Some("PortFlap".into()),
            text: format!("PortFlap{{instance=127.0.0.1:9}} {kind} at 1"),
        }
    }

    #[test]
    fn an_alert_firing_again_and_again_flaps_and_is_silenced_by_its_labels() {
        let mut f = facts(vec![alert(
            "f1",
            "PortFlap",
            &[("instance", "127.0.0.1:9")],
        )]);
        f.alert_history = (0..4)
            .flat_map(|i| {
                [
                    entry(10_000 + i * 2_000, "firing"),
                    entry(11_000 + i * 2_000, "resolved"),
                ]
            })
            .collect();
        let found = flapping(&f);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].cause,
            "PortFlap{instance=127.0.0.1:9} flaps: it fired 4 times in 6s, resolving in between"
        );
        assert_eq!(
            found[0].actions,
            [Suggestion::Silence {
                matchers: vec!["alertname=PortFlap".into(), "instance=127.0.0.1:9".into()],
                for_secs: 3600
            }]
        );
    }

    #[test]
    fn firing_twice_or_long_ago_is_not_flapping() {
        let mut f = facts(vec![]);
        f.alert_history = vec![
            entry(10_000, "firing"),
            entry(11_000, "resolved"),
            entry(12_000, "firing"),
        ];
        assert!(flapping(&f).is_empty());
        f.alert_history = (0..4).map(|i| entry(i * 1_000, "firing")).collect();
        f.now_ms = FLAP_WINDOW_MS + 10_000;
        assert!(flapping(&f).is_empty());
    }
}
