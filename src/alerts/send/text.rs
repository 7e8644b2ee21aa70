//! Words shared by every message: titles, values, label lists, times.

use std::time::{Duration, UNIX_EPOCH};

use crate::alerts::route::Notification;
use crate::alerts::{Alert, AlertState, Labels};

/// `[FIRING:2] HighCpu (service=api)` or `[RESOLVED] HighCpu (service=api)`, as
/// Alertmanager's default templates title a group.
pub fn title(n: &Notification) -> String {
    let status = match n.status {
        AlertState::Resolved => "[RESOLVED]".to_owned(),
        AlertState::Firing | AlertState::Pending => format!("[FIRING:{}]", n.firing().count()),
    };
    let name = n
        .group_labels
        .get("alertname")
        .cloned()
        .or_else(|| common(&n.alerts, |a| &a.labels).remove("alertname"))
        .unwrap_or_else(|| "alerts".to_owned());
    let others = label_list(&n.group_labels, &["alertname"]);
    if others.is_empty() {
        format!("{status} {name}")
    } else {
        format!("{status} {name} ({others})")
    }
}

/// `service=api, mount=/`, leaving out `skip`.
pub fn label_list(labels: &Labels, skip: &[&str]) -> String {
    labels
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The (name, value) pairs every alert has alike (common labels or annotations).
pub fn common<'a>(alerts: &'a [Alert], pick: impl Fn(&'a Alert) -> &'a Labels) -> Labels {
    let Some((first, rest)) = alerts.split_first() else {
        return Labels::new();
    };
    pick(first)
        .iter()
        .filter(|(k, v)| rest.iter().all(|a| pick(a).get(*k) == Some(*v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `93.5`, `4096`, `0.003`: short, without float noise.
pub fn value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 0.01 {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{v:.3e}")
    }
}

/// RFC 3339 with milliseconds, UTC: what Alertmanager's payloads carry.
pub fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// RFC 3339 to the second, for people.
pub fn when(ms: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// When the alert started firing (or became active, if it never did).
pub fn starts_at(alert: &Alert) -> u64 {
    alert.fired_at.unwrap_or(alert.active_since)
}

#[cfg(test)]
pub mod fixtures {
    use crate::alerts::route::Notification;
    use crate::alerts::{Ack, Alert, AlertState, Severity};

    /// 2023-11-14T22:13:20Z.
    pub const T0: u64 = 1_700_000_000_000;

    pub fn alert(service: &str, state: AlertState) -> Alert {
        let labels = [
            ("alertname", "HighCpu"),
            ("service", service),
            ("severity", "critical"),
        ];
        Alert {
            id: format!("{service:0>16}"),
            rule: "HighCpu".into(),
            state,
            severity: Severity::Critical,
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            annotations: [("summary".to_owned(), format!("CPU of {service} above 90%"))].into(),
            value: 93.25,
            active_since: T0 - 60_000,
            fired_at: Some(T0),
            resolved_at: (state == AlertState::Resolved).then_some(T0 + 120_000),
            ack: None,
            silenced_by: None,
        }
    }

    /// Two firing alerts (one acknowledged) and a resolved one, grouped by alertname.
    pub fn notification() -> Notification {
        let mut acked = alert("web", AlertState::Firing);
        acked.ack = Some(Ack {
            by: "ana".into(),
            at: T0 + 5_000,
            comment: Some("on it".into()),
        });
        Notification {
            channel: "ops".into(),
            group_key: "ops/0:{alertname=\"HighCpu\"}".into(),
            group_labels: [("alertname".to_owned(), "HighCpu".to_owned())].into(),
            alerts: vec![
                alert("api", AlertState::Firing),
                acked,
                alert("db", AlertState::Resolved),
            ],
            status: AlertState::Firing,
            created_at: T0 + 130_000,
            dedup_key: "0123456789abcdef0123456789abcdef".into(),
            payload: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn titles_count_firing_alerts_and_name_the_group() {
        let mut n = notification();
        assert_eq!(title(&n), "[FIRING:2] HighCpu");
        n.group_labels.insert("service".into(), "api".into());
        assert_eq!(title(&n), "[FIRING:2] HighCpu (service=api)");
        n.status = AlertState::Resolved;
        assert_eq!(title(&n), "[RESOLVED] HighCpu (service=api)");
        n.group_labels.clear();
        assert_eq!(title(&n), "[RESOLVED] HighCpu", "from the common labels");
    }

    #[test]
    fn values_and_times() {
        assert_eq!(value(93.25), "93.25");
        assert_eq!(value(90.0), "90");
        assert_eq!(value(0.5), "0.5");
        assert_eq!(value(0.0012), "1.200e-3");
        assert_eq!(rfc3339(T0), "2023-11-14T22:13:20.000Z");
        assert_eq!(when(T0), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn common_labels() {
        let n = notification();
        let labels = common(&n.alerts, |a| &a.labels);
        assert_eq!(
            label_list(&labels, &[]),
            "alertname=HighCpu, severity=critical"
        );
    }
}
