//! Slack incoming webhooks: `text` for notifications and clients without blocks, and
//! `blocks` for the message itself (a header, one section per alert, a context line).

use serde_json::{Value, json};

use super::Context;
use super::text::{label_list, title, value, when};
use crate::alerts::route::Notification;
use crate::alerts::{Alert, AlertState, Severity};

/// Slack allows 50 blocks a message; a long group shows this many alerts and a count.
const MAX_ALERTS: usize = 20;
/// Slack's limits on a header's and a section's text.
const HEADER_MAX: usize = 150;
const SECTION_MAX: usize = 3000;

pub fn body(n: &Notification, cx: &Context<'_>) -> Vec<u8> {
    serde_json::to_vec(&payload(n, cx)).unwrap_or_default()
}

fn payload(n: &Notification, cx: &Context<'_>) -> Value {
    let title = title(n);
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": clip(&format!("{} {title}", emoji(n)), HEADER_MAX), "emoji": true },
    })];
    for alert in n.alerts.iter().take(MAX_ALERTS) {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": clip(&section(alert), SECTION_MAX) },
        }));
    }
    if n.alerts.len() > MAX_ALERTS {
        let more = n.alerts.len() - MAX_ALERTS;
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": format!("… and {more} more") },
        }));
    }
    let firing = n.firing().count();
    let resolved = n.resolved().count();
    let context = format!(
        "uc · workspace *{}* · {firing} firing · {resolved} resolved",
        escape(cx.workspace)
    );
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": context }],
    }));
    json!({ "text": format!("{title} — {}", cx.workspace), "blocks": blocks })
}

/// Red, orange or blue by the most severe firing alert; a check mark when all resolved.
fn emoji(n: &Notification) -> &'static str {
    match n.firing().map(|a| a.severity).max() {
        None => "✅",
        Some(Severity::Critical) => "🔴",
        Some(Severity::Warning) => "🟠",
        Some(Severity::Info) => "🔵",
    }
}

/// `*HighCpu* · critical · firing`, then labels, value, annotations and times.
fn section(alert: &Alert) -> String {
    let mut lines = vec![format!(
        "*{}* · `{}` · {}",
        escape(&alert.rule),
        alert.severity,
        alert.state.as_str()
    )];
    let labels = label_list(&alert.labels, &["alertname", "severity"]);
    if !labels.is_empty() {
        lines.push(escape(&labels));
    }
    lines.push(format!("value: *{}*", value(alert.value)));
    for (name, text) in &alert.annotations {
        lines.push(format!("{}: {}", escape(name), escape(text)));
    }
    let since = alert.fired_at.unwrap_or(alert.active_since);
    match (alert.state, alert.resolved_at) {
        (AlertState::Resolved, Some(at)) => lines.push(format!("resolved {}", when(at))),
        _ => lines.push(format!("since {}", when(since))),
    }
    if let Some(ack) = &alert.ack {
        let comment = ack
            .comment
            .as_deref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        lines.push(format!(
            "acknowledged by {}{}",
            escape(&ack.by),
            escape(&comment)
        ));
    }
    lines.join("\n")
}

/// Slack reads `&`, `<` and `>` as markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::send::text::fixtures::{T0, notification};

    fn cx() -> Context<'static> {
        Context {
            workspace: "hvac",
            external_url: "",
            now_ms: T0,
        }
    }

    #[test]
    fn a_message_has_text_a_header_a_section_per_alert_and_context() {
        let p = payload(&notification(), &cx());
        assert_eq!(p["text"], "[FIRING:2] HighCpu — hvac");
        let blocks = p["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 5);
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["text"], "🔴 [FIRING:2] HighCpu");
        assert_eq!(
            blocks[1]["text"]["text"],
            "*HighCpu* · `critical` · firing\nservice=api\nvalue: *93.25*\n\
             summary: CPU of api above 90%\nsince 2023-11-14T22:13:20Z"
        );
        let acked = blocks[2]["text"]["text"].as_str().unwrap();
        assert!(acked.ends_with("acknowledged by ana: on it"), "{acked}");
        let resolved = blocks[3]["text"]["text"].as_str().unwrap();
        assert!(
            resolved.ends_with("resolved 2023-11-14T22:15:20Z"),
            "{resolved}"
        );
        assert_eq!(blocks[4]["type"], "context");
        assert_eq!(
            blocks[4]["elements"][0]["text"],
            "uc · workspace *hvac* · 2 firing · 1 resolved"
        );
    }

    #[test]
    fn long_groups_are_cut_and_markup_escaped() {
        let mut n = notification();
        let template = n.alerts[0].clone();
        n.alerts = (0..30).map(|_| template.clone()).collect();
        n.alerts[0]
            .annotations
            .insert("summary".into(), "<@here> & co".into());
        let p = payload(&n, &cx());
        let blocks = p["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 1 + MAX_ALERTS + 2);
        assert_eq!(blocks[MAX_ALERTS + 1]["text"]["text"], "… and 10 more");
        let first = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(first.contains("summary: &lt;@here&gt; &amp; co"), "{first}");
        n.status = AlertState::Resolved;
        n.alerts.retain(|_| false);
        assert_eq!(emoji(&n), "✅");
    }
}
