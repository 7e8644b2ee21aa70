//! One channel's lane: sends its due notifications one at a time, oldest first, and stops
//! at the first sign the receiver is unavailable. Notifications held in memory (a
//! `DiskFull` one while the outbox cannot be written) go first; their tries are kept with
//! them instead of in the outbox.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{DeliveryEvent, STORE_RETRY, Shared, lock, millis};
use crate::alerts::channels::{ChannelKind, Target};
use crate::alerts::outbox::{Next, Queued, Tried, TriedOwned};
use crate::alerts::send::{Context, Failure, SendError};
use crate::clock::now_ms;

/// Slack accepts about one message a second per webhook.
const SLACK_PACE: Duration = Duration::from_secs(1);

/// Where a notification being sent lives, and so where its tries go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Outbox,
    Memory,
}

pub(super) async fn run(shared: Arc<Shared>, channel: String) {
    while !shared.stopping() {
        let now = now_ms();
        let held = lock(&shared.held).take_due(&channel, now);
        let (row, slot) = match held {
            Some(row) => (row, Slot::Memory),
            None => {
                let except: Vec<i64> = lock(&shared.unrecorded).keys().copied().collect();
                let row = lock(&shared.outbox).next_due_except(&channel, now, &except);
                match row {
                    Ok(Some(row)) => (row, Slot::Outbox),
                    Ok(None) => return,
                    Err(e) => {
                        shared.store_failed(&e);
                        block(&shared, &channel, now + millis(STORE_RETRY));
                        return;
                    }
                }
            }
        };
        let config = shared.channels();
        let found = config.channel(&channel).map(|c| (c.kind, c.target.clone()));
        let go_on = match found {
            None => {
                let reason = format!("no channel named `{channel}` in the channels file");
                skip(&shared, &row, slot, reason)
            }
            Some((_, Err(reason))) => skip(&shared, &row, slot, reason),
            Some((kind, Ok(target))) => deliver(&shared, &row, slot, kind, &target).await,
        };
        if !go_on {
            return;
        }
    }
}

fn block(shared: &Shared, channel: &str, until: u64) {
    lock(&shared.lanes)
        .entry(channel.to_owned())
        .or_default()
        .blocked_until = until;
}

/// Records a notification the channel cannot take; true to go on with the next.
fn skip(shared: &Shared, row: &Queued, slot: Slot, reason: String) -> bool {
    let tried = Tried {
        at: now_ms(),
        duration_ms: 0,
        code: None,
        detail: &reason,
        next: Next::Skipped,
    };
    if !record(shared, row, slot, &tried) {
        return false;
    }
    let n = &row.notification;
    shared.report(DeliveryEvent::Skipped {
        channel: n.channel.clone(),
        group_key: n.group_key.clone(),
        dedup_key: n.dedup_key.clone(),
        reason,
    });
    true
}

/// Stores the try. When the outbox cannot take it, a final outcome is kept in memory
/// until it can (the row is passed over meanwhile, so it is not sent twice); a retry holds
/// the channel a while instead (false).
fn record(shared: &Shared, row: &Queued, slot: Slot, tried: &Tried<'_>) -> bool {
    if slot == Slot::Memory {
        lock(&shared.held).tried(&row.notification.dedup_key, tried);
        return true;
    }
    let result = lock(&shared.outbox).record(row.id, tried);
    match result {
        Ok(()) => {
            shared.store_works();
            true
        }
        Err(e) => {
            shared.store_failed(&e);
            if matches!(tried.next, Next::RetryAt(_)) {
                let until = now_ms() + millis(STORE_RETRY);
                block(shared, &row.notification.channel, until);
                return false;
            }
            lock(&shared.unrecorded).insert(row.id, TriedOwned::from(tried));
            true
        }
    }
}

