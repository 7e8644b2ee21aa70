//! The event bus and the snapshot it keeps current. Publishing folds the event into the
//! snapshot and broadcasts it under one lock, so a subscriber that takes the snapshot and
//! subscribes together never misses or double-applies an event.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use super::{Event, Notice, NoticeLevel, Snapshot, now_ms};

/// Events a slow client may fall behind by before it is sent a fresh snapshot instead.
const BACKLOG: usize = 1024;

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    snapshot: Mutex<Snapshot>,
    tx: broadcast::Sender<Event>,
}

impl Hub {
    pub fn new(snapshot: Snapshot) -> Self {
        let (tx, _) = broadcast::channel(BACKLOG);
        Self {
            inner: Arc::new(Inner {
                snapshot: Mutex::new(snapshot),
                tx,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        // A panic while holding the lock cannot leave a half-applied event: apply is the
        // only mutation, so the state is still usable.
        self.inner
            .snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn publish(&self, event: Event) {
        let mut snapshot = self.lock();
        snapshot.apply(&event);
        let _ = self.inner.tx.send(event);
    }

    pub fn notice(&self, level: NoticeLevel, service: Option<&str>, text: impl Into<String>) {
        self.publish(Event::Notice(Notice {
            level,
            text: text.into(),
            service: service.map(str::to_string),
            at: now_ms(),
        }));
    }

    /// Sequence number of the last published event.
    pub fn seq(&self) -> u64 {
        self.lock().seq
    }

    /// Running services and their main PIDs, for the metrics sampler.
    pub fn running_services(&self) -> Vec<(String, u32)> {
        self.lock()
            .services
            .iter()
            .filter(|s| s.state == super::ServiceState::Running)
            .filter_map(|s| Some((s.name.clone(), s.pid?)))
            .collect()
    }

    pub fn snapshot(&self) -> Snapshot {
        self.lock().clone()
    }

    /// The current snapshot and a receiver for every event after it.
    pub fn subscribe(&self) -> (Snapshot, broadcast::Receiver<Event>) {
        let snapshot = self.lock();
        (snapshot.clone(), self.inner.tx.subscribe())
    }
}
