//! The life of one (rule, label set):
//!
//! ```text
//!            holds               held for `for`
//! (none) ─────────▶ pending ──────────────────▶ firing ──┐ not active for `keep_firing_for`
//!                     │ stops holding            ▲       ▼  (active: above `clear` when set)
//!                     ▼                          │     resolved ──▶ (gone) after 5 minutes
//!                  (dropped)                     └── holds again: pending, same id
//! ```
//!
//! `for: 0s` goes from nothing (or resolved) to firing in one evaluation. A series without a
//! value this evaluation (service stopped, probe not answered yet) counts as not holding.

use std::collections::BTreeMap;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::Transition;
use crate::alerts::model::{Alert, AlertState, Labels};
use crate::alerts::rules::Rule;

/// How long a resolved alert stays listed.
pub const RESOLVED_KEPT: Duration = Duration::from_secs(5 * 60);

/// One alert and what its state machine needs besides the alert itself.
#[derive(Debug, Clone)]
pub(super) struct Tracked {
    pub(super) alert: Alert,
    /// The evaluation that last saw the alert's series.
    pub(super) seen: u64,
    /// While firing: when the alert stopped being active.
    inactive_since: Option<u64>,
}

impl Tracked {
    /// An alert for a series whose value holds for the first time: pending, or firing at
    /// once when the rule has no `for`.
    pub(super) fn start(
        rule: &Rule,
        series: &str,
        value: f64,
        now: u64,
        tick: u64,
    ) -> (Self, Transition) {
        let labels = rule.alert_labels(series);
        let alert = Alert {
            id: fingerprint(&rule.name, &labels),
            rule: rule.name.clone(),
            state: AlertState::Pending,
            severity: rule.severity,
            labels,
            annotations: BTreeMap::new(),
            value,
            active_since: now,
            fired_at: None,
            resolved_at: None,
            ack: None,
            silenced_by: None,
        };
        let mut tracked = Self::resume(alert, tick);
        let to = tracked
            .fire_when_due(rule, now)
            .unwrap_or(Transition::Pending);
        (tracked, to)
    }

    /// An alert carried over from an earlier engine, as it was.
    pub(super) fn resume(alert: Alert, tick: u64) -> Self {
        Self {
            alert,
            seen: tick,
            inactive_since: None,
        }
    }

    /// One evaluation: `value` is the series' value now, `None` when it has none. Returns
    /// the transition, if any; after `Dropped` or `Expired` the alert is to be forgotten.
    pub(super) fn step(&mut self, rule: &Rule, value: Option<f64>, now: u64) -> Option<Transition> {
        if let Some(value) = value {
            self.alert.value = value;
        }
        let holds = value.is_some_and(|v| rule.holds(v));
        match self.alert.state {
            AlertState::Pending if holds => self.fire_when_due(rule, now),
            AlertState::Pending => Some(Transition::Dropped),
            AlertState::Firing => {
                let active = value.is_some_and(|v| rule.still_active(v));
                self.keep_or_resolve(rule, active, now)
            }
            AlertState::Resolved if holds => Some(self.reactivate(rule, now)),
            AlertState::Resolved => {
                let resolved_at = self.alert.resolved_at.unwrap_or(now);
                (elapsed(now, resolved_at) >= RESOLVED_KEPT).then_some(Transition::Expired)
            }
        }
    }

    fn fire_when_due(&mut self, rule: &Rule, now: u64) -> Option<Transition> {
        if elapsed(now, self.alert.active_since) < rule.pending_for {
            return None;
        }
        self.alert.state = AlertState::Firing;
        self.alert.fired_at = Some(now);
        self.inactive_since = None;
        Some(Transition::Firing)
    }

    fn keep_or_resolve(&mut self, rule: &Rule, active: bool, now: u64) -> Option<Transition> {
        if active {
            self.inactive_since = None;
            return None;
        }
        let since = *self.inactive_since.get_or_insert(now);
        if elapsed(now, since) < rule.keep_firing_for {
            return None;
        }
        self.alert.state = AlertState::Resolved;
        self.alert.resolved_at = Some(now);
        // An acknowledgement is for one incident; the next one needs its own.
        self.alert.ack = None;
        self.inactive_since = None;
        Some(Transition::Resolved)
    }

    /// A resolved alert whose condition holds again: a new incident under the same id.
    fn reactivate(&mut self, rule: &Rule, now: u64) -> Transition {
        self.alert.state = AlertState::Pending;
        self.alert.active_since = now;
        self.alert.fired_at = None;
        self.alert.resolved_at = None;
        self.fire_when_due(rule, now).unwrap_or(Transition::Pending)
    }
}

fn elapsed(now: u64, since: u64) -> Duration {
    Duration::from_millis(now.saturating_sub(since))
}

/// The alert id of a rule's label set: the first 8 bytes of SHA-256 over the rule name and
/// the label pairs in name order, each preceded by a 0xFF byte (never found in UTF-8, so
/// no two label sets hash the same bytes), as 16 lowercase hex digits. Stable across
/// processes, platforms and Rust versions.
pub fn fingerprint(rule: &str, labels: &Labels) -> String {
    let mut hash = Sha256::new();
    hash.update(rule.as_bytes());
    for (name, value) in labels {
        hash.update([0xff]);
        hash.update(name.as_bytes());
        hash.update([0xff]);
        hash.update(value.as_bytes());
    }
    hex::encode(&hash.finalize()[..8])
}
