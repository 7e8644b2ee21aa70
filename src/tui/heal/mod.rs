//! What healing did, as the TUI keeps it: the workspace's newest heal events, seeded from the
//! engine's history when the TUI connects and kept up by the event stream, for the selected
//! service's details. The engine keeps the full history (`uc heal history`); the TUI only
//! needs the recent past.

pub mod dialog;
mod keys;
pub mod playbook;

use std::collections::VecDeque;

use crate::heal::HealEvent;

/// Heal events kept, across the workspace's services.
pub const KEPT: usize = 50;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealView {
    /// Oldest first.
    events: VecDeque<HealEvent>,
}

impl HealView {
    pub fn push(&mut self, event: HealEvent) {
        if self.events.len() == KEPT {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// Fold the engine's history in. Events the stream brought while the history was on its
    /// way, and those kept from before a reconnect, are in both: they are kept once.
    pub fn seed(&mut self, history: Vec<HealEvent>) {
        let mut events: Vec<HealEvent> = history
            .into_iter()
            .filter(|old| !self.events.iter().any(|e| same(e, old)))
            .collect();
        events.extend(self.events.drain(..));
        events.sort_by_key(|e| e.at);
        let skip = events.len().saturating_sub(KEPT);
        self.events = events.into_iter().skip(skip).collect();
    }

    /// The events about `service`, newest first.
    pub fn of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a HealEvent> {
        self.events
            .iter()
            .rev()
            .filter(move |e| e.service.as_deref() == Some(service))
    }

    /// The events about `service` and the workspace-wide ones (playbook runs), newest first.
    pub fn around<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a HealEvent> {
        self.events
            .iter()
            .rev()
            .filter(move |e| e.service.as_deref().is_none_or(|s| s == service))
    }
}

/// The same event, from the history and from the stream: the history does not keep ids.
fn same(a: &HealEvent, b: &HealEvent) -> bool {
    a.at == b.at && a.kind == b.kind && a.service == b.service && a.reason == b.reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heal::HealKind;

    #[test]
    fn keeps_the_newest_and_lists_one_service_newest_first() {
        let mut log = HealView::default();
        for i in 0..KEPT + 5 {
            let service = if i % 2 == 0 { "api" } else { "db" };
            log.push(HealEvent::new(
                Some(service),
                HealKind::Restart,
                i.to_string(),
            ));
        }
        assert_eq!(log.of("api").count() + log.of("db").count(), KEPT);
        let api: Vec<&str> = log.of("api").map(|e| e.reason.as_str()).collect();
        assert_eq!(api.first(), Some(&"54"));
        assert_eq!(api.last(), Some(&"6"));
        assert_eq!(log.of("web").count(), 0);
    }

    fn at(at: u64, service: Option<&str>, reason: &str) -> HealEvent {
        HealEvent {
            at,
            ..HealEvent::new(service, HealKind::Restart, reason)
        }
    }

    fn reasons(log: &HealView, service: &str) -> Vec<String> {
        log.around(service).map(|e| e.reason.clone()).collect()
    }

    #[test]
    fn the_history_fills_in_before_the_stream_without_repeats() {
        let mut log = HealView::default();
        log.push(at(30, Some("api"), "c"));
        log.push(at(40, Some("api"), "d"));
        let history = vec![
            at(10, Some("api"), "a"),
            at(20, Some("api"), "b"),
            at(30, Some("api"), "c"),
        ];
        log.seed(history.clone());
        assert_eq!(reasons(&log, "api"), ["d", "c", "b", "a"]);
        // A reconnect brings the same history again.
        log.seed(history);
        assert_eq!(reasons(&log, "api"), ["d", "c", "b", "a"]);
    }

    #[test]
    fn same_time_and_reason_elsewhere_is_another_event() {
        let mut log = HealView::default();
        log.push(at(10, Some("api"), "restarted"));
        let mut probe = at(10, Some("api"), "restarted");
        probe.kind = HealKind::Probe;
        log.seed(vec![at(10, Some("db"), "restarted"), probe]);
        assert_eq!(log.of("api").count(), 2);
        assert_eq!(log.of("db").count(), 1);
    }

    #[test]
    fn seeding_keeps_the_newest() {
        let mut log = HealView::default();
        log.push(at(1_000, Some("api"), "live"));
        log.seed(
            (0..KEPT as u64)
                .map(|i| at(i, Some("api"), "old"))
                .collect(),
        );
        assert_eq!(log.of("api").count(), KEPT);
        assert_eq!(log.of("api").next().map(|e| e.at), Some(1_000));
        assert_eq!(log.of("api").last().map(|e| e.at), Some(1));
    }

    #[test]
    fn workspace_wide_events_show_around_every_service() {
        let mut log = HealView::default();
        log.push(at(10, Some("api"), "restarted"));
        log.push(at(20, None, "tidy: 1 action done"));
        log.push(at(30, Some("db"), "restarted"));
        assert_eq!(reasons(&log, "api"), ["tidy: 1 action done", "restarted"]);
        assert_eq!(reasons(&log, "db"), ["restarted", "tidy: 1 action done"]);
        assert_eq!(log.of("api").count(), 1);
    }
}
