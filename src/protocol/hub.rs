//! The event bus and the snapshot it keeps current. Publishing folds the event into the
//! snapshot and broadcasts it under one lock, so a subscriber that takes the snapshot and
//! subscribes together never misses or double-applies an event.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use crate::clock::now_ms;
use crate::protocol::{Event, Notice, NoticeLevel, ReplacedFile, Snapshot, StorageInfo};

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

    /// `what` (a writer, in the user's words) waits for space in the state directory, or no
    /// longer does; published only when that changes what the user sees.
    pub fn disk_full(&self, what: &str, full: bool) {
        self.update_storage(|s| s.set_waiting(what, full, now_ms()));
    }

    /// A broken state file was moved aside and started afresh.
    pub fn file_replaced(&self, replaced: ReplacedFile) {
        self.update_storage(|s| {
            s.replaced.push(replaced);
            true
        });
    }

    /// Changes the storage state under the lock that publishes it, so two writers never
    /// undo each other's change.
    fn update_storage(&self, change: impl FnOnce(&mut StorageInfo) -> bool) {
        let mut snapshot = self.lock();
        let mut storage = snapshot.storage.clone();
        if change(&mut storage) {
            let event = Event::Storage(storage);
            snapshot.apply(&event);
            let _ = self.inner.tx.send(event);
        }
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
            .filter(|s| s.state == crate::protocol::ServiceState::Running)
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
