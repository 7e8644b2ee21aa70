//! The evaluator: runs every rule against the readings on each tick and keeps each alert's
//! state machine (drawn in `eval/state.rs`). Pure: the engine supplies the time and the
//! readings, and acts on the changes it gets back.

mod state;

use std::collections::HashMap;

use state::Tracked;
pub use state::{RESOLVED_KEPT, fingerprint};

use super::model::{Ack, Alert, AlertState};
use super::readings::Readings;
use super::rules::{Rule, RuleSet};

/// What happened to an alert in one evaluation (or on a rules reload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The condition started to hold (from nothing, or again after resolving).
    Pending,
    /// Held for the rule's `for`; notify.
    Firing,
    /// Stopped being active (for `keep_firing_for`); notify.
    Resolved,
    /// Pending, then the condition stopped before `for`: forgotten, nobody was told.
    Dropped,
    /// Resolved for [`RESOLVED_KEPT`]: forgotten.
    Expired,
    /// Its rule was deleted, or changed its expression, labels or severity: forgotten.
    Removed,
}

impl Transition {
    /// The alert is gone from [`Evaluator::alerts`] after this change.
    pub fn is_removal(self) -> bool {
        matches!(self, Self::Dropped | Self::Expired | Self::Removed)
    }
}

/// One transition. `alert` is the alert after it (for removals: as it was last), with
/// fresh annotations; `from` is its state before (`None` for a new alert).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub alert: Alert,
    pub from: Option<AlertState>,
    pub to: Transition,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    #[error("unknown alert `{0}`: no pending or firing alert has an id starting with it")]
    Unknown(String),
    #[error("`{prefix}` matches several alerts: {}; type more of the id", ids.join(", "))]
    Ambiguous { prefix: String, ids: Vec<String> },
    #[error("alert {0} is resolved; only pending and firing alerts can be acknowledged")]
    Resolved(String),
}

#[derive(Debug, Default)]
pub struct Evaluator {
    rules: Vec<RuleAlerts>,
    /// Evaluations so far: marks which alerts' series were seen in the current one.
    tick: u64,
}

/// A rule and its alerts, keyed by the value of the rule's series label ("" for host-wide
/// expressions): one lookup per element without building the label set.
#[derive(Debug)]
struct RuleAlerts {
    rule: Rule,
    alerts: HashMap<String, Tracked>,
}

impl Evaluator {
    pub fn new(rules: RuleSet) -> Self {
        let mut evaluator = Self::default();
        evaluator.set_rules(rules);
        evaluator
    }

    /// Replaces the rules (hot reload). Alerts of a rule that still exists with the same
    /// expression, labels and severity keep their state (so `for` keeps counting); the
    /// others are returned as [`Transition::Removed`].
    pub fn set_rules(&mut self, rules: RuleSet) -> Vec<Change> {
        let mut old: HashMap<String, RuleAlerts> = self
            .rules
            .drain(..)
            .map(|r| (r.rule.name.clone(), r))
            .collect();
        let mut changes = Vec::new();
        for rule in rules.rules {
            let alerts = match old.remove(&rule.name) {
                Some(previous) if same_alerts(&previous.rule, &rule) => previous.alerts,
                Some(previous) => {
                    previous.removed(&mut changes);
                    HashMap::new()
                }
                None => HashMap::new(),
            };
            self.rules.push(RuleAlerts { rule, alerts });
        }
        for previous in old.into_values() {
            previous.removed(&mut changes);
        }
        changes
    }

    /// Takes over the alerts an earlier engine left (pending, firing, resolved): they go on
    /// from where they were, `for` counting from `active_since`. Alerts whose rule is gone
    /// or would label them differently now are left out.
    pub fn restore(&mut self, alerts: Vec<Alert>) {
        for alert in alerts {
            let Some(entry) = self.rules.iter_mut().find(|r| r.rule.name == alert.rule) else {
                continue;
            };
            let series = entry
                .rule
                .expr
                .series_label()
                .and_then(|label| alert.labels.get(label))
                .cloned()
                .unwrap_or_default();
            let labels = entry.rule.alert_labels(&series);
            if labels != alert.labels || fingerprint(&entry.rule.name, &labels) != alert.id {
                continue;
            }
            entry
                .alerts
                .insert(series, Tracked::resume(alert, self.tick));
        }
    }

    /// Evaluates every rule at `now_ms` (Unix ms); returns the transitions only.
    pub fn evaluate(&mut self, now_ms: u64, readings: &dyn Readings) -> Vec<Change> {
        self.tick += 1;
        let mut changes = Vec::new();
        for entry in &mut self.rules {
            entry.evaluate(now_ms, self.tick, readings, &mut changes);
        }
        changes
    }

