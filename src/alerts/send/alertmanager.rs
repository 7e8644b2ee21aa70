//! Forwarding to a Prometheus Alertmanager as Prometheus does: `POST /api/v2/alerts` with
//! every active alert. A firing alert's `endsAt` is a few minutes ahead and moved on by each
//! forward, so Alertmanager resolves it by itself if uc stops sending; a resolved one
//! carries its resolution time.

use serde_json::{Map, Value, json};

use super::Context;
use super::text::{rfc3339, starts_at};
use crate::alerts::route::Notification;
use crate::alerts::{Alert, AlertState};

/// How far ahead a firing alert's `endsAt` is set (Prometheus: 4 × its resend delay of
/// 1 m; 3 m still outlasts two missed forwards).
const FIRING_FOR_MS: u64 = 3 * 60_000;

pub fn endpoint(base: &str) -> String {
    format!("{}/api/v2/alerts", base.trim_end_matches('/'))
}

pub fn body(n: &Notification, cx: &Context<'_>) -> Vec<u8> {
    serde_json::to_vec(&payload(n, cx)).unwrap_or_default()
}

fn payload(n: &Notification, cx: &Context<'_>) -> Value {
    Value::Array(n.alerts.iter().map(|a| alert(a, cx)).collect())
}

fn alert(alert: &Alert, cx: &Context<'_>) -> Value {
    let ends_at = match (alert.state, alert.resolved_at) {
        (AlertState::Resolved, Some(at)) => at,
        _ => cx.now_ms + FIRING_FOR_MS,
    };
    let mut out = Map::new();
    out.insert("labels".into(), json!(alert.labels));
    out.insert("annotations".into(), json!(alert.annotations));
    out.insert("startsAt".into(), json!(rfc3339(starts_at(alert))));
    out.insert("endsAt".into(), json!(rfc3339(ends_at)));
    // Alertmanager validates it as a URI: left out rather than sent empty.
    if !cx.external_url.is_empty() {
        out.insert("generatorURL".into(), json!(cx.external_url));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::send::text::fixtures::{T0, notification};

    #[test]
    fn alerts_are_posted_as_the_v2_list() {
        assert_eq!(
            endpoint("http://127.0.0.1:9093/"),
            "http://127.0.0.1:9093/api/v2/alerts"
        );
        let cx = Context {
            workspace: "hvac",
            external_url: "",
            now_ms: T0 + 130_000,
        };
        let p = payload(&notification(), &cx);
        let alerts = p.as_array().unwrap();
        assert_eq!(alerts.len(), 3);
        assert_eq!(alerts[0]["labels"]["service"], "api");
        assert_eq!(alerts[0]["startsAt"], "2023-11-14T22:13:20.000Z");
        assert_eq!(
            alerts[0]["endsAt"], "2023-11-14T22:18:30.000Z",
            "now + 3 min"
        );
        assert_eq!(
            alerts[2]["endsAt"], "2023-11-14T22:15:20.000Z",
            "resolved_at"
        );
        assert!(alerts[0].get("generatorURL").is_none());
        let cx = Context {
            external_url: "http://uc.example",
            ..cx
        };
        assert_eq!(
            payload(&notification(), &cx)[0]["generatorURL"],
            "http://uc.example"
        );
    }
}