/// Sends one notification and records the outcome; true to go on with the next.
async fn deliver(
    shared: &Shared,
    row: &Queued,
    slot: Slot,
    kind: ChannelKind,
    target: &Target,
) -> bool {
    let channel = &row.notification.channel;
    if expired_while_down(shared, row) {
        let error = lock(&shared.lanes)
            .get(channel)
            .and_then(|l| l.last_error.clone())
            .unwrap_or_default();
        let error = SendError {
            kind: Failure::Unavailable,
            code: None,
            detail: format!("not tried: the channel is still down ({error})"),
            retry_after: None,
        };
        return failed(shared, row, slot, now_ms(), 0, &error);
    }
    if kind == ChannelKind::Slack {
        pace(shared, channel).await;
    }
    let at = now_ms();
    let started = Instant::now();
    let cx = Context {
        workspace: &shared.workspace,
        external_url: &shared.options.external_url,
        now_ms: at,
    };
    let result = shared.sender.send(target, &row.notification, &cx).await;
    let duration_ms = millis(started.elapsed());
    match result {
        Ok(reply) => {
            let tried = Tried {
                at,
                duration_ms,
                code: reply.code,
                detail: &reply.detail,
                next: Next::Delivered,
            };
            delivered(shared, row, slot, &tried)
        }
        Err(error) => failed(shared, row, slot, at, duration_ms, &error),
    }
}

/// Older than the retry window while its channel is known to be down: failed without
/// another try, so a long outage ends with a quick sweep instead of one timeout each.
fn expired_while_down(shared: &Shared, row: &Queued) -> bool {
    let age = now_ms().saturating_sub(row.enqueued_at);
    let down = lock(&shared.lanes)
        .get(&row.notification.channel)
        .is_some_and(|l| l.down);
    down && age >= millis(shared.options.backoff.give_up_after)
}

/// Waits so that sends to the channel are at least [`SLACK_PACE`] apart.
async fn pace(shared: &Shared, channel: &str) {
    let wait = {
        let mut lanes = lock(&shared.lanes);
        let lane = lanes.entry(channel.to_owned()).or_default();
        let now = Instant::now();
        let wait = lane
            .last_send
            .map(|t| (t + SLACK_PACE).saturating_duration_since(now))
            .unwrap_or_default();
        lane.last_send = Some(now + wait);
        wait
    };
    tokio::time::sleep(wait).await;
}

fn delivered(shared: &Shared, row: &Queued, slot: Slot, tried: &Tried<'_>) -> bool {
    if !record(shared, row, slot, tried) {
        return false;
    }
    let n = &row.notification;
    {
        let mut lanes = lock(&shared.lanes);
        let lane = lanes.entry(n.channel.clone()).or_default();
        lane.last_delivered_at = Some(tried.at);
        lane.last_error = None;
        lane.down = false;
    }
    shared.report(DeliveryEvent::Delivered {
        channel: n.channel.clone(),
        group_key: n.group_key.clone(),
        dedup_key: n.dedup_key.clone(),
        attempts: row.attempts + 1,
    });
    true
}

/// Reschedules (or gives up on) a failed notification. Goes on with the next only when the
/// receiver is up and refused this one.
fn failed(
    shared: &Shared,
    row: &Queued,
    slot: Slot,
    at: u64,
    duration_ms: u64,
    error: &SendError,
) -> bool {
    let backoff = shared.options.backoff;
    let attempts = row.attempts + 1;
    let now = now_ms();
    let delay = backoff
        .delay(attempts, fastrand::f64())
        .max(error.retry_after.unwrap_or_default());
    let retry_at = now + millis(delay);
    let give_up = now.saturating_sub(row.enqueued_at) >= millis(backoff.give_up_after);
    let tried = Tried {
        at,
        duration_ms,
        code: error.code,
        detail: &error.detail,
        next: if give_up {
            Next::Failed
        } else {
            Next::RetryAt(retry_at)
        },
    };
    if !record(shared, row, slot, &tried) {
        return false;
    }
    let n = &row.notification;
    let unavailable = error.kind == Failure::Unavailable;
    {
        let mut lanes = lock(&shared.lanes);
        let lane = lanes.entry(n.channel.clone()).or_default();
        lane.last_error = Some(error.detail.clone());
        lane.down = unavailable;
        if unavailable {
            lane.blocked_until = retry_at;
        }
    }
    let (channel, group_key, dedup_key) =
        (n.channel.clone(), n.group_key.clone(), n.dedup_key.clone());
    let error = error.detail.clone();
    shared.report(if give_up {
        DeliveryEvent::Failed {
            channel,
            group_key,
            dedup_key,
            attempts,
            error,
        }
    } else {
        DeliveryEvent::Retrying {
            channel,
            group_key,
            dedup_key,
            attempts,
            error,
            next_attempt_at: retry_at,
        }
    });
    !unavailable
}