    /// Every pending, firing and recently resolved alert with its latest value and
    /// annotations, in display order.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut alerts: Vec<Alert> = self
            .rules
            .iter()
            .flat_map(|entry| entry.alerts.values().map(|t| entry.rendered(&t.alert)))
            .collect();
        alerts.sort_by(Alert::display_order);
        alerts
    }

    /// Acknowledges the pending or firing alert whose id is `id`, or the only one whose id
    /// starts with it; returns the alert as it is now.
    pub fn ack(&mut self, id: &str, ack: Ack) -> Result<Alert, AckError> {
        let (rule, series) = self.find(id)?;
        let entry = &mut self.rules[rule];
        let tracked = entry
            .alerts
            .get_mut(&series)
            .ok_or_else(|| AckError::Unknown(id.to_owned()))?;
        tracked.alert.ack = Some(ack);
        Ok(rendered(&entry.rule, &tracked.alert))
    }

    /// Sets (or with `None` removes) annotation `key` on every alert about `service`.
    pub fn attach(&mut self, service: &str, key: &str, value: Option<&str>) {
        let about = |a: &Alert| a.labels.get("service").is_some_and(|s| s == service);
        for entry in &mut self.rules {
            for tracked in entry.alerts.values_mut().filter(|t| about(&t.alert)) {
                match value {
                    Some(v) => tracked
                        .alert
                        .annotations
                        .insert(key.to_owned(), v.to_owned()),
                    None => tracked.alert.annotations.remove(key),
                };
            }
        }
    }

    /// The channels a rule sends to instead of the routing tree (empty: route).
    pub fn rule_channels(&self, rule: &str) -> &[String] {
        self.rule(rule).map_or(&[], |r| r.channels.as_slice())
    }

    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().map(|r| &r.rule).find(|r| r.name == name)
    }

    /// (index of the rule, series key) of the alert `id` names.
    fn find(&self, id: &str) -> Result<(usize, String), AckError> {
        let prefix = id.trim().to_ascii_lowercase();
        let unknown = || AckError::Unknown(id.to_owned());
        if prefix.is_empty() {
            return Err(unknown());
        }
        let mut found: Vec<(usize, &String, &Alert)> = self
            .rules
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.alerts.iter().map(move |(s, t)| (i, s, &t.alert)))
            .filter(|(_, _, alert)| alert.id.starts_with(&prefix))
            .collect();
        if let Some(exact) = found.iter().find(|(_, _, a)| a.id == prefix) {
            found = vec![*exact];
        }
        let resolved = found
            .iter()
            .find(|(_, _, a)| a.state == AlertState::Resolved);
        let resolved_id = resolved.map(|(_, _, a)| a.id.clone());
        found.retain(|(_, _, a)| a.state != AlertState::Resolved);
        match found.as_slice() {
            [(rule, series, _)] => Ok((*rule, (*series).clone())),
            [] => Err(resolved_id.map_or_else(unknown, AckError::Resolved)),
            many => {
                let mut ids: Vec<String> = many.iter().map(|(_, _, a)| a.id.clone()).collect();
                ids.sort();
                Err(AckError::Ambiguous { prefix, ids })
            }
        }
    }
}

/// Whether a reloaded rule's alerts are the same alerts (same ids, same meaning).
fn same_alerts(old: &Rule, new: &Rule) -> bool {
    old.expr == new.expr && old.labels == new.labels && old.severity == new.severity
}

impl RuleAlerts {
    fn evaluate(
        &mut self,
        now: u64,
        tick: u64,
        readings: &dyn Readings,
        changes: &mut Vec<Change>,
    ) {
        let Self { rule, alerts } = self;
        let rule: &Rule = rule;
        rule.expr.for_each(readings, &mut |series, value| {
            if let Some(tracked) = alerts.get_mut(series) {
                tracked.seen = tick;
                let from = tracked.alert.state;
                if let Some(to) = tracked.step(rule, Some(value), now) {
                    changes.push(change(rule, &tracked.alert, Some(from), to));
                    if to.is_removal() {
                        alerts.remove(series);
                    }
                }
            } else if rule.holds(value) {
                let (tracked, to) = Tracked::start(rule, series, value, now, tick);
                changes.push(change(rule, &tracked.alert, None, to));
                alerts.insert(series.to_owned(), tracked);
            }
        });
        if alerts.is_empty() {
            return;
        }
        // Series that yielded no value this time: the condition does not hold.
        alerts.retain(|_, tracked| {
            if tracked.seen == tick {
                return true;
            }
            let from = tracked.alert.state;
            let Some(to) = tracked.step(rule, None, now) else {
                return true;
            };
            changes.push(change(rule, &tracked.alert, Some(from), to));
            !to.is_removal()
        });
    }

    fn rendered(&self, alert: &Alert) -> Alert {
        rendered(&self.rule, alert)
    }

    fn removed(self, changes: &mut Vec<Change>) {
        for tracked in self.alerts.into_values() {
            let alert = &tracked.alert;
            changes.push(change(
                &self.rule,
                alert,
                Some(alert.state),
                Transition::Removed,
            ));
        }
    }
}

/// The rule's annotations, rendered now, over what was attached to the alert (the last log
/// lines of a service that gave up restarting).
fn rendered(rule: &Rule, alert: &Alert) -> Alert {
    let mut annotations = alert.annotations.clone();
    annotations.extend(rule.render_annotations(alert.value, &alert.labels));
    Alert {
        annotations,
        ..alert.clone()
    }
}

fn change(rule: &Rule, alert: &Alert, from: Option<AlertState>, to: Transition) -> Change {
    Change {
        alert: rendered(rule, alert),
        from,
        to,
    }
}

#[cfg(test)]
mod tests;
