//! What the engine tells frontends (`GET /api/v1/events`, Server-Sent Events).

use serde::{Deserialize, Serialize};

use crate::protocol::snapshot::{ServiceStatus, Snapshot};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Full state; always the first event of a stream, and sent again if a client lagged.
    Snapshot(Box<Snapshot>),
    /// A service's status changed; replaces the previous status of that service.
    Service(ServiceStatus),
    /// A config change removed a service (once it stopped).
    ServiceRemoved { service: String },
    /// The configuration center's state changed (switch, revision, pending edit, errors);
    /// also carries the active environment.
    Config {
        environment: Option<String>,
        config: crate::protocol::ConfigStatus,
    },
    /// Something the user should read (a service exited, a command failed in a worker).
    Notice(Notice),
    /// One sampling cycle of host and service metrics (every `metrics.interval`).
    Metrics(Box<crate::metrics::sample::Sample>),
    /// Alerts changed (a transition, a new value, an ack); replaces the whole list.
    /// (Lists travel in a named field: an internally tagged variant cannot hold a bare
    /// sequence in JSON.)
    Alerts {
        alerts: Vec<crate::alerts::model::Alert>,
    },
    /// Silences were added or expired; replaces the whole list.
    Silences {
        silences: Vec<crate::alerts::model::Silence>,
    },
    /// Rules or channels were (re)loaded, failed to load, or a channel's health changed.
    Alerting(crate::alerts::model::AlertingInfo),
    /// Healing acted (restart, backoff, give-up), a probe changed state, a playbook ran.
    Heal(crate::heal::event::HealEvent),
    /// The disk filled up or has room again, or a state file was replaced; replaces
    /// `Snapshot.storage`.
    Storage(crate::protocol::StorageInfo),
    /// A verified push arrived on an incoming webhook (`POST /api/v1/hooks/<name>`).
    GitPush(crate::hooks::push::GitPush),
    /// A deploy began, went on to its next stage, or ended; replaces that service's entry
    /// in `Snapshot.deploys`.
    Deploy(Box<crate::deploy::model::Deployment>),
    /// A record was appended to the workspace's audit log (or `uc serve`'s): a frontend
    /// showing it reads `GET /api/v1/audit` again.
    Audit,
    /// The quotas' usage changed; replaces `Snapshot.quota`.
    Quota(Box<crate::protocol::QuotaStatus>),
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

