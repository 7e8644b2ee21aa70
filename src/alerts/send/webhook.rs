//! Generic webhooks get Alertmanager's webhook payload (version 4), so receivers written for
//! Alertmanager work unchanged. Every request carries `X-UC-Timestamp` (Unix seconds at
//! sending); with a secret, the timestamp and the exact body are signed together, as Stripe
//! and Slack do: `X-UC-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`.
//! A receiver that checks the signature and refuses a timestamp older than a few minutes
//! cannot be fed a captured request again later.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Context;
use super::text::{common, rfc3339, starts_at};
use crate::alerts::channels::WebhookTarget;
use crate::alerts::route::Notification;
use crate::alerts::{Alert, AlertState};

pub const SIGNATURE_HEADER: &str = "X-UC-Signature";
pub const TIMESTAMP_HEADER: &str = "X-UC-Timestamp";

/// Alertmanager's "no end yet".
const NO_END: &str = "0001-01-01T00:00:00Z";

pub fn body(n: &Notification, cx: &Context<'_>) -> Vec<u8> {
    serde_json::to_vec(&payload(n, cx)).unwrap_or_default()
}

fn payload(n: &Notification, cx: &Context<'_>) -> Value {
    let alerts: Vec<Value> = n.alerts.iter().map(|a| alert(a, cx)).collect();
    json!({
        "version": "4",
        "groupKey": n.group_key,
        "truncatedAlerts": 0,
        "status": status(n.status),
        "receiver": n.channel,
        "groupLabels": n.group_labels,
        "commonLabels": common(&n.alerts, |a| &a.labels),
        "commonAnnotations": common(&n.alerts, |a| &a.annotations),
        "externalURL": cx.external_url,
        "alerts": alerts,
    })
}

fn alert(alert: &Alert, cx: &Context<'_>) -> Value {
    let ends_at = match (alert.state, alert.resolved_at) {
        (AlertState::Resolved, Some(at)) => rfc3339(at),
        _ => NO_END.to_owned(),
    };
    json!({
        "status": status(alert.state),
        "labels": alert.labels,
        "annotations": alert.annotations,
        "startsAt": rfc3339(starts_at(alert)),
        "endsAt": ends_at,
        "generatorURL": cx.external_url,
        "fingerprint": alert.id,
    })
}

fn status(state: AlertState) -> &'static str {
    match state {
        AlertState::Resolved => "resolved",
        AlertState::Firing | AlertState::Pending => "firing",
    }
}

/// The channel's own headers, then the timestamp and signature.
pub fn headers(target: &WebhookTarget, body: &[u8], now_ms: u64) -> Vec<(String, String)> {
    let mut headers = target.headers.clone();
    let timestamp = (now_ms / 1000).to_string();
    let signed = (target.secret.as_ref()).map(|s| signature(s.expose(), &timestamp, body));
    headers.push((TIMESTAMP_HEADER.to_owned(), timestamp));
    if let Some(signed) = signed {
        headers.push((SIGNATURE_HEADER.to_owned(), signed));
    }
    headers
}

/// `sha256=<hex>` of `"{timestamp}.{body}"`: the timestamp is signed with the body, so a
/// captured request cannot be sent again under a fresh timestamp.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::channels::Secret;
    use crate::alerts::send::text::fixtures::{T0, notification};

    fn cx() -> Context<'static> {
        Context {
            workspace: "hvac",
            external_url: "http://127.0.0.1:7000",
            now_ms: T0 + 200_000,
        }
    }

    #[test]
    fn the_payload_has_alertmanagers_v4_shape() {
        let p = payload(&notification(), &cx());
        assert_eq!(p["version"], "4");
        assert_eq!(p["groupKey"], "ops/0:{alertname=\"HighCpu\"}");
        assert_eq!(p["status"], "firing");
        assert_eq!(p["receiver"], "ops");
        assert_eq!(p["groupLabels"], json!({ "alertname": "HighCpu" }));
        assert_eq!(
            p["commonLabels"],
            json!({ "alertname": "HighCpu", "severity": "critical" })
        );
        assert_eq!(p["commonAnnotations"], json!({}));
        assert_eq!(p["externalURL"], "http://127.0.0.1:7000");
        let first = &p["alerts"][0];
        assert_eq!(first["status"], "firing");
        assert_eq!(first["startsAt"], "2023-11-14T22:13:20.000Z");
        assert_eq!(first["endsAt"], NO_END);
        assert_eq!(first["fingerprint"], "0000000000000api");
        assert_eq!(first["labels"]["service"], "api");
        assert_eq!(first["annotations"]["summary"], "CPU of api above 90%");
        assert_eq!(p["alerts"][2]["status"], "resolved");
        assert_eq!(p["alerts"][2]["endsAt"], "2023-11-14T22:15:20.000Z");
    }

    #[test]
    fn headers_carry_the_timestamp_and_a_signature_of_timestamp_and_body() {
        let target = WebhookTarget {
            url: "http://x".into(),
            secret: Some(Secret::new("key")),
            headers: vec![("X-Team".into(), "web".into())],
        };
        let body = b"The quick brown fox jumps over the lazy dog";
        let headers = headers(&target, body, 1_700_000_000_999);
        // `printf '1700000000.The quick…' | openssl dgst -sha256 -hmac key`
        let expected = "sha256=2f658d6aef4f246e91cd741bbcded7479e9605f9d41c9e248122a117e0e1765b";
        assert_eq!(
            headers,
            [
                ("X-Team".to_owned(), "web".to_owned()),
                (TIMESTAMP_HEADER.to_owned(), "1700000000".to_owned()),
                (SIGNATURE_HEADER.to_owned(), expected.to_owned()),
            ]
        );
        let unsigned = WebhookTarget {
            secret: None,
            ..target
        };
        assert_eq!(headers_of(&unsigned).len(), 2);
    }

    fn headers_of(target: &WebhookTarget) -> Vec<(String, String)> {
        headers(target, b"{}", 0)
    }
}
