//! Notifications the outbox could not take (its file cannot be written: a full disk, most
//! often). They wait here in order and go to the outbox as soon as it takes writes again,
//! with what became of them meanwhile, so none is dropped and none sent twice.
//!
//! A notification about a `DiskFull` alert does not wait: the full disk is what it reports.
//! It is sent from here by its channel's lane (the same sender, backoff and pacing as rows
//! of the outbox) and written to the outbox afterwards with its tries. Only this lane needs
//! no disk. What is held is lost if the engine dies before the outbox takes it (it could not
//! be stored anyway); an alert still active then notifies again from the next engine.

use std::collections::VecDeque;

use crate::alerts::outbox::{Admission, Next, Outbox, Queued, Tried, TriedOwned};
use crate::alerts::route::Notification;
use crate::alerts::rules::DISK_FULL_RULE;
use crate::store::StoreError;

/// The most notifications held; past it the oldest is dropped (and said so).
const MAX_HELD: usize = 1000;

#[derive(Debug)]
struct Held {
    notification: Notification,
    /// Why it is recorded without being sent (the channel is disabled or unknown).
    skip: Option<String>,
    /// An Alertmanager forward: replaces the channel's waiting ones.
    replace: bool,
    enqueued_at: u64,
    next_attempt_at: u64,
    /// Tries made from memory (`DiskFull` notifications), to record with the row.
    tries: Vec<TriedOwned>,
    /// A lane is sending it.
    sending: bool,
}

impl Held {
    /// Sent from memory: it reports the full disk, and is not done yet.
    fn urgent(&self) -> bool {
        self.skip.is_none()
            && !self.done()
            && self
                .notification
                .alerts
                .iter()
                .any(|a| a.rule == DISK_FULL_RULE)
    }

    fn done(&self) -> bool {
        self.tries
            .last()
            .is_some_and(|t| !matches!(t.next, Next::RetryAt(_)))
    }

    fn admission(&self) -> Admission<'_> {
        match (&self.skip, self.replace) {
            (Some(reason), _) => Admission::Skip(reason),
            (None, true) => Admission::Replace,
            (None, false) => Admission::Send,
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct HeldQueue {
    items: VecDeque<Held>,
}

impl HeldQueue {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn contains(&self, dedup_key: &str) -> bool {
        self.items
            .iter()
            .any(|h| h.notification.dedup_key == dedup_key)
    }

    /// Holds a notification; the one dropped to make room, if any.
    pub fn push(
        &mut self,
        notification: Notification,
        admission: Admission<'_>,
        now: u64,
    ) -> Option<Notification> {
        let dropped = (self.items.len() >= MAX_HELD)
            .then(|| self.items.pop_front())
            .flatten()
            .map(|h| h.notification);
        let (skip, replace) = match admission {
            Admission::Skip(reason) => (Some(reason.to_owned()), false),
            Admission::Replace => (None, true),
            Admission::Send => (None, false),
        };
        self.items.push_back(Held {
            notification,
            skip,
            replace,
            enqueued_at: now,
            next_attempt_at: now,
            tries: Vec::new(),
            sending: false,
        });
        dropped
    }

    /// Held notifications per channel (what the UI counts as queued).
    pub fn count(&self, channel: &str) -> u32 {
        let n = self
            .items
            .iter()
            .filter(|h| h.notification.channel == channel && !h.done())
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Channels with a notification to send from memory, and when the earliest is due.
    pub fn due_channels(&self) -> Vec<(String, u64)> {
        let mut due: Vec<(String, u64)> = Vec::new();
        for h in self.items.iter().filter(|h| h.urgent() && !h.sending) {
            let channel = &h.notification.channel;
            match due.iter_mut().find(|(c, _)| c == channel) {
                Some((_, at)) => *at = (*at).min(h.next_attempt_at),
                None => due.push((channel.clone(), h.next_attempt_at)),
            }
        }
        due
    }

    /// The oldest notification of `channel` to send from memory now, marked as being sent.
    pub fn take_due(&mut self, channel: &str, now: u64) -> Option<Queued> {
        let h = self.items.iter_mut().find(|h| {
            h.notification.channel == channel
                && h.urgent()
                && !h.sending
                && h.next_attempt_at <= now
        })?;
        h.sending = true;
        Some(Queued {
            id: 0,
            notification: h.notification.clone(),
            enqueued_at: h.enqueued_at,
            attempts: u32::try_from(h.tries.len()).unwrap_or(u32::MAX),
            next_attempt_at: h.next_attempt_at,
            last_error: h.tries.last().map(|t| t.detail.clone()),
        })
    }

    /// What a try of a notification sent from memory came to.
    pub fn tried(&mut self, dedup_key: &str, tried: &Tried<'_>) {
        let Some(h) = self
            .items
            .iter_mut()
            .find(|h| h.notification.dedup_key == dedup_key)
        else {
            return;
        };
        h.sending = false;
        if let Next::RetryAt(at) = tried.next {
            h.next_attempt_at = at;
        }
        h.tries.push(TriedOwned::from(tried));
    }

    /// Writes the held notifications to the outbox, oldest first, until one fails; those
    /// being sent wait for their outcome.
    pub fn store(&mut self, outbox: &mut Outbox) -> Result<(), StoreError> {
        while let Some(h) = self.items.front() {
            if h.sending {
                return Ok(());
            }
            let tries: Vec<Tried<'_>> = h.tries.iter().map(TriedOwned::borrow).collect();
            outbox.adopt(&h.notification, h.enqueued_at, h.admission(), &tries)?;
            self.items.pop_front();
        }
        Ok(())
    }
}