impl Event {
    /// The `event` tag of the JSON: the SSE event name.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Snapshot(_) => "snapshot",
            Event::Service(_) => "service",
            Event::ServiceRemoved { .. } => "service_removed",
            Event::Config { .. } => "config",
            Event::Notice(_) => "notice",
            Event::Metrics(_) => "metrics",
            Event::Alerts { .. } => "alerts",
            Event::Silences { .. } => "silences",
            Event::Alerting(_) => "alerting",
            Event::Heal(_) => "heal",
            Event::Storage(_) => "storage",
            Event::GitPush(_) => "git_push",
            Event::Deploy(_) => "deploy",
            Event::Audit => "audit",
            Event::Quota(_) => "quota",
            Event::Shutdown => "shutdown",
        }
    }
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
            Event::ServiceRemoved { service } => self.services.retain(|s| &s.name != service),
            Event::Config {
                environment,
                config,
            } => {
                self.environment.clone_from(environment);
                self.config = config.clone();
            }
            Event::Metrics(sample) => self.metrics = Some((**sample).clone()),
            Event::Alerts { alerts } => self.alerts.clone_from(alerts),
            Event::Silences { silences } => self.silences.clone_from(silences),
            Event::Alerting(info) => self.alerting = info.clone(),
            Event::Storage(info) => self.storage = info.clone(),
            Event::Deploy(deploy) => {
                let slot = self
                    .deploys
                    .iter_mut()
                    .find(|d| d.service == deploy.service);
                match slot {
                    Some(slot) => *slot = (**deploy).clone(),
                    None => self.deploys.push((**deploy).clone()),
                }
            }
            Event::Quota(status) => self.quota = (**status).clone(),
            Event::Notice(_)
            | Event::Heal(_)
            | Event::GitPush(_)
            | Event::Audit
            | Event::Shutdown => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::model::{Alert, AlertState, AlertingInfo, Matcher, Severity, Silence};

    /// Every event must survive the wire: serde cannot put some shapes (a bare list) in an
    /// internally tagged enum, and the stream would carry an error instead.
    #[test]
    fn every_event_round_trips_through_json() {
        let alert = Alert {
            id: "0123456789abcdef".into(),
            rule: "HighCpu".into(),
            state: AlertState::Firing,
            severity: Severity::Critical,
            labels: [("alertname".to_owned(), "HighCpu".to_owned())].into(),
            annotations: Default::default(),
            value: 91.0,
            active_since: 1,
            fired_at: Some(2),
            resolved_at: None,
            ack: None,
            silenced_by: None,
        };
        let silence = Silence {
            id: "abcd1234".into(),
            matchers: vec![Matcher::parse("service=api").unwrap()],
            starts_at: 1,
            ends_at: 2,
            created_by: "ana".into(),
            comment: None,
        };
        let events = [
            Event::Service(ServiceStatus::new("api")),
            Event::Notice(Notice {
                level: NoticeLevel::Warn,
                text: "t".into(),
                service: None,
                at: 1,
            }),
            Event::Alerts {
                alerts: vec![alert],
            },
            Event::Silences {
                silences: vec![silence],
            },
            Event::Alerting(AlertingInfo::default()),
            Event::ServiceRemoved {
                service: "api".into(),
            },
            Event::Config {
                environment: Some("prod".into()),
                config: crate::protocol::ConfigStatus {
                    environments: vec![crate::protocol::EnvironmentInfo {
                        name: "prod".into(),
                        theme: Some("red".into()),
                        confirm: true,
                    }],
                    revision: Some(2),
                    ..Default::default()
                },
            },
            Event::Storage(crate::protocol::StorageInfo::default()),
            Event::Heal(crate::heal::event::HealEvent::new(
                Some("api"),
                crate::heal::event::HealKind::GaveUp,
                "gave up: 3 restarts within 1m",
            )),
            Event::GitPush(crate::hooks::push::GitPush {
                hook: "git".into(),
                delivery: "d1".into(),
                repository: "acme/api".into(),
                git_ref: "refs/heads/main".into(),
                before: "a1".into(),
                after: "b2".into(),
                pusher: "ana".into(),
                at: 3,
            }),
            Event::Deploy(Box::new(crate::deploy::model::Deployment {
                id: 1,
                service: "api".into(),
                trigger: "manual".into(),
                by: "ana".into(),
                git_ref: "main".into(),
                commit: Some("c0ffee".into()),
                release: Some("20261206T021500-c0ffee0".into()),
                previous: None,
                state: crate::deploy::model::DeployState::RolledBack,
                stages: vec![crate::deploy::model::StageRun {
                    stage: crate::deploy::model::Stage::Gate,
                    status: crate::deploy::model::StageStatus::Failed,
                    started_at: 1,
                    ended_at: Some(2),
                    log: "500".into(),
                }],
                cause: Some("the gate failed".into()),
                started_at: 1,
                ended_at: Some(3),
                switched: false,
                colours: None,
                approval: None,
            })),
            Event::Audit,
            Event::Quota(Box::default()),
            Event::Shutdown,
        ];
        for event in events {
            let json = serde_json::to_string(&event).unwrap();
            let tag = format!(r#""event":"{}""#, event.kind());
            assert!(json.contains(&tag), "{json} has {tag}");
            assert_eq!(
                serde_json::from_str::<Event>(&json).unwrap(),
                event,
                "{json}"
            );
        }
    }
}
