//! What the engine tells frontends (`GET /v1/events`, Server-Sent Events).

use serde::{Deserialize, Serialize};

use super::snapshot::{ServiceStatus, Snapshot};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Full state; always the first event of a stream, and sent again if a client lagged.
    Snapshot(Box<Snapshot>),
    /// A service's status changed; replaces the previous status of that service.
    Service(ServiceStatus),
    /// Something the user should read (a service exited, a command failed in a worker).
    Notice(Notice),
    /// One sampling cycle of host and service metrics (every `metrics.interval`).
    Metrics(Box<crate::metrics::Sample>),
    /// Alerts changed (a transition, a new value, an ack); replaces the whole list.
    Alerts(Vec<crate::alerts::Alert>),
    /// Silences were added or expired; replaces the whole list.
    Silences(Vec<crate::alerts::Silence>),
    /// Rules or channels were (re)loaded, failed to load, or a channel's health changed.
    Alerting(crate::alerts::AlertingInfo),
    /// The engine is going away; the stream ends after this.
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
    #[serde(default)]
    pub service: Option<String>,
    /// Unix time in milliseconds.
    pub at: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warn,
    Error,
}

impl Snapshot {
    /// Fold one event into the snapshot, as a client does with the event stream. Every event
    /// but a snapshot advances `seq`, on the engine and in clients alike.
    pub fn apply(&mut self, event: &Event) {
        if !matches!(event, Event::Snapshot(_)) {
            self.seq += 1;
        }
        match event {
            Event::Snapshot(s) => *self = (**s).clone(),
            Event::Service(status) => match self.service_mut(&status.name) {
                Some(slot) => *slot = status.clone(),
                None => self.services.push(status.clone()),
            },
            Event::Metrics(sample) => self.metrics = Some((**sample).clone()),
            Event::Alerts(alerts) => self.alerts.clone_from(alerts),
            Event::Silences(silences) => self.silences.clone_from(silences),
            Event::Alerting(info) => self.alerting = info.clone(),
            Event::Notice(_) | Event::Shutdown => {}
        }
    }
}
