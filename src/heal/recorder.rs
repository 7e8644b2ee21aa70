//! Every heal event, kept in `heal.db` (`uc heal history`) by a thread of the engine.

use std::path::PathBuf;

use tokio::sync::broadcast::error::RecvError;

use crate::clock::now_ms;
use crate::protocol::{Event, Hub};
use crate::store::HealLog;

/// Events kept in memory while `heal.db` cannot be written; past it the oldest go.
const MAX_WAITING: usize = 10_000;
/// How often events that wait are tried again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(1);
/// What waits for space while `heal.db` cannot be written, as `uc status` names it.
const WAITING: &str = "heal history";

/// Keep every heal event the hub carries, on a thread of its own (SQLite blocks). Runs until
/// the engine shuts down. Events `heal.db` cannot take (a full disk) wait in memory, in
/// order, and are written once a second until it takes them.
pub fn spawn_recorder(hub: &Hub, path: PathBuf) -> std::io::Result<std::thread::JoinHandle<()>> {
    let (_, events) = hub.subscribe();
    let hub = hub.clone();
    std::thread::Builder::new()
        .name("heal-recorder".into())
        .spawn(move || Recorder::new(hub, path).run(events))
}

struct Recorder {
    hub: Hub,
    path: PathBuf,
    log: Option<HealLog>,
    waiting: std::collections::VecDeque<crate::heal::HealEvent>,
    /// The last write failed (said once until one works).
    failing: bool,
}

impl Recorder {
    fn new(hub: Hub, path: PathBuf) -> Self {
        Self {
            hub,
            path,
            log: None,
            waiting: Default::default(),
            failing: false,
        }
    }

    fn run(mut self, mut events: tokio::sync::broadcast::Receiver<Event>) {
        use tokio::sync::broadcast::error::TryRecvError;
        self.write();
        if let Some(log) = &self.log
            && let Err(e) = log.prune(now_ms())
        {
            tracing::warn!("{e}");
        }
        loop {
            let event = if self.waiting.is_empty() && self.log.is_some() {
                events.blocking_recv()
            } else {
                match events.try_recv() {
                    Ok(event) => Ok(event),
                    Err(TryRecvError::Empty) => {
                        std::thread::sleep(RETRY);
                        self.write();
                        continue;
                    }
                    Err(TryRecvError::Closed) => Err(RecvError::Closed),
                    Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                }
            };
            match event {
                Ok(Event::Heal(event)) => {
                    if self.waiting.len() >= MAX_WAITING {
                        self.waiting.pop_front();
                    }
                    self.waiting.push_back(event);
                    self.write();
                }
                Ok(Event::Shutdown) | Err(RecvError::Closed) => {
                    self.write();
                    return;
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!("heal recorder fell {n} events behind; some are not kept");
                }
            }
        }
    }

    /// Writes what waits; the first failure of a run, and the recovery, are said once.
    fn write(&mut self) {
        match (self.write_waiting(), self.failing) {
            (Ok(()), true) => {
                self.failing = false;
                self.hub.disk_full(WAITING, false);
            }
            (Err(e), false) => {
                self.failing = true;
                tracing::warn!("heal history waits in memory: {e}");
                if e.is_disk_full() {
                    self.hub.disk_full(WAITING, true);
                }
            }
            _ => {}
        }
    }

    /// Opens the file if needed and writes what waits, oldest first.
    fn write_waiting(&mut self) -> Result<(), crate::store::StoreError> {
        if self.log.is_none() {
            self.log = Some(HealLog::open(&self.path)?);
        }
        let Some(log) = &self.log else {
            return Ok(());
        };
        while let Some(event) = self.waiting.front() {
            log.record(event)?;
            self.waiting.pop_front();
        }
        Ok(())
    }
}
