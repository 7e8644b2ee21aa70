//! The outgoing webhook worker: a tokio task that follows the hub, turns what users
//! subscribed to into deliveries (`watch`), and queues each in the webhooks outbox, one
//! row per (subscription, occurrence). `alerts::deliver` sends them like notifications:
//! retries with backoff, an unreachable receiver holds its subscription's queue in order,
//! and each row is sent until its receiver takes it, under the same `webhook-id`.

mod audit;
mod watch;

use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

pub use self::watch::{Occurrence, Watch};
use crate::alerts::AlertState;
use crate::alerts::channels::{Channel, ChannelKind, ChannelsConfig, Secret, Target};
use crate::alerts::deliver::{Delivery, DeliveryError, DeliveryEvent};
use crate::alerts::route::Notification;
use crate::clock::now_ms;
use crate::config::webhooks::Subscription;
use crate::protocol::{Event, Hub, NoticeLevel};

/// Starts the worker when there are subscriptions. Deliveries left waiting by a previous
/// engine are sent.
pub fn spawn(
    subscriptions: &[Subscription],
    outbox: &Path,
    audit_log: &Path,
    workspace: &str,
    hub: &Hub,
) -> Result<Option<JoinHandle<()>>, DeliveryError> {
    if subscriptions.is_empty() {
        return Ok(None);
    }
    let reporter = hub.clone();
    let delivery = Delivery::spawn(
        outbox,
        channels(subscriptions),
        workspace.to_owned(),
        move |event| report(&reporter, event),
    )?;
    let (snapshot, rx) = hub.subscribe();
    let worker = Worker {
        subscriptions: subscriptions.to_vec(),
        workspace: workspace.to_owned(),
        watch: Watch::seeded(&snapshot),
        seq: snapshot.seq,
        audit: (subscriptions.iter().any(|s| s.wants(audit::KIND)))
            .then(|| audit::AuditFeed::open(audit_log, workspace)),
        delivery,
    };
    Ok(Some(tokio::spawn(worker.run(rx, hub.clone()))))
}

/// One channel per subscription, named after it.
fn channels(subscriptions: &[Subscription]) -> ChannelsConfig {
    let channels = subscriptions
        .iter()
        .map(|s| Channel {
            name: s.name.clone(),
            kind: ChannelKind::Webhook,
            target: Ok(Target::Signed {
                url: s.url.clone(),
                secret: Secret::new(s.secret.expose()),
            }),
        })
        .collect();
    ChannelsConfig {
        channels,
        route: Default::default(),
    }
}

/// Failures the user should hear about; deliveries themselves are in `uc hooks deliveries`.
fn report(hub: &Hub, event: DeliveryEvent) {
    match event {
        DeliveryEvent::Failed {
            channel,
            dedup_key,
            error,
            ..
        } => hub.notice(
            NoticeLevel::Warn,
            None,
            format!("webhook `{channel}` gave up on {dedup_key}: {error}"),
        ),
        DeliveryEvent::Outbox { error, .. } => hub.notice(
            NoticeLevel::Error,
            None,
            format!("the webhooks outbox cannot be written: {error}"),
        ),
        _ => {}
    }
}

struct Worker {
    subscriptions: Vec<Subscription>,
    workspace: String,
    watch: Watch,
    /// The hub's sequence number of the last event seen, part of each delivery's id.
    seq: u64,
    /// What of the audit log was shipped, when a subscription wants it.
    audit: Option<audit::AuditFeed>,
    delivery: Delivery,
}

impl Worker {
    async fn run(mut self, mut rx: tokio::sync::broadcast::Receiver<Event>, hub: Hub) {
        // Records written while no engine ran (`uc serve`'s, a crash before queueing).
        self.ship_audit();
        loop {
            let event = match rx.recv().await {
                Ok(Event::Shutdown) | Err(RecvError::Closed) => break,
                Ok(event) => event,
                Err(RecvError::Lagged(_)) => {
                    let (snapshot, fresh) = hub.subscribe();
                    rx = fresh;
                    Event::Snapshot(Box::new(snapshot))
                }
            };
            self.seq = match &event {
                Event::Snapshot(snapshot) => snapshot.seq,
                _ => self.seq + 1,
            };
            if matches!(event, Event::Audit | Event::Snapshot(_)) {
                self.ship_audit();
            }
            let found = self.watch.observe(&event);
            if !found.is_empty() {
                let at = now_ms();
                let queued = found.iter().flat_map(|o| self.deliveries(o, at)).collect();
                self.delivery.enqueue(queued);
            }
        }
        self.delivery.shutdown().await;
    }

    /// Queues the audit records written since the last look.
    fn ship_audit(&mut self) {
        let Some(feed) = &mut self.audit else {
            return;
        };
        let records = feed.read_new();
        if records.is_empty() {
            return;
        }
        let queued = (records.iter())
            .flat_map(|(r, hash)| audit::deliveries(&self.subscriptions, &self.workspace, r, hash))
            .collect();
        self.delivery.enqueue(queued);
        feed.commit();
    }

    /// One delivery per subscription that wants the occurrence.
    fn deliveries(&self, occurrence: &Occurrence, at: u64) -> Vec<Notification> {
        let payload = json!({
            "type": occurrence.kind,
            "timestamp": humantime::format_rfc3339_millis(
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(at)
            ).to_string(),
            "workspace": self.workspace,
            "data": occurrence.data,
        })
        .to_string();
        (self.subscriptions.iter())
            .filter(|s| s.wants(occurrence.kind))
            .map(|s| Notification {
                channel: s.name.clone(),
                group_key: occurrence.kind.to_owned(),
                group_labels: Default::default(),
                alerts: Vec::new(),
                // Read by alert senders only.
                status: AlertState::Firing,
                created_at: at,
                dedup_key: message_id(&s.name, occurrence, self.seq, at),
                payload: Some(payload.clone()),
            })
            .collect()
    }
}

/// `msg_<hex>`: the same for every try of one delivery, different for every delivery (the
/// hub's sequence number restarts with the engine; the time does not).
fn message_id(subscription: &str, occurrence: &Occurrence, seq: u64, at: u64) -> String {
    let mut hash = Sha256::new();
    for part in [subscription, occurrence.kind, &occurrence.subject] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.update(seq.to_le_bytes());
    hash.update(at.to_le_bytes());
    format!("msg_{}", &hex::encode(hash.finalize())[..32])
}

/// The newest `limit` deliveries of the webhooks outbox at `path`, newest first; none
/// when no subscription ever queued one.
pub fn deliveries(
    path: &Path,
    limit: u32,
) -> Result<Vec<crate::alerts::outbox::Listed>, crate::store::StoreError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    crate::alerts::outbox::Outbox::open(path)?.recent(limit)
}
