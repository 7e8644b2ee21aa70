//! Which events users subscribe to happened: the hub's events compared with what was
//! seen before (a service's state, its health, an alert's state, the applied revision).
//! Pure: the worker feeds it events and the time.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::alerts::model::{Alert, AlertState};
use crate::protocol::{ConfigStatus, Event, Health, ServiceState, ServiceStatus, Snapshot};

/// Something a subscription may want: its kind (`service.state`), what it is about
/// (a service, an alert id) and what the delivery's `data` says.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub kind: &'static str,
    pub subject: String,
    pub data: Value,
}

#[derive(Debug, Default)]
pub struct Watch {
    services: HashMap<String, (ServiceState, Option<Health>)>,
    alerts: HashMap<String, AlertState>,
    revision: Option<u64>,
    /// A deploy's id → the last kind told about it.
    deploys: HashMap<u64, &'static str>,
    /// A deploy's id → how many of its stages were told as ended.
    stages_told: HashMap<u64, usize>,
}

impl Watch {
    /// Starts from the state the engine is in: that is no news.
    pub fn seeded(snapshot: &Snapshot) -> Self {
        let mut watch = Self::default();
        watch.snapshot(snapshot);
        watch
    }

    pub fn observe(&mut self, event: &Event) -> Vec<Occurrence> {
        match event {
            Event::Snapshot(snapshot) => self.snapshot(snapshot),
            Event::Service(status) => self.service(status),
            Event::ServiceRemoved { service } => {
                // Added again later, it is a new service: its first state is news.
                self.services.remove(service);
                Vec::new()
            }
            Event::Alerts { alerts } => self.alerts(alerts),
            Event::Config {
                environment,
                config,
            } => self.config(environment.as_deref(), config),
            Event::GitPush(push) => vec![Occurrence {
                kind: "git.push",
                subject: push.delivery.clone(),
                data: json!(push),
            }],
            Event::Deploy(deploy) => {
                let mut found = self.stages(deploy);
                found.extend(self.deploy(deploy));
                found
            }
            _ => Vec::new(),
        }
    }

    /// A fresh snapshot (the stream lagged): what changed meanwhile.
    fn snapshot(&mut self, snapshot: &Snapshot) -> Vec<Occurrence> {
        let mut found: Vec<Occurrence> = snapshot
            .services
            .iter()
            .flat_map(|s| self.service(s))
            .collect();
        found.extend(self.alerts(&snapshot.alerts));
        found.extend(self.config(snapshot.environment.as_deref(), &snapshot.config));
        for deploy in &snapshot.deploys {
            found.extend(self.stages(deploy));
            found.extend(self.deploy(deploy));
        }
        found
    }

    /// A deploy began (`deploy.started`), waits for an approval (`deploy.waiting`) or
    /// ended (`deploy.succeeded`, `deploy.failed`: failed, rolled back or rejected); its
    /// stages in between are not news.
    fn deploy(&mut self, deploy: &crate::deploy::model::Deployment) -> Option<Occurrence> {
        let kind = match deploy.state.as_str() {
            // Running again once approved: it started before.
            "running" if self.deploys.contains_key(&deploy.id) => return None,
            "running" => "deploy.started",
            "waiting" => "deploy.waiting",
            "succeeded" => "deploy.succeeded",
            _ => "deploy.failed",
        };
        if self.deploys.insert(deploy.id, kind) == Some(kind) {
            return None;
        }
        Some(Occurrence {
            kind,
            subject: format!("{}#{}", deploy.service, deploy.id),
            data: json!(deploy),
        })
    }

    /// Each stage of a deploy once it ended (`deploy.stage`), in order; `data` is the
    /// stage with the deploy's id, service and commit.
    fn stages(&mut self, deploy: &crate::deploy::model::Deployment) -> Vec<Occurrence> {
        use crate::deploy::model::StageStatus;
        let told = self.stages_told.entry(deploy.id).or_default();
        let ended = (deploy.stages.iter())
            .take_while(|s| s.status != StageStatus::Running)
            .count();
        let found = (deploy.stages[(*told).min(ended)..ended].iter())
            .map(|stage| Occurrence {
                kind: "deploy.stage",
                subject: format!("{}#{}:{}", deploy.service, deploy.id, stage.stage.as_str()),
                data: json!({
                    "deploy": deploy.id,
                    "service": deploy.service,
                    "commit": deploy.commit,
                    "release": deploy.release,
                    "stage": stage,
                }),
            })
            .collect();
        *told = ended.max(*told);
        found
    }

