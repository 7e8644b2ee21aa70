//! One group's timers and memory of what it told its channel.
//!
//! As in Alertmanager: a new group flushes after `group_wait`, then at most every
//! `group_interval`. A flush notifies when a firing alert is new to the channel or an alert
//! it was told about resolved; otherwise, after `repeat_interval`, it repeats the firing
//! alerts, unless every one of them is acknowledged. A group with nothing firing goes
//! dormant (as if dropped); it is forgotten once its last alert leaves the evaluator's list,
//! which keeps a resolved alert the evaluator still lists from being told twice.

use std::collections::BTreeMap;

use super::{GroupKey, Notification, dedup_key, episode_start};
use crate::alerts::channels::Timing;
use crate::alerts::{Alert, AlertState};

pub(super) struct Group {
    key: GroupKey,
    pub timing: Timing,
    /// `None` while dormant: nothing firing and nothing to tell.
    next_flush: Option<u64>,
    /// When the channel was last notified (by this router).
    last_sent: Option<u64>,
    /// Firing alerts (id → episode start) as of the last flush.
    notified: BTreeMap<String, u64>,
    members: BTreeMap<String, Member>,
}

struct Member {
    alert: Alert,
    /// This router saw the episode firing. A resolved alert it never saw firing comes from
    /// before an engine restart; whether its resolution was sent is the outbox's to know.
    seen_firing: bool,
    /// Its resolution was sent, or deliberately not.
    settled: bool,
}

impl Group {
    pub fn new(key: GroupKey) -> Self {
        Self {
            key,
            timing: Timing::default(),
            next_flush: None,
            last_sent: None,
            notified: BTreeMap::new(),
            members: BTreeMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The group's alerts this tick.
    pub fn observe(&mut self, now: u64, alerts: &[&Alert]) {
        let mut before = std::mem::take(&mut self.members);
        for alert in alerts {
            let episode = alert.fired_at;
            let (seen, settled) = before
                .remove(&alert.id)
                .filter(|m| m.alert.fired_at == episode)
                .map_or((false, false), |m| (m.seen_firing, m.settled));
            let firing = alert.state == AlertState::Firing;
            let member = Member {
                alert: (*alert).clone(),
                seen_firing: seen || firing,
                settled: settled && !firing,
            };
            self.members.insert(alert.id.clone(), member);
        }
        // A notified alert that vanished without resolving (silenced, its rule removed) is
        // forgotten: if it comes back, the channel hears of it again.
        let members = &self.members;
        self.notified.retain(|id, start| {
            members
                .get(id)
                .is_some_and(|m| m.alert.fired_at.unwrap_or(m.alert.active_since) == *start)
        });
        if self.next_flush.is_none() && self.members.values().any(Member::wants_flush) {
            self.next_flush = Some(now + millis(self.timing.group_wait));
        }
    }

    /// The notification due now, if any.
    pub fn flush(&mut self, now: u64) -> Option<Notification> {
        if self.next_flush.is_none_or(|at| now < at) {
            return None;
        }
        let firing: Vec<Alert> = self
            .members
            .values()
            .filter(|m| m.alert.state == AlertState::Firing)
            .map(|m| m.alert.clone())
            .collect();
        let resolved = self.settle_resolved();
        let news = firing
            .iter()
            .any(|a| self.notified.get(&a.id) != Some(&episode_start(a)));
        let changed = news || !resolved.is_empty();
        let repeat_due = firing.iter().any(|a| a.ack.is_none())
            && self
                .last_sent
                .is_some_and(|at| now >= at + millis(self.timing.repeat_interval));
        self.notified = firing
            .iter()
            .map(|a| (a.id.clone(), episode_start(a)))
            .collect();
        let repeat = if changed {
            0
        } else {
            self.repeat_number(now, &firing)
        };
        let sent =
            (changed || repeat_due).then(|| self.notification(now, firing, resolved, repeat));
        if sent.is_some() {
            self.last_sent = Some(now);
        }
        if self.notified.is_empty() {
            self.next_flush = None;
            self.last_sent = None;
        } else {
            self.next_flush = Some(now + millis(self.timing.group_interval));
        }
        sent
    }

    /// Resolved alerts to tell about now; every unsettled resolution is settled.
    fn settle_resolved(&mut self) -> Vec<Alert> {
        let mut told = Vec::new();
        for member in self.members.values_mut() {
            if member.alert.state != AlertState::Resolved || member.settled {
                continue;
            }
            member.settled = true;
            // Fired and resolved between two flushes: the channel never heard of it.
            let known = self.notified.contains_key(&member.alert.id) || !member.seen_firing;
            if known && self.timing.send_resolved {
                told.push(member.alert.clone());
            }
        }
        told
    }

    /// Repeat `n` of unchanged content is the number of whole repeat intervals since its
    /// newest alert fired: computed again after a restart, it gives the same dedup key for
    /// a repeat that was already sent, and a new one once the next is due.
    fn repeat_number(&self, now: u64, firing: &[Alert]) -> u64 {
        let anchor = firing.iter().map(episode_start).max().unwrap_or(now);
        let interval = millis(self.timing.repeat_interval).max(1);
        (now.saturating_sub(anchor) / interval).max(1)
    }

    fn notification(
        &self,
        now: u64,
        mut firing: Vec<Alert>,
        mut resolved: Vec<Alert>,
        repeat: u64,
    ) -> Notification {
        firing.sort_by(Alert::display_order);
        resolved.sort_by(Alert::display_order);
        let status = if firing.is_empty() {
            AlertState::Resolved
        } else {
            AlertState::Firing
        };
        firing.append(&mut resolved);
        let channel = self.key.channel.clone();
        let dedup_key = dedup_key(&channel, &firing, &format!("repeat {repeat}"));
        Notification {
            channel,
            group_key: self.key.to_string(),
            group_labels: self.key.labels.clone(),
            alerts: firing,
            status,
            created_at: now,
            dedup_key,
            payload: None,
        }
    }
}

impl Member {
    /// Wakes a dormant group: a firing alert, or a resolution restored from before a
    /// restart that may not have been sent.
    fn wants_flush(&self) -> bool {
        match self.alert.state {
            AlertState::Firing => true,
            AlertState::Resolved => !self.settled && !self.seen_firing,
            AlertState::Pending => false,
        }
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
