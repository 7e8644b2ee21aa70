//! Email through an SMTP relay (lettre): plain text, one message per notification to every
//! recipient, a new connection each time (notifications are rare; no idle connection to
//! keep alive or to find dead).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::text::{label_list, title, value, when};
use super::{Context, Failure, Receipt, SendError};
use crate::alerts::channels::{EmailTarget, SmtpTls};
use crate::alerts::route::Notification;
use crate::alerts::{Alert, AlertState};

const TIMEOUT: Duration = Duration::from_secs(10);

pub async fn send(
    target: &EmailTarget,
    n: &Notification,
    cx: &Context<'_>,
) -> Result<Receipt, SendError> {
    let message = message(target, n, cx)?;
    let transport = transport(target).map_err(|e| smtp_error(&e))?;
    match transport.send(message).await {
        Ok(response) => Ok(Receipt {
            code: Some(u16::from(response.code())),
            detail: format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            ),
        }),
        Err(e) => Err(smtp_error(&e)),
    }
}

fn transport(
    target: &EmailTarget,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let builder = match target.tls {
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&target.host)?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&target.host)?,
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&target.host),
    };
    let mut builder = builder.port(target.port).timeout(Some(TIMEOUT));
    if let Some((user, password)) = &target.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

/// A permanent SMTP error (5xx) rejects this message; anything else (4xx, connection, TLS,
/// timeout) means the relay is unavailable for now.
fn smtp_error(e: &lettre::transport::smtp::Error) -> SendError {
    SendError {
        kind: if e.is_permanent() {
            Failure::Rejected
        } else {
            Failure::Unavailable
        },
        code: e.status().map(u16::from),
        detail: e.to_string(),
        retry_after: None,
    }
}

fn message(target: &EmailTarget, n: &Notification, cx: &Context<'_>) -> Result<Message, SendError> {
    let mailbox = |text: &str| {
        text.parse::<Mailbox>()
            .map_err(|e| SendError::rejected(format!("invalid address `{text}`: {e}")))
    };
    let mut builder = Message::builder()
        // The same notification sent twice has the same Message-ID, which mail systems
        // recognise as one message.
        .message_id(Some(format!("<{}@univers-container>", n.dedup_key)))
        .from(mailbox(&target.from)?)
        .subject(title(n))
        .header(ContentType::TEXT_PLAIN);
    for to in &target.to {
        builder = builder.to(mailbox(to)?);
    }
    builder
        .body(text(n, cx))
        .map_err(|e| SendError::rejected(format!("cannot build the message: {e}")))
}

/// The body: the title, then each firing and resolved alert with its details.
pub fn text(n: &Notification, cx: &Context<'_>) -> String {
    let mut out = format!("{}\nWorkspace: {}\n", title(n), cx.workspace);
    let sections = [
        ("Firing", AlertState::Firing),
        ("Resolved", AlertState::Resolved),
    ];
    for (heading, state) in sections {
        let alerts: Vec<&Alert> = n.alerts.iter().filter(|a| a.state == state).collect();
        if alerts.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{heading} ({})\n", alerts.len()));
        for alert in alerts {
            out.push_str(&describe(alert));
        }
    }
    if !cx.external_url.is_empty() {
        out.push_str(&format!("\n{}\n", cx.external_url));
    }
    out
}

fn describe(alert: &Alert) -> String {
    let mut lines = vec![format!("- {} ({})", alert.rule, alert.severity)];
    let labels = label_list(&alert.labels, &["alertname", "severity"]);
    if !labels.is_empty() {
        lines.push(format!("  labels: {labels}"));
    }
    lines.push(format!("  value: {}", value(alert.value)));
    for (name, text) in &alert.annotations {
        lines.push(format!("  {name}: {text}"));
    }
    lines.push(format!(
        "  since: {}",
        when(alert.fired_at.unwrap_or(alert.active_since))
    ));
    if let Some(at) = alert
        .resolved_at
        .filter(|_| alert.state == AlertState::Resolved)
    {
        lines.push(format!("  resolved: {}", when(at)));
    }
    if let Some(ack) = &alert.ack {
        let comment = ack
            .comment
            .as_deref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        lines.push(format!(
            "  acknowledged by {} at {}{comment}",
            ack.by,
            when(ack.at)
        ));
    }
    lines.push(String::new());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::send::text::fixtures::{T0, notification};

    #[test]
    fn the_body_lists_alerts_with_labels_values_annotations_and_times() {
        let cx = Context {
            workspace: "hvac",
            external_url: "",
            now_ms: T0,
        };
        let expected = "\
[FIRING:2] HighCpu
Workspace: hvac

Firing (2)
- HighCpu (critical)
  labels: service=api
  value: 93.25
  summary: CPU of api above 90%
  since: 2023-11-14T22:13:20Z
- HighCpu (critical)
  labels: service=web
  value: 93.25
  summary: CPU of web above 90%
  since: 2023-11-14T22:13:20Z
  acknowledged by ana at 2023-11-14T22:13:25Z: on it

Resolved (1)
- HighCpu (critical)
  labels: service=db
  value: 93.25
  summary: CPU of db above 90%
  since: 2023-11-14T22:13:20Z
  resolved: 2023-11-14T22:15:20Z
";
        assert_eq!(text(&notification(), &cx), expected);
    }

    #[test]
    fn messages_go_to_every_recipient() {
        let target = EmailTarget {
            host: "relay".into(),
            port: 25,
            tls: SmtpTls::None,
            credentials: None,
            from: "uc <uc@example.com>".into(),
            to: vec!["a@example.com".into(), "b@example.com".into()],
        };
        let cx = Context {
            workspace: "hvac",
            external_url: "",
            now_ms: T0,
        };
        let message = message(&target, &notification(), &cx).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Subject: [FIRING:2] HighCpu\r\n"), "{raw}");
        assert!(
            raw.contains("To: a@example.com, b@example.com\r\n"),
            "{raw}"
        );
        let id = "Message-ID: <0123456789abcdef0123456789abcdef@univers-container>\r\n";
        assert!(raw.contains(id), "{raw}");
        assert_eq!(message.envelope().to().len(), 2);
    }
}