    fn service(&mut self, status: &ServiceStatus) -> Vec<Occurrence> {
        let now = (status.state, status.health);
        let before = self.services.insert(status.name.clone(), now);
        let mut found = Vec::new();
        if before.map(|b| b.0) != Some(status.state) {
            found.push(Occurrence {
                kind: "service.state",
                subject: status.name.clone(),
                data: json!({
                    "service": status.name,
                    "state": status.state,
                    "previous": before.map(|b| b.0),
                    "reason": status.reason,
                    "pid": status.pid,
                    "exit_code": status.exit_code,
                    "signal": status.signal,
                }),
            });
        }
        let health_before = before.and_then(|b| b.1);
        if status.health.is_some() && health_before != status.health {
            found.push(Occurrence {
                kind: "service.health",
                subject: status.name.clone(),
                data: json!({
                    "service": status.name,
                    "health": status.health,
                    "previous": health_before,
                }),
            });
        }
        found
    }

    fn alerts(&mut self, alerts: &[Alert]) -> Vec<Occurrence> {
        let mut found = Vec::new();
        let mut seen = HashMap::with_capacity(alerts.len());
        for alert in alerts {
            let before = self.alerts.get(&alert.id).copied();
            let kind = match (before, alert.state) {
                (Some(AlertState::Firing), AlertState::Firing) => None,
                (_, AlertState::Firing) => Some("alert.firing"),
                (Some(AlertState::Firing), AlertState::Resolved) => Some("alert.resolved"),
                _ => None,
            };
            found.extend(kind.map(|kind| Occurrence {
                kind,
                subject: alert.id.clone(),
                data: json!({
                    "id": alert.id,
                    "rule": alert.rule,
                    "severity": alert.severity,
                    "labels": alert.labels,
                    "annotations": alert.annotations,
                    "value": alert.value,
                    "fired_at": alert.fired_at,
                    "resolved_at": alert.resolved_at,
                }),
            }));
            seen.insert(alert.id.clone(), alert.state);
        }
        self.alerts = seen;
        found
    }

