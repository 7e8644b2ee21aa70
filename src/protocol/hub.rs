//! The event bus and the snapshot it keeps current. Publishing folds the event into the
//! snapshot and broadcasts it under one lock, so a subscriber that takes the snapshot and
//! subscribes together never misses or double-applies an event.
//!
//! The hub also keeps the last events (at most [`REPLAY`], at most [`REPLAY_BYTES`] of JSON)
//! with their sequence numbers, so a client that lost its stream resumes after the last
//! event it saw ([`Hub::resume`]); event ids are `<epoch>-<seq>`, the epoch being this hub's
//! start, so an id from an earlier engine is recognised as foreign. Each event is kept as
//! its JSON, serialised once for every stream that sends it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use crate::clock::now_ms;
use crate::protocol::{Event, Notice, NoticeLevel, ReplacedFile, Snapshot, StorageInfo};

/// Events a slow client may fall behind by before it is sent a fresh snapshot instead.
const BACKLOG: usize = 1024;
/// Events kept for clients resuming a stream; past them a client gets a fresh snapshot.
pub const REPLAY: usize = 4096;
/// The JSON the kept events may take: a metrics sample of a large workspace is tens of KiB,
/// and the engine's whole memory is about 16 MiB.
pub const REPLAY_BYTES: usize = 2 << 20;

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    tx: broadcast::Sender<Event>,
    epoch: u64,
    /// Unix ms of the latest change to what runs; 0 before any.
    last_change: AtomicU64,
}

/// The folded snapshot and the events that led to it, under one lock.
struct State {
    snapshot: Snapshot,
    /// Oldest first, consecutive `seq`s.
    recent: VecDeque<Recorded>,
    /// Bytes of JSON in `recent`.
    recent_bytes: usize,
    /// `GET /api/v1/services`'s body and the `seq` it was written at: scripts and the web
    /// page poll it far more often than it changes (once a second, with the metrics).
    services_json: Option<(u64, Arc<[u8]>)>,
}

/// An event as the replay window keeps it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub seq: u64,
    /// The JSON's `event` tag.
    pub kind: &'static str,
    pub json: Arc<str>,
}

impl State {
    fn publish(&mut self, tx: &broadcast::Sender<Event>, event: Event) {
        self.snapshot.apply(&event);
        let json: Arc<str> = to_json(&event).into();
        while self.recent.len() == REPLAY
            || !self.recent.is_empty() && self.recent_bytes + json.len() > REPLAY_BYTES
        {
            if let Some(old) = self.recent.pop_front() {
                self.recent_bytes -= old.json.len();
            }
        }
        self.recent_bytes += json.len();
        self.recent.push_back(Recorded {
            seq: self.snapshot.seq,
            kind: event.kind(),
            json,
        });
        let _ = tx.send(event);
    }
}

/// An event's JSON; one that cannot be written becomes a notice saying so.
pub fn to_json(event: &Event) -> String {
    serde_json::to_string(event).unwrap_or_else(|e| {
        serde_json::json!({"event": "notice", "level": "error", "text": e.to_string(), "at": 0})
            .to_string()
    })
}

/// Where a stream (re)starts, given the id of the last event its client saw.
pub enum Resume {
    /// No id: the current snapshot, then every event after it.
    Fresh(Box<Snapshot>),
    /// The events after the client's, from the replay window; live ones follow.
    Replay(Vec<Recorded>),
    /// The id is foreign or older than the window: the client starts over from this snapshot.
    Resync {
        reason: &'static str,
        snapshot: Box<Snapshot>,
    },
}

/// What the stream's receiver yields next: the event after `seq`.
pub struct Resumed {
    pub start: Resume,
    /// The sequence number of the last event before the receiver's first.
    pub seq: u64,
    pub rx: broadcast::Receiver<Event>,
}

