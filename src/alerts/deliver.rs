//! The delivery worker: a tokio task that sends what the outbox holds.
//!
//! It sleeps until [`Delivery::wake`] (new notifications) or the earliest retry is due —
//! never polling an empty queue. Channels are sent to in parallel, each by its own *lane*
//! task that sends its channel's due notifications one at a time, oldest first. A failure
//! reschedules the notification with backoff; when the receiver is unavailable the lane
//! also holds the channel's other notifications until then, so an outage costs one probe
//! per backoff step, not one request per queued notification.

mod backoff;
mod held;
mod lane;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

pub use self::backoff::Backoff;
use self::held::HeldQueue;
use super::channels::{ChannelKind, ChannelsConfig};
use super::outbox::{Admission, Attempt, Outbox, Queued, TriedOwned};
use super::route::Notification;
use super::send::Sender;
use crate::clock::now_ms;
use crate::store::StoreError;

/// What the engine hears from the worker (it turns failures into notices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DeliveryEvent {
    Delivered {
        channel: String,
        group_key: String,
        dedup_key: String,
        /// Tries it took, this one included.
        attempts: u32,
    },
    /// Failed; tried again at `next_attempt_at` (Unix ms).
    Retrying {
        channel: String,
        group_key: String,
        dedup_key: String,
        attempts: u32,
        error: String,
        next_attempt_at: u64,
    },
    /// Given up after trying for `Backoff::give_up_after`.
    Failed {
        channel: String,
        group_key: String,
        dedup_key: String,
        attempts: u32,
        error: String,
    },
    /// Recorded, not sent: the channel is disabled or unknown.
    Skipped {
        channel: String,
        group_key: String,
        dedup_key: String,
        reason: String,
    },
    /// The outbox file could not be read or written (said once until it works again);
    /// notifications wait in memory meanwhile. `disk_full`: for lack of space.
    Outbox { error: String, disk_full: bool },
    /// The outbox works again; what waited in memory is in it.
    OutboxRecovered,
}

/// One channel as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelStatus {
    pub name: String,
    pub kind: ChannelKind,
    /// Why nothing is sent to it ("SLACK_URL is not set").
    pub disabled: Option<String>,
    /// Notifications waiting to be sent.
    pub queued: u32,
    /// The last try's error, unless a delivery came after it.
    pub last_error: Option<String>,
    pub last_delivered_at: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the delivery worker needs a tokio runtime")]
    NoRuntime,
}

/// Settings with defaults for the engine; tests shorten the backoff.
#[derive(Debug, Clone, Default)]
pub struct DeliveryOptions {
    pub backoff: Backoff,
    /// Where users see the alerts (`externalURL` of webhooks, Alertmanager's
    /// `generatorURL`); empty when uc serves no web page.
    pub external_url: String,
}

/// Finished notifications and tries are kept this long for the history view.
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);
/// Alertmanager forwards (one a minute, each with every active alert) only this long.
const KEEP_FORWARDS: Duration = Duration::from_secs(3600);
const PRUNE_EVERY_MS: u64 = 3600 * 1000;
/// How long a channel waits after the outbox failed it, so a broken file is not spun on.
const STORE_RETRY: Duration = Duration::from_secs(5);
/// How often what waits in memory is offered to the outbox again: one failed write a
/// second costs nothing, and space freed is used at once.
const HELD_RETRY: Duration = Duration::from_secs(1);