    fn config(&mut self, environment: Option<&str>, config: &ConfigStatus) -> Vec<Occurrence> {
        if config.revision.is_none() || config.revision == self.revision {
            return Vec::new();
        }
        self.revision = config.revision;
        vec![Occurrence {
            kind: "config.applied",
            subject: config.revision.unwrap_or_default().to_string(),
            data: json!({
                "revision": config.revision,
                "environment": environment,
            }),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, state: ServiceState, health: Option<Health>) -> Event {
        let mut s = ServiceStatus::new(name);
        s.state = state;
        s.health = health;
        Event::Service(s)
    }

    fn kinds(found: &[Occurrence]) -> Vec<&'static str> {
        found.iter().map(|o| o.kind).collect()
    }

    #[test]
    fn state_and_health_changes_are_news_repeats_are_not() {
        let mut watch = Watch::default();
        let starting = watch.observe(&status("api", ServiceState::Starting, None));
        assert_eq!(kinds(&starting), ["service.state"]);
        assert_eq!(starting[0].data["previous"], Value::Null);
        let running = status("api", ServiceState::Running, Some(Health::Unknown));
        assert_eq!(
            kinds(&watch.observe(&running)),
            ["service.state", "service.health"]
        );
        assert!(watch.observe(&running).is_empty());
        let healthy = watch.observe(&status("api", ServiceState::Running, Some(Health::Healthy)));
        assert_eq!(kinds(&healthy), ["service.health"]);
        assert_eq!(healthy[0].data["previous"], "unknown");
        watch.observe(&Event::ServiceRemoved {
            service: "api".into(),
        });
        let back = watch.observe(&status("api", ServiceState::Running, Some(Health::Healthy)));
        assert_eq!(kinds(&back), ["service.state", "service.health"]);
    }

    #[test]
    fn a_deploy_starts_each_stage_ends_and_the_deploy_ends_once() {
        use crate::deploy::model::{DeployState, Deployment, Stage, StageRun, StageStatus};
        let stage = |stage, status| StageRun {
            stage,
            status,
            started_at: 1,
            ended_at: None,
            log: String::new(),
        };
        let mut deploy = Deployment {
            id: 7,
            service: "api".into(),
            trigger: "push".into(),
            by: "ana".into(),
            git_ref: "main".into(),
            commit: None,
            release: None,
            previous: None,
            state: DeployState::Running,
            stages: Vec::new(),
            cause: None,
            started_at: 1,
            ended_at: None,
            switched: false,
            colours: None,
            approval: None,
        };
        let mut watch = Watch::default();
        let event = |d: &Deployment| Event::Deploy(Box::new(d.clone()));
        assert_eq!(kinds(&watch.observe(&event(&deploy))), ["deploy.started"]);
        deploy.commit = Some("c0ffee".into());
        deploy
            .stages
            .push(stage(Stage::Fetch, StageStatus::Running));
        assert!(watch.observe(&event(&deploy)).is_empty());
        deploy.stages[0].status = StageStatus::Passed;
        deploy
            .stages
            .push(stage(Stage::Build, StageStatus::Running));
        let fetched = watch.observe(&event(&deploy));
        assert_eq!(kinds(&fetched), ["deploy.stage"]);
        assert_eq!(fetched[0].subject, "api#7:fetch");
        assert_eq!(fetched[0].data["stage"]["status"], "passed");
        assert!(watch.observe(&event(&deploy)).is_empty());
        deploy.stages[1].status = StageStatus::Failed;
        deploy
            .stages
            .push(stage(Stage::Rollback, StageStatus::Passed));
        deploy.state = DeployState::RolledBack;
        let ended = watch.observe(&event(&deploy));
        assert_eq!(
            kinds(&ended),
            ["deploy.stage", "deploy.stage", "deploy.failed"]
        );
        let ended = &ended[2..];
        assert_eq!(ended[0].subject, "api#7");
        assert_eq!(ended[0].data["state"], "rolled_back");
        assert!(watch.observe(&event(&deploy)).is_empty());

        deploy.id = 8;
        deploy.stages.clear();
        deploy.state = DeployState::Running;
        assert_eq!(kinds(&watch.observe(&event(&deploy))), ["deploy.started"]);
        deploy.state = DeployState::Waiting;
        assert_eq!(kinds(&watch.observe(&event(&deploy))), ["deploy.waiting"]);
        deploy.state = DeployState::Running;
        assert!(
            watch.observe(&event(&deploy)).is_empty(),
            "approved: not a new start"
        );
        deploy.state = DeployState::Succeeded;
        assert_eq!(kinds(&watch.observe(&event(&deploy))), ["deploy.succeeded"]);
    }

    #[test]
    fn alerts_fire_and_resolve_once() {
        let mut alert = Alert {
            id: "0123456789abcdef".into(),
            rule: "HighCpu".into(),
            state: AlertState::Pending,
            severity: crate::alerts::model::Severity::Critical,
            labels: Default::default(),
            annotations: Default::default(),
            value: 91.0,
            active_since: 1,
            fired_at: None,
            resolved_at: None,
            ack: None,
            silenced_by: None,
        };
        let mut watch = Watch::default();
        let list = |a: &Alert| Event::Alerts {
            alerts: vec![a.clone()],
        };
        assert!(watch.observe(&list(&alert)).is_empty());
        alert.state = AlertState::Firing;
        assert_eq!(kinds(&watch.observe(&list(&alert))), ["alert.firing"]);
        assert!(watch.observe(&list(&alert)).is_empty());
        alert.state = AlertState::Resolved;
        assert_eq!(kinds(&watch.observe(&list(&alert))), ["alert.resolved"]);
        assert!(watch.observe(&list(&alert)).is_empty());
    }

    #[test]
    fn a_new_revision_is_applied_config() {
        let mut watch = Watch::default();
        let config = |revision| Event::Config {
            environment: Some("prod".into()),
            config: ConfigStatus {
                revision,
                ..Default::default()
            },
        };
        assert!(watch.observe(&config(None)).is_empty());
        let applied = watch.observe(&config(Some(2)));
        assert_eq!(kinds(&applied), ["config.applied"]);
        assert_eq!(applied[0].data["environment"], "prod");
        assert!(watch.observe(&config(Some(2))).is_empty());
    }
}
