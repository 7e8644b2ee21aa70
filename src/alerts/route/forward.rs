//! Alertmanager channels get alerts the way Prometheus sends them: every active alert on
//! every change and at least every minute, firing ones with an `endsAt` a few minutes ahead
//! (set when sent) so Alertmanager resolves them by itself if uc goes away. Alertmanager
//! groups, deduplicates and routes on its own, so there are no groups here.
//!
//! Each forward is a notification like any other and goes through the outbox; a newer
//! forward replaces one still waiting there, since only the latest state matters.

use super::{Notification, dedup_key, episode_start};
use crate::alerts::{Alert, AlertState};

/// How often unchanged alerts are sent again (Prometheus' default `resend_delay` is 1 m).
pub const FORWARD_INTERVAL_MS: u64 = 60_000;

#[derive(Default)]
pub(super) struct Forward {
    last_at: Option<u64>,
    /// (id, state, episode start) of each alert last sent.
    last: Vec<(String, AlertState, u64)>,
}

impl Forward {
    /// Still has something Alertmanager was told about.
    pub fn is_active(&self) -> bool {
        self.last_at.is_some()
    }

    pub fn update(&mut self, now: u64, channel: &str, alerts: &[&Alert]) -> Option<Notification> {
        let mut alerts: Vec<Alert> = alerts.iter().map(|a| (*a).clone()).collect();
        alerts.sort_by(Alert::display_order);
        let content: Vec<_> = alerts
            .iter()
            .map(|a| (a.id.clone(), a.state, episode_start(a)))
            .collect();
        if alerts.is_empty() {
            // Nothing active: Alertmanager resolves what it was told by `endsAt`.
            *self = Self::default();
            return None;
        }
        let due = content != self.last
            || self
                .last_at
                .is_none_or(|at| now >= at + FORWARD_INTERVAL_MS);
        if !due {
            return None;
        }
        self.last = content;
        self.last_at = Some(now);
        let status = if alerts.iter().any(|a| a.state == AlertState::Firing) {
            AlertState::Firing
        } else {
            AlertState::Resolved
        };
        Some(Notification {
            channel: channel.to_owned(),
            dedup_key: dedup_key(channel, &alerts, &format!("forward {now}")),
            payload: None,
            group_key: format!("{channel}/forward"),
            group_labels: Default::default(),
            alerts,
            status,
            created_at: now,
        })
    }
}
