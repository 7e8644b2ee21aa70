//! The engine's alerting worker: evaluates the rules on every metrics sample and service
//! change, hands notifications to the durable outbox, answers ack / silence / expire, keeps
//! the journal, and reloads rules and channels when their files change.

mod delivery;

pub use delivery::notification_history;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::live::{AnomalyLog, EngineReadings, RestartLog};
use super::logs::LogCounter;
use super::probes::{Probes, Wanted};
use super::sources::{self, Watched};
use super::{
    Alert, AlertingInfo, Change, ChannelInfo, Delivery, Evaluator, Router, RuleSet, Silence,
    Transition,
};
use crate::clock::now_ms;
use crate::config::{AlertSettings, Workspace};
use crate::logs::live::LogsHub;
use crate::metrics::Sample;
use crate::paths::Paths;
use crate::protocol::CommandRequest;
use crate::protocol::{Event, Hub, NoticeLevel, ServiceState, ServiceStatus};
use crate::store::Journal;
use crate::store::journal::Entry;

/// Where an alert about a service that gave up restarting carries its last log lines.
const LOGS_ANNOTATION: &str = "logs";
/// On the alerts of a service whose latest deploy failed: which deploy and why.
const DEPLOY_ANNOTATION: &str = "deploy";

/// How often files are checked for changes and channel health refreshed.
const HOUSEKEEPING: std::time::Duration = std::time::Duration::from_secs(1);

/// How long the engine's exit waits for notifications being sent.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// The running worker. [`AlertsWorker::shutdown`] lets sends in flight finish; dropping it
/// aborts them (the next engine sends them again from the outbox: at least once).
pub struct AlertsWorker {
    pub commands: mpsc::Sender<CommandRequest>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Drop for AlertsWorker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AlertsWorker {
    /// `logs` feeds `log_rate`, `log_match` and `log_pattern_flagged`; `None` when the
    /// engine runs no logs worker.
    /// `playbooks` runs the playbooks rules name when they fire.
    pub fn spawn(
        ws: &Workspace,
        paths: &Paths,
        hub: Hub,
        logs: Option<LogsHub>,
        playbooks: Option<crate::heal::Playbooks>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(16);
        let (stop, stop_rx) = tokio::sync::oneshot::channel();
        let mut alerting = Alerting::new(ws, paths, hub.clone(), logs);
        alerting.playbooks = playbooks;
        let (_, events) = hub.subscribe();
        let task = tokio::spawn(async move {
            alerting.run(events, rx, stop_rx).await;
            if let Some(delivery) = alerting.delivery.take() {
                let _ = tokio::time::timeout(SHUTDOWN_GRACE, delivery.shutdown()).await;
            }
        });
        Self {
            commands: tx,
            stop: Some(stop),
            task,
        }
    }

    /// Stop evaluating, and give notifications being sent a moment to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(SHUTDOWN_GRACE * 2, &mut self.task).await;
    }
}

pub(super) struct Alerting {
    pub(super) hub: Hub,
    settings: AlertSettings,
    pub(super) evaluator: Evaluator,
    router: Router,
    delivery: Option<Delivery>,
    pub(super) journal: Option<Journal>,
    probes: Probes,
    /// What the rules probe.
    wanted: Wanted,
    logs: LogCounter,
    patterns: Option<LogsHub>,
    /// Services that gave up restarting with `then: alert`, and their last log lines.
    escalations: std::collections::HashMap<String, Vec<String>>,
    /// Services whose latest deploy failed or was rolled back: what happened (`deploy`).
    failed_deploys: std::collections::HashMap<String, String>,
    playbooks: Option<crate::heal::Playbooks>,
    restarts: RestartLog,
    anomalies: AnomalyLog,
    sample: Option<Sample>,
    services: Vec<ServiceStatus>,
    storage: crate::protocol::StorageInfo,
    pub(super) silences: Vec<Silence>,
    published: Vec<Alert>,
    info: AlertingInfo,
    /// The workspace's service names, for warning about rules that name others.
    known_services: Vec<String>,
    rules_file: Option<Watched>,
    channels_file: Option<Watched>,
}

