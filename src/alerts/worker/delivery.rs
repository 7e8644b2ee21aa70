//! The alerts worker's side of delivery: starting the delivery worker, and turning what it
//! reports into notices and the storage state; the outbox's attempts as history lines.

use crate::alerts::{ChannelsConfig, Delivery, DeliveryEvent};
use crate::clock::now_ms;
use crate::paths::Paths;
use crate::protocol::{Hub, NoticeLevel};
use crate::store::journal::Entry;

/// What waits for space while the outbox cannot be written, as `uc status` names it.
const WAITING: &str = "notifications";

/// The delivery worker on the outbox of `paths`; `None` (said in a notice) when it cannot
/// start.
pub(super) fn start(
    paths: &Paths,
    workspace: &str,
    channels: ChannelsConfig,
    hub: &Hub,
) -> Option<Delivery> {
    let report_hub = hub.clone();
    let sink = move |event: DeliveryEvent| report(&report_hub, event);
    match Delivery::spawn(paths.outbox_db(), channels, workspace.to_owned(), sink) {
        Ok(d) => Some(d),
        Err(e) => {
            hub.notice(
                NoticeLevel::Error,
                None,
                format!("notifications disabled: {e}"),
            );
            None
        }
    }
}

/// Failures reach the status line once per notification (the first failed try, and giving
/// up); the retries in between are in `uc alerts history`.
fn report(hub: &Hub, event: DeliveryEvent) {
    let (level, text) = match event {
        DeliveryEvent::Retrying {
            channel,
            attempts: 1,
            error,
            next_attempt_at,
            ..
        } => {
            let wait = next_attempt_at.saturating_sub(now_ms()).div_ceil(1000);
            let text = format!("{channel}: notification failed ({error}); retrying in {wait}s");
            (NoticeLevel::Warn, text)
        }
        DeliveryEvent::Delivered {
            channel, attempts, ..
        } if attempts > 1 => (
            NoticeLevel::Info,
            format!("{channel}: notification delivered after {attempts} tries"),
        ),
        DeliveryEvent::Failed {
            channel,
            attempts,
            error,
            ..
        } => (
            NoticeLevel::Error,
            format!("{channel}: notification given up after {attempts} tries ({error})"),
        ),
        DeliveryEvent::Outbox { error, disk_full } => {
            if disk_full {
                hub.disk_full(WAITING, true);
            }
            let text =
                format!("outbox: {error}; notifications wait in memory until it can be written");
            (NoticeLevel::Error, text)
        }
        DeliveryEvent::OutboxRecovered => {
            hub.disk_full(WAITING, false);
            let text = "outbox: written again; no notification was lost".to_owned();
            (NoticeLevel::Info, text)
        }
        _ => return,
    };
    hub.notice(level, None, text);
}

/// Notification attempts since `since_ms` as history lines, from the outbox file.
pub fn notification_history(outbox: &std::path::Path, since_ms: u64) -> Result<Vec<Entry>, String> {
    if !outbox.exists() {
        return Ok(Vec::new());
    }
    let attempts = crate::alerts::outbox::Outbox::open(outbox)
        .and_then(|o| o.history(since_ms))
        .map_err(|e| e.to_string())?;
    Ok(attempts
        .into_iter()
        .map(|a| {
            let code = a.code.map(|c| format!(" ({c})")).unwrap_or_default();
            let detail = a
                .detail
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(120);
            Entry {
                at: a.at,
                kind: "notify".into(),
                alert: None,
                rule: None,
                text: format!(
                    "{}: {}{code} in {} ms {}",
                    a.channel,
                    format!("{:?}", a.outcome).to_lowercase(),
                    a.duration_ms,
                    detail.collect::<String>()
                )
                .trim_end()
                .to_owned(),
            }
        })
        .collect())
}