pub struct Delivery {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

/// State shared by the handle, the main loop and the lanes. Outbox calls are short SQLite
/// statements, made under a plain mutex that is never held across an await.
struct Shared {
    outbox: Mutex<Outbox>,
    /// Notifications the outbox could not take (see `held`). Locked after `outbox`.
    held: Mutex<HeldQueue>,
    /// Tries of outbox rows that were made but could not be recorded: sent again they
    /// would arrive twice. By row id; locked after `outbox`.
    unrecorded: Mutex<HashMap<i64, TriedOwned>>,
    /// The last outbox access failed (said once until one works).
    outbox_failing: AtomicBool,
    channels: RwLock<Arc<ChannelsConfig>>,
    lanes: Mutex<HashMap<String, LaneState>>,
    wake: Notify,
    stopping: AtomicBool,
    last_prune: AtomicU64,
    sender: Sender,
    workspace: String,
    options: DeliveryOptions,
    report: Box<dyn Fn(DeliveryEvent) + Send + Sync>,
}

/// What a channel's lane remembers between runs.
#[derive(Debug, Default)]
struct LaneState {
    /// Unix ms before which the channel is not tried (it was unavailable).
    blocked_until: u64,
    /// For Slack's one message a second.
    last_send: Option<Instant>,
    last_error: Option<String>,
    last_delivered_at: Option<u64>,
    /// The last try found the receiver unavailable.
    down: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves the data as consistent as SQLite and plain fields can be.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Delivery {
    /// Opens the outbox and starts the worker on the current tokio runtime. Notifications
    /// left waiting by a previous run are sent.
    pub fn spawn(
        outbox_path: impl AsRef<Path>,
        channels: ChannelsConfig,
        workspace: String,
        report: impl Fn(DeliveryEvent) + Send + Sync + 'static,
    ) -> Result<Self, DeliveryError> {
        let options = DeliveryOptions::default();
        Self::spawn_with(outbox_path, channels, workspace, options, report)
    }

    pub fn spawn_with(
        outbox_path: impl AsRef<Path>,
        channels: ChannelsConfig,
        workspace: String,
        options: DeliveryOptions,
        report: impl Fn(DeliveryEvent) + Send + Sync + 'static,
    ) -> Result<Self, DeliveryError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| DeliveryError::NoRuntime)?;
        let mut outbox = Outbox::open(outbox_path)?;
        let now = now_ms();
        outbox.prune(
            now.saturating_sub(millis(KEEP)),
            now.saturating_sub(millis(KEEP_FORWARDS)),
        )?;
        let lanes = outbox
            .channel_summaries()?
            .into_iter()
            .map(|(name, summary)| {
                let state = LaneState {
                    last_error: summary.last_error,
                    last_delivered_at: summary.last_delivered_at,
                    ..LaneState::default()
                };
                (name, state)
            })
            .collect();
        let shared = Arc::new(Shared {
            outbox: Mutex::new(outbox),
            held: Mutex::new(HeldQueue::default()),
            unrecorded: Mutex::new(HashMap::new()),
            outbox_failing: AtomicBool::new(false),
            channels: RwLock::new(Arc::new(channels)),
            lanes: Mutex::new(lanes),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
            last_prune: AtomicU64::new(now),
            sender: Sender::new()?,
            workspace,
            options,
            report: Box::new(report),
        });
        let task = runtime.spawn(run(Arc::clone(&shared)));
        Ok(Self { shared, task })
    }

    /// Writes the notifications to the outbox (each once per dedup key), then wakes the
    /// worker. Returns how many were new. Notifications for a disabled or unknown channel
    /// are recorded as skipped. What the outbox cannot take waits in memory (see `held`),
    /// and so does everything after it, to keep the order.
    pub fn enqueue(&self, notifications: Vec<Notification>) -> usize {
        let now = now_ms();
        let channels = self.shared.channels();
        let mut added = 0;
        let mut skipped = Vec::new();
        let mut dropped = Vec::new();
        let mut failure = None;
        {
            let mut outbox = lock(&self.shared.outbox);
            let mut held = lock(&self.shared.held);
            for n in notifications {
                if held.contains(&n.dedup_key) {
                    continue;
                }
                let reason = skip_reason(&channels, &n.channel);
                let admission = match (&reason, channels.channel(&n.channel)) {
                    (Some(reason), _) => Admission::Skip(reason),
                    (None, Some(c)) if c.kind == ChannelKind::Alertmanager => Admission::Replace,
                    (None, _) => Admission::Send,
                };
                if held.is_empty() {
                    match outbox.enqueue(&n, now, admission) {
                        Ok(new) => {
                            if new {
                                added += 1;
                                skipped.extend(reason.map(|r| (n, r)));
                            }
                            continue;
                        }
                        Err(e) => failure = Some(e),
                    }
                }
                added += 1;
                dropped.extend(held.push(n.clone(), admission, now));
                skipped.extend(reason.map(|r| (n, r)));
            }
        }
        match failure {
            Some(e) => self.shared.store_failed(&e),
            None if added > 0 => self.shared.store_works(),
            None => {}
        }
        for n in dropped {
            self.shared.store_failed_for(&n);
        }
        for (n, reason) in skipped {
            self.shared.report(DeliveryEvent::Skipped {
                channel: n.channel.clone(),
                group_key: n.group_key.clone(),
                dedup_key: n.dedup_key.clone(),
                reason,
            });
        }
        self.shared.prune_now_and_then(now);
        self.wake();
        added
    }

