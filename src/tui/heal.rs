//! What healing did, as the TUI keeps it: the workspace's newest heal events from the event
//! stream, for the selected service's details. The engine keeps the full history
//! (`uc heal history`); the TUI only needs the recent past.

use std::collections::VecDeque;

use crate::heal::HealEvent;

/// Heal events kept, across the workspace's services.
pub const KEPT: usize = 50;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealLog {
    /// Oldest first.
    events: VecDeque<HealEvent>,
}

impl HealLog {
    pub fn push(&mut self, event: HealEvent) {
        if self.events.len() == KEPT {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// The events about `service`, newest first.
    pub fn of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a HealEvent> {
        self.events
            .iter()
            .rev()
            .filter(move |e| e.service.as_deref() == Some(service))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heal::HealKind;

    #[test]
    fn keeps_the_newest_and_lists_one_service_newest_first() {
        let mut log = HealLog::default();
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
}