impl Alerting {
    fn new(ws: &Workspace, paths: &Paths, hub: Hub, logs: Option<LogsHub>) -> Self {
        let settings = ws.alerts.clone();
        let journal = match Journal::open(paths.alerts_db()) {
            Ok(j) => Some(j),
            Err(e) => {
                hub.notice(
                    NoticeLevel::Error,
                    None,
                    format!("alert journal unavailable: {e}"),
                );
                None
            }
        };
        let mut info = AlertingInfo {
            rules_file: settings.rules.as_ref().map(|p| p.display().to_string()),
            channels_file: settings.channels.as_ref().map(|p| p.display().to_string()),
            ..AlertingInfo::default()
        };
        let rules = sources::rules_for(&settings).unwrap_or_else(|e| {
            info.problem = Some(e.to_string());
            RuleSet::default().with_built_in()
        });
        let channels = sources::channels_for(&settings).unwrap_or_else(|e| {
            info.problem = Some(e.to_string());
            Default::default()
        });
        info.rules = rules.own();
        let delivery = delivery::start(paths, &ws.name, channels.clone(), &hub);
        let mut alerting = Self {
            evaluator: Evaluator::new(RuleSet::default()),
            router: Router::new(&channels),
            delivery,
            journal,
            probes: Probes::default(),
            wanted: Wanted::default(),
            logs: LogCounter::new(logs.clone()),
            patterns: logs,
            escalations: Default::default(),
            failed_deploys: Default::default(),
            playbooks: None,
            restarts: RestartLog::default(),
            anomalies: AnomalyLog::default(),
            sample: None,
            services: Vec::new(),
            storage: Default::default(),
            silences: Vec::new(),
            published: Vec::new(),
            info,
            known_services: ws.services.iter().map(|s| s.name.clone()).collect(),
            rules_file: settings.rules.clone().map(Watched::new),
            channels_file: settings.channels.clone().map(Watched::new),
            settings,
            hub,
        };
        alerting.use_rules(rules);
        alerting.restore();
        alerting
    }

    /// Continue the previous engine's alerts and silences.
    fn restore(&mut self) {
        let now = now_ms();
        let Some(journal) = &self.journal else { return };
        match journal.load_alerts() {
            Ok(alerts) => self.evaluator.restore(alerts),
            Err(e) => tracing::warn!("cannot restore alerts: {e}"),
        }
        match journal.load_silences(now) {
            Ok(silences) => self.silences = silences,
            Err(e) => tracing::warn!("cannot restore silences: {e}"),
        }
        let _ = journal.prune(now);
    }