    /// Look at the outbox again (it is also woken by `enqueue`).
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// A reloaded `channels.yaml`. Waiting notifications of a channel whose settings
    /// changed are tried at once: the change may be the fix.
    pub fn set_channels(&self, channels: ChannelsConfig) {
        let old = {
            let mut current = self
                .shared
                .channels
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::replace(&mut *current, Arc::new(channels))
        };
        let new = self.shared.channels();
        let names: Vec<&str> = old
            .channels
            .iter()
            .chain(&new.channels)
            .map(|c| c.name.as_str())
            .collect();
        let now = now_ms();
        for name in names {
            let target = |config: &ChannelsConfig| config.channel(name).map(|c| c.target.clone());
            if target(&old) == target(&new) {
                continue;
            }
            if let Err(e) = lock(&self.shared.outbox).retry_now(name, now) {
                self.shared.store_failed(&e);
            }
            lock(&self.shared.lanes)
                .entry(name.to_owned())
                .or_default()
                .blocked_until = 0;
        }
        self.wake();
    }

    /// Every configured channel with its queue and last outcome.
    pub fn status(&self) -> Vec<ChannelStatus> {
        let channels = self.shared.channels();
        let queued: BTreeMap<String, u32> = match lock(&self.shared.outbox).pending_counts() {
            Ok(counts) => counts,
            Err(e) => {
                self.shared.store_failed(&e);
                BTreeMap::new()
            }
        };
        let held = lock(&self.shared.held);
        let lanes = lock(&self.shared.lanes);
        channels
            .channels
            .iter()
            .map(|c| {
                let lane = lanes.get(&c.name);
                ChannelStatus {
                    name: c.name.clone(),
                    kind: c.kind,
                    disabled: c.disabled().map(str::to_owned),
                    queued: queued.get(&c.name).copied().unwrap_or(0) + held.count(&c.name),
                    last_error: lane.and_then(|l| l.last_error.clone()),
                    last_delivered_at: lane.and_then(|l| l.last_delivered_at),
                }
            })
            .collect()
    }

    /// Every try since `since_ms` (Unix ms), oldest first.
    pub fn history(&self, since_ms: u64) -> Result<Vec<Attempt>, StoreError> {
        lock(&self.shared.outbox).history(since_ms)
    }

    /// Every notification waiting to be sent, oldest first.
    pub fn pending(&self) -> Result<Vec<Queued>, StoreError> {
        lock(&self.shared.outbox).pending()
    }