impl Hub {
    pub fn new(snapshot: Snapshot) -> Self {
        let (tx, _) = broadcast::channel(BACKLOG);
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    snapshot,
                    recent: VecDeque::new(),
                    recent_bytes: 0,
                    services_json: None,
                }),
                tx,
                epoch: now_ms(),
                last_change: AtomicU64::new(0),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied event: apply is the
        // only mutation, so the state is still usable.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn publish(&self, event: Event) {
        self.state().publish(&self.inner.tx, event);
    }

    /// What runs changed at `at_ms`: a config applied, switched or reverted (and whatever
    /// else changes it, such as a deploy, marks its own). Patterns first seen after the
    /// latest change are shown as new.
    pub fn mark_change(&self, at_ms: u64) {
        self.inner.last_change.fetch_max(at_ms, Ordering::Relaxed);
    }

    /// Unix ms of the latest change marked, if any.
    pub fn last_change(&self) -> Option<u64> {
        Some(self.inner.last_change.load(Ordering::Relaxed)).filter(|&at| at > 0)
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
        let mut state = self.state();
        let mut storage = state.snapshot.storage.clone();
        if change(&mut storage) {
            state.publish(&self.inner.tx, Event::Storage(storage));
        }
    }

    /// Sequence number of the last published event.
    pub fn seq(&self) -> u64 {
        self.state().snapshot.seq
    }

    /// Running services and their main PIDs, for the metrics sampler.
    pub fn running_services(&self) -> Vec<(String, u32)> {
        self.state()
            .snapshot
            .services
            .iter()
            .filter(|s| s.state == crate::protocol::ServiceState::Running)
            .filter_map(|s| Some((s.name.clone(), s.pid?)))
            .collect()
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state().snapshot.clone()
    }

    /// Every service's status as JSON, written once per change of the snapshot.
    pub fn services_json(&self) -> Result<Arc<[u8]>, serde_json::Error> {
        let mut state = self.state();
        let seq = state.snapshot.seq;
        if let Some((at, json)) = &state.services_json
            && *at == seq
        {
            return Ok(json.clone());
        }
        let json: Arc<[u8]> = serde_json::to_vec(&state.snapshot.services)?.into();
        state.services_json = Some((seq, json.clone()));
        Ok(json)
    }

    /// The active environment, without copying the rest of the snapshot.
    pub fn environment(&self) -> Option<String> {
        self.state().snapshot.environment.clone()
    }

    /// The workspace's name, without copying the rest of the snapshot.
    pub fn workspace(&self) -> String {
        self.state().snapshot.workspace.clone()
    }

    /// The current snapshot and a receiver for every event after it.
    pub fn subscribe(&self) -> (Snapshot, broadcast::Receiver<Event>) {
        let state = self.state();
        (state.snapshot.clone(), self.inner.tx.subscribe())
    }

    /// The id of the event with sequence number `seq`.
    pub fn event_id(&self, seq: u64) -> String {
        format!("{}-{seq}", self.inner.epoch)
    }

    /// Where a stream starts for a client whose last event had id `last` (its
    /// `Last-Event-ID`), and a receiver for the live events after that start.
    pub fn resume(&self, last: Option<&str>) -> Resumed {
        let state = self.state();
        let seq = state.snapshot.seq;
        let rx = self.inner.tx.subscribe();
        let start = match last {
            None => Resume::Fresh(Box::new(state.snapshot.clone())),
            Some(id) => self.replay(&state, id),
        };
        Resumed { start, seq, rx }
    }

    fn replay(&self, state: &State, id: &str) -> Resume {
        let resync = |reason| Resume::Resync {
            reason,
            snapshot: Box::new(state.snapshot.clone()),
        };
        let Some(after) = self.own_seq(id) else {
            return resync("the event id is not from this engine");
        };
        if after > state.snapshot.seq {
            return resync("the event id is not from this engine");
        }
        let oldest = state
            .recent
            .front()
            .map_or(state.snapshot.seq + 1, |e| e.seq);
        if after + 1 < oldest {
            return resync("the events after this id are no longer kept");
        }
        let skip = usize::try_from(after + 1 - oldest).unwrap_or(usize::MAX);
        Resume::Replay(state.recent.iter().skip(skip).cloned().collect())
    }

    /// Event `seq` as the replay window keeps it, while it does.
    pub fn recorded(&self, seq: u64) -> Option<Recorded> {
        let state = self.state();
        let oldest = state.recent.front()?.seq;
        let index = usize::try_from(seq.checked_sub(oldest)?).ok()?;
        state.recent.get(index).cloned()
    }

    /// The sequence number in `id` when it is this hub's.
    fn own_seq(&self, id: &str) -> Option<u64> {
        let (epoch, seq) = id.trim().split_once('-')?;
        (epoch.parse::<u64>().ok()? == self.inner.epoch).then_some(())?;
        seq.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Hub {
        Hub::new(Snapshot {
            workspace: "w".into(),
            environment: None,
            config_file: None,
            engine: crate::protocol::EngineInfo {
                pid: 1,
                started_at: 0,
                version: String::new(),
                tmux_socket: String::new(),
                tmux_session: String::new(),
            },
            services: Vec::new(),
            metrics: None,
            alerts: Vec::new(),
            silences: Vec::new(),
            alerting: Default::default(),
            config: Default::default(),
            storage: Default::default(),
            deploys: Vec::new(),
            quota: Default::default(),
            seq: 0,
        })
    }

    fn seqs(start: Resume) -> Vec<u64> {
        match start {
            Resume::Replay(events) => events.iter().map(|e| e.seq).collect(),
            Resume::Fresh(_) => panic!("fresh"),
            Resume::Resync { reason, .. } => panic!("resync: {reason}"),
        }
    }

    #[test]
    fn a_client_resumes_after_its_last_event_within_the_window() {
        let hub = hub();
        for _ in 0..10 {
            hub.notice(NoticeLevel::Info, None, "n");
        }
        assert_eq!(seqs(hub.resume(Some(&hub.event_id(7))).start), [8, 9, 10]);
        assert_eq!(
            seqs(hub.resume(Some(&hub.event_id(10))).start),
            [] as [u64; 0]
        );
        assert_eq!(seqs(hub.resume(Some(&hub.event_id(0))).start).len(), 10);
        assert_eq!(hub.resume(None).seq, 10);
    }

    #[test]
    fn past_the_window_or_from_another_engine_a_client_resyncs() {
        let hub = hub();
        for _ in 0..REPLAY + 5 {
            hub.notice(NoticeLevel::Info, None, "n");
        }
        let resyncs = |id: &str| matches!(hub.resume(Some(id)).start, Resume::Resync { .. });
        assert!(resyncs(&hub.event_id(3)), "older than the window");
        assert!(
            !resyncs(&hub.event_id(5)),
            "the oldest kept event's predecessor"
        );
        assert!(resyncs("1-3"), "another epoch");
        assert!(
            resyncs(&hub.event_id(REPLAY as u64 + 6)),
            "ahead of this engine"
        );
        assert!(resyncs("garbage"));
        let kept = hub.recorded(REPLAY as u64 + 5).expect("the newest");
        assert_eq!((kept.seq, kept.kind), (REPLAY as u64 + 5, "notice"));
        assert!(hub.recorded(5).is_none());
    }

    #[test]
    fn the_window_keeps_at_most_its_bytes() {
        let hub = hub();
        let text = "x".repeat(REPLAY_BYTES / 10);
        for _ in 0..30 {
            hub.notice(NoticeLevel::Info, None, text.clone());
        }
        let kept = hub.state().recent.len();
        assert!((5..10).contains(&kept), "{kept} events kept");
        assert!(hub.state().recent_bytes <= REPLAY_BYTES);
        let resumes = |seq: u64| {
            matches!(
                hub.resume(Some(&hub.event_id(seq))).start,
                Resume::Replay(_)
            )
        };
        assert!(resumes(29) && !resumes(10));
    }
}
