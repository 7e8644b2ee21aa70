//! How the watcher's thread and other threads tell a blocked [`super::Follower::wait`] that
//! there is something to read.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// What happened since the follower last looked.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// Paths the watcher reported a change for.
    pub paths: HashSet<PathBuf>,
    /// The watcher lost events (queue overflow, an error): look at everything.
    pub rescan: bool,
    /// A [`Waker`] was used.
    pub woken: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.rescan && !self.woken
    }
}

#[derive(Debug, Default)]
pub(super) struct Signal {
    pending: Mutex<Pending>,
    ready: Condvar,
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // The state is a set of hints: whatever a panicking holder left is still usable.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn changed(&self, paths: Vec<PathBuf>, rescan: bool) {
        let mut pending = self.lock();
        // A waiter sees a non-empty state before it sleeps: only the first change since
        // the follower last looked needs to wake it (a busy directory reports thousands
        // of writes a second, and each notify is a system call).
        let was_empty = pending.is_empty();
        pending.paths.extend(paths);
        pending.rescan |= rescan;
        if was_empty && !pending.is_empty() {
            self.ready.notify_one();
        }
    }

    pub fn wake(&self) {
        self.lock().woken = true;
        self.ready.notify_one();
    }

    /// Blocks until something is pending or `deadline` passes; whether something is.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        let mut pending = self.lock();
        loop {
            if !pending.is_empty() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            pending = self
                .ready
                .wait_timeout(pending, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Moves what is pending into `into` (emptied first), keeping both sets' allocations.
    pub fn take(&self, into: &mut Pending) {
        into.paths.clear();
        into.rescan = false;
        into.woken = false;
        let mut pending = self.lock();
        std::mem::swap(&mut *pending, into);
    }
}

/// Wakes the thread blocked in [`super::Follower::wait`] (to add a source, or to stop).
#[derive(Debug, Clone)]
pub struct Waker(pub(super) Arc<Signal>);

impl Waker {
    pub fn wake(&self) {
        self.0.wake();
    }
}