    /// Stops after the sends in flight finish (at most the 10 s HTTP / SMTP timeout), so
    /// none is left half done. Dropping the handle instead aborts them: a notification
    /// being sent then may be sent again by the next worker (delivery is at least once).
    pub async fn shutdown(mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.wake();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn skip_reason(channels: &ChannelsConfig, name: &str) -> Option<String> {
    match channels.channel(name) {
        None => Some(format!("no channel named `{name}` in the channels file")),
        Some(channel) => channel.disabled().map(str::to_owned),
    }
}

impl Shared {
    fn channels(&self) -> Arc<ChannelsConfig> {
        Arc::clone(&self.channels.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn report(&self, event: DeliveryEvent) {
        (self.report)(event);
    }

    /// The outbox failed: said once, until it works again.
    fn store_failed(&self, error: &StoreError) {
        if !self.outbox_failing.swap(true, Ordering::SeqCst) {
            self.report(DeliveryEvent::Outbox {
                error: error.to_string(),
                disk_full: error.is_disk_full(),
            });
        }
    }

    /// A held notification had to make room for newer ones: it is given up.
    fn store_failed_for(&self, n: &Notification) {
        self.report(DeliveryEvent::Failed {
            channel: n.channel.clone(),
            group_key: n.group_key.clone(),
            dedup_key: n.dedup_key.clone(),
            attempts: 0,
            error: "the outbox could not be written for too long".to_owned(),
        });
    }

    /// The outbox took a write: after a failure, that is news.
    fn store_works(&self) {
        let waiting = !lock(&self.held).is_empty() || !lock(&self.unrecorded).is_empty();
        if !waiting && self.outbox_failing.swap(false, Ordering::SeqCst) {
            self.report(DeliveryEvent::OutboxRecovered);
        }
    }

    /// Offers the outbox what waits in memory: tries to record, then held notifications.
    /// Returns whether anything still waits.
    fn settle(&self) -> bool {
        let mut outbox = lock(&self.outbox);
        let mut failure = None;
        let mut unrecorded = lock(&self.unrecorded);
        let mut wrote = !unrecorded.is_empty();
        unrecorded.retain(|id, tried| match outbox.record(*id, &tried.borrow()) {
            Ok(()) => false,
            Err(e) => {
                failure.get_or_insert(e);
                true
            }
        });
        let mut held = lock(&self.held);
        wrote |= !held.is_empty();
        if failure.is_none()
            && let Err(e) = held.store(&mut outbox)
        {
            failure = Some(e);
        }
        let waiting = !held.is_empty() || !unrecorded.is_empty();
        drop((held, unrecorded, outbox));
        match failure {
            Some(e) => self.store_failed(&e),
            None if wrote => self.store_works(),
            None => {}
        }
        waiting
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Forgets old history about once an hour, when there is activity anyway.
    fn prune_now_and_then(&self, now: u64) {
        let last = self.last_prune.load(Ordering::Relaxed);
        if now < last + PRUNE_EVERY_MS {
            return;
        }
        self.last_prune.store(now, Ordering::Relaxed);
        let pruned = lock(&self.outbox).prune(
            now.saturating_sub(millis(KEEP)),
            now.saturating_sub(millis(KEEP_FORWARDS)),
        );
        if let Err(e) = pruned {
            self.store_failed(&e);
        }
    }
}

/// The main loop: starts a lane for each channel with notifications due, then sleeps until
/// woken, a lane ends, or the next notification is due.
async fn run(shared: Arc<Shared>) {
    let mut lanes: JoinSet<()> = JoinSet::new();
    let mut busy: HashMap<tokio::task::Id, String> = HashMap::new();
    while !shared.stopping() {
        let waiting = shared.settle();
        let mut next = start_due_lanes(&shared, &mut lanes, &mut busy);
        if waiting {
            let retry = now_ms() + millis(HELD_RETRY);
            next = Some(next.map_or(retry, |n| n.min(retry)));
        }
        let sleep = async {
            match next {
                Some(at) => {
                    tokio::time::sleep(Duration::from_millis(at.saturating_sub(now_ms()))).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shared.wake.notified() => {}
            Some(done) = lanes.join_next_with_id() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => e.id(),
                };
                busy.remove(&id);
            }
            () = sleep => {}
        }
    }
    while lanes.join_next().await.is_some() {}
}

/// Spawns the lanes that have work now; returns when the next idle channel's work is due.
fn start_due_lanes(
    shared: &Arc<Shared>,
    lanes: &mut JoinSet<()>,
    busy: &mut HashMap<tokio::task::Id, String>,
) -> Option<u64> {
    let now = now_ms();
    let mut next: Option<u64> = None;
    let mut due = match lock(&shared.outbox).due_channels() {
        Ok(due) => due,
        Err(e) => {
            shared.store_failed(&e);
            next = Some(now + millis(STORE_RETRY));
            Vec::new()
        }
    };
    due.extend(lock(&shared.held).due_channels());
    for (channel, earliest) in due {
        if busy.values().any(|c| *c == channel) {
            // Its lane reports back when done.
            continue;
        }
        let blocked = lock(&shared.lanes)
            .get(&channel)
            .map_or(0, |l| l.blocked_until);
        let at = earliest.max(blocked);
        if at <= now {
            let handle = lanes.spawn(lane::run(Arc::clone(shared), channel.clone()));
            busy.insert(handle.id(), channel);
        } else {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
    }
    next
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