    async fn run(
        &mut self,
        mut events: broadcast::Receiver<Event>,
        mut commands: mpsc::Receiver<CommandRequest>,
        mut stop: tokio::sync::oneshot::Receiver<()>,
    ) {
        let snapshot = self.hub.snapshot();
        self.services = snapshot.services;
        self.storage = snapshot.storage;
        for deploy in &snapshot.deploys {
            self.on_deploy(deploy);
        }
        self.probes.set_for(&self.wanted, &self.services);
        self.publish_all();
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(Event::Metrics(sample)) => {
                        self.anomalies.observe(&sample);
                        self.sample = Some(*sample);
                        self.evaluate();
                    }
                    Ok(Event::Service(status)) => {
                        self.on_service(status);
                        self.evaluate();
                    }
                    Ok(Event::Storage(storage)) => {
                        self.storage = storage;
                        self.evaluate();
                    }
                    Ok(Event::Heal(heal)) if heal.escalate => {
                        if let Some(service) = heal.service {
                            self.escalations.insert(service, heal.logs);
                            self.evaluate();
                        }
                    }
                    Ok(Event::Deploy(deploy)) => {
                        if self.on_deploy(&deploy) {
                            self.evaluate();
                        }
                    }
                    Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed) => break,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let snapshot = self.hub.snapshot();
                        if let Some(sample) = &snapshot.metrics {
                            self.anomalies.observe(sample);
                        }
                        self.sample = snapshot.metrics;
                        self.storage = snapshot.storage;
                        for status in snapshot.services {
                            self.on_service(status);
                        }
                    }
                },
                received = self.logs.recv() => self.logs.take(received, now_ms()),
                Some((command, reply)) = commands.recv() => {
                    let result = self.on_command(command);
                    let seq = self.hub.seq();
                    let _ = reply.send(result.map(|r| crate::protocol::Reply { seq, ..r }));
                }
                _ = housekeeping.tick() => self.housekeeping(),
                _ = &mut stop => break,
            }
        }
    }

    fn on_service(&mut self, status: ServiceStatus) {
        self.restarts.observe(&status, now_ms());
        if status.state != ServiceState::GaveUp && self.escalations.remove(&status.name).is_some() {
            self.evaluator.attach(&status.name, LOGS_ANNOTATION, None);
        }
        let slot = self.services.iter_mut().find(|s| s.name == status.name);
        let ports_changed = slot.as_ref().is_none_or(|s| s.ports != status.ports);
        match slot {
            Some(slot) => *slot = status,
            None => self.services.push(status),
        }
        if ports_changed && self.wanted.declared_ports {
            self.probes.set_for(&self.wanted, &self.services);
        }
    }

    /// Follows each service's latest deploy; true when whether it failed changed.
    fn on_deploy(&mut self, deploy: &crate::deploy::model::Deployment) -> bool {
        use crate::deploy::model::DeployState;
        match deploy.state {
            // Waiting, skipped and rejected deploys left the serving release alone.
            DeployState::Running
            | DeployState::Waiting
            | DeployState::Skipped
            | DeployState::Rejected => false,
            DeployState::Succeeded => {
                let was = self.failed_deploys.remove(&deploy.service).is_some();
                if was {
                    self.evaluator
                        .attach(&deploy.service, DEPLOY_ANNOTATION, None);
                }
                was
            }
            DeployState::Failed | DeployState::RolledBack => {
                let what = format!(
                    "deploy {} of {} {}: {}",
                    deploy.id,
                    deploy
                        .commit
                        .as_deref()
                        .map_or(deploy.git_ref.as_str(), |c| &c[..c.len().min(7)]),
                    deploy.state.as_str().replace('_', " "),
                    deploy.cause.as_deref().unwrap_or("no cause recorded"),
                );
                self.failed_deploys
                    .insert(deploy.service.clone(), what)
                    .is_none()
            }
        }
    }

    /// One evaluation: read log counts and probes, step every alert, notify, record, publish.
    pub(super) fn evaluate(&mut self) {
        let now = now_ms();
        self.logs.expire(now);
        let probes = self.probes.results();
        let readings = EngineReadings {
            now_ms: now,
            sample: self.sample.as_ref(),
            services: &self.services,
            restarts: &self.restarts,
            anomalies: &self.anomalies,
            probes: &probes,
            logs: &self.logs,
            patterns: self.patterns.as_ref(),
            escalations: &self.escalations,
            failed_deploys: &self.failed_deploys,
            storage: &self.storage,
        };
        let changes = self.evaluator.evaluate(now, &readings);
        self.run_playbooks(&changes);
        for (service, lines) in &self.escalations {
            let text = (!lines.is_empty()).then(|| lines.join("\n"));
            self.evaluator
                .attach(service, LOGS_ANNOTATION, text.as_deref());
        }
        for (service, what) in &self.failed_deploys {
            self.evaluator
                .attach(service, DEPLOY_ANNOTATION, Some(what));
        }
        self.record_changes(&changes);
        self.notify_and_publish(now, !changes.is_empty());
    }

    /// Route the current alerts (with silences applied) and publish them if they changed.
    pub(super) fn notify_and_publish(&mut self, now: u64, save: bool) {
        let mut alerts = self.evaluator.alerts();
        let before = self.silences.len();
        self.silences.retain(|s| s.ends_at > now);
        if self.silences.len() != before {
            self.hub.publish(Event::Silences {
                silences: self.silences.clone(),
            });
        }
        for alert in &mut alerts {
            alert.silenced_by = self
                .silences
                .iter()
                .find(|s| s.is_active(now) && s.matches(&alert.labels))
                .map(|s| s.id.clone());
        }
        alerts.sort_by(Alert::display_order);
        let evaluator = &self.evaluator;
        let notifications = self
            .router
            .update(now, &alerts, &|rule| evaluator.rule_channels(rule).to_vec());
        if !notifications.is_empty()
            && let Some(delivery) = &self.delivery
        {
            delivery.enqueue(notifications);
        }
        if save
            && let Some(journal) = &mut self.journal
            && let Err(e) = journal.save_alerts(&alerts)
        {
            tracing::warn!("cannot save alerts: {e}");
        }
        if alerts != self.published {
            self.published.clone_from(&alerts);
            self.hub.publish(Event::Alerts { alerts });
        }
    }

    /// A rule with `playbook:` runs it each time one of its alerts starts firing.
    fn run_playbooks(&self, changes: &[Change]) {
        let Some(playbooks) = &self.playbooks else {
            return;
        };
        for change in changes.iter().filter(|c| c.to == Transition::Firing) {
            let Some(name) = self
                .evaluator
                .rule(&change.alert.rule)
                .and_then(|r| r.playbook.clone())
            else {
                continue;
            };
            let (playbooks, hub) = (playbooks.clone(), self.hub.clone());
            let trigger = format!("rule {}", change.alert.describe());
            tokio::spawn(async move {
                if let Err(refused) = playbooks.run(&name, false, &trigger).await {
                    let text = format!("playbook `{name}` for {trigger} did not run: {refused}");
                    hub.notice(NoticeLevel::Error, None, text);
                }
            });
        }
    }

    fn record_changes(&self, changes: &[Change]) {
        for change in changes {
            let alert = &change.alert;
            let kind = format!("{:?}", change.to).to_lowercase();
            self.record(Entry {
                at: now_ms(),
                kind: kind.clone(),
                alert: Some(alert.id.clone()),
                rule: Some(alert.rule.clone()),
                text: format!("{} {kind} at {}", alert.describe(), alert.value_text()),
            });
        }
    }

    pub(super) fn record(&self, entry: Entry) {
        if let Some(journal) = &self.journal
            && let Err(e) = journal.record(&entry)
        {
            tracing::warn!("cannot record alert history: {e}");
        }
    }

    pub(super) fn publish_all(&mut self) {
        self.hub.publish(Event::Silences {
            silences: self.silences.clone(),
        });
        self.refresh_info(true);
        self.notify_and_publish(now_ms(), false);
    }

    fn use_rules(&mut self, rules: RuleSet) {
        let known: Vec<&str> = self.known_services.iter().map(String::as_str).collect();
        for (rule, service) in rules.unknown_services(&known) {
            self.hub.notice(
                NoticeLevel::Warn,
                None,
                format!(
                    "rule {rule} names service `{service}`, which this workspace does not have"
                ),
            );
        }
        self.wanted = Wanted {
            rules: rules.probes(),
            declared_ports: rules.reads_declared_ports(),
        };
        self.probes.set_for(&self.wanted, &self.services);
        self.logs.set(&rules.log_queries());
        self.info.rules = rules.own();
        let changes = self.evaluator.set_rules(rules);
        self.record_changes(&changes);
    }

    /// Reload changed files and refresh channel health.
    fn housekeeping(&mut self) {
        if self.rules_file.as_mut().is_some_and(Watched::changed) {
            self.reload_rules();
        }
        if self.channels_file.as_mut().is_some_and(Watched::changed) {
            self.reload_channels();
        }
        self.refresh_info(false);
    }

    fn reload_rules(&mut self) {
        match sources::rules_for(&self.settings) {
            Ok(rules) => {
                let count = rules.own();
                self.use_rules(rules);
                self.info.problem = None;
                self.reloaded(format!("rules reloaded: {count} rules"));
                self.evaluate();
            }
            Err(e) => self.reload_failed("rules", e.to_string()),
        }
    }

    fn reload_channels(&mut self) {
        match sources::channels_for(&self.settings) {
            Ok(channels) => {
                let count = channels.channels.len();
                self.router.set_config(&channels);
                if let Some(delivery) = &self.delivery {
                    delivery.set_channels(channels);
                }
                self.info.problem = None;
                self.reloaded(format!("channels reloaded: {count} channels"));
            }
            Err(e) => self.reload_failed("channels", e.to_string()),
        }
    }

    fn reloaded(&mut self, text: String) {
        self.refresh_info(true);
        self.hub.notice(NoticeLevel::Info, None, text.clone());
        self.record(Entry {
            at: now_ms(),
            kind: "config".into(),
            alert: None,
            rule: None,
            text,
        });
    }

    /// The previous rules or channels stay in use; the user sees why the new ones did not.
    fn reload_failed(&mut self, what: &str, problem: String) {
        let first_line = problem.lines().next().unwrap_or_default().to_owned();
        self.hub.notice(
            NoticeLevel::Error,
            None,
            format!("{what} not reloaded, previous {what} kept: {first_line}"),
        );
        self.record(Entry {
            at: now_ms(),
            kind: "config".into(),
            alert: None,
            rule: None,
            text: format!("{what} not reloaded: {problem}"),
        });
        self.info.problem = Some(problem);
        self.refresh_info(true);
    }

    fn refresh_info(&mut self, force: bool) {
        let channels: Vec<ChannelInfo> = self
            .delivery
            .as_ref()
            .map(Delivery::status)
            .unwrap_or_default()
            .into_iter()
            .map(|c| ChannelInfo {
                name: c.name,
                kind: c.kind.as_str().to_owned(),
                disabled: c.disabled,
                queued: c.queued,
                last_error: c.last_error,
                last_delivered_at: c.last_delivered_at,
            })
            .collect();
        if force || channels != self.info.channels {
            self.info.channels = channels;
            self.hub.publish(Event::Alerting(self.info.clone()));
        }
    }
}

/// Unique-prefix lookup shared by ack and expire.
pub(super) fn by_prefix<'a, T>(
    items: impl Iterator<Item = &'a T>,
    id: impl Fn(&T) -> &str,
    prefix: &str,
) -> Result<&'a T, String>
where
    T: 'a,
{
    let found: Vec<&T> = items.filter(|i| id(i).starts_with(prefix)).collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("unknown id `{prefix}`")),
        many => Err(format!(
            "`{prefix}` is ambiguous: {}",
            many.iter().map(|i| id(i)).collect::<Vec<_>>().join(", ")
        )),
    }
}
