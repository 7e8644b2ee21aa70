//! Acting on intents in dependency order: a service starts once its dependencies' conditions
//! hold, and stops once nothing that depends on it is still running.

use std::collections::{BTreeMap, BTreeSet};

use super::launch::{LaunchError, LaunchJob, Launched, new_instance};
use super::stop::{StopOutcome, stop_tree};
use super::{Intent, Msg, Supervisor, deps};
use crate::config::Condition;
use crate::protocol::{Dependent, Health, NoticeLevel, ServiceState};

/// Whether a dependency lets its dependent start.
enum Gate {
    Open,
    Wait(String),
    Broken(String),
}

/// Whether a dependency in `state` meets `condition`.
pub(super) fn holds(
    condition: Condition,
    state: ServiceState,
    health: Option<Health>,
    exit_code: Option<i32>,
) -> bool {
    match condition {
        Condition::Started => state == ServiceState::Running,
        Condition::Healthy => state == ServiceState::Running && health == Some(Health::Healthy),
        Condition::Completed => state == ServiceState::Exited && exit_code == Some(0),
    }
}

impl Supervisor {
    pub(super) fn schedule(&mut self) {
        let names: Vec<String> = self.services.keys().cloned().collect();
        for name in &names {
            let rt = &self.services[name.as_str()];
            if rt.busy {
                continue;
            }
            match (rt.intent, rt.status.state) {
                (Intent::Start, ServiceState::Starting) => self.try_launch(name),
                (Intent::Stop, ServiceState::Stopping) => self.try_stop(name),
                _ => {}
            }
        }
        self.remote.want(self.remote_waits());
    }

    /// The workspaces services wait on at their gate.
    fn remote_waits(&self) -> BTreeSet<String> {
        let waiting = self.services.values().filter(|rt| {
            !rt.busy && rt.intent == Intent::Start && rt.status.state == ServiceState::Starting
        });
        waiting
            .flat_map(|rt| &rt.spec.depends_on)
            .filter_map(|d| d.remote().map(|(workspace, _)| workspace.to_owned()))
            .collect()
    }

    /// Services of other workspaces that depend on ours, as the last scan found them.
    pub(super) fn needed_by(&mut self, mut found: BTreeMap<String, Vec<Dependent>>) {
        let names: Vec<String> = self.services.keys().cloned().collect();
        for name in names {
            let now = found.remove(&name).unwrap_or_default();
            let Some(rt) = self.services.get_mut(&name) else {
                continue;
            };
            if rt.status.needed_by != now {
                rt.status.needed_by = now;
                self.publish(&name);
            }
        }
    }

    fn gate(&self, name: &str) -> Gate {
        let mut waiting = Vec::new();
        for dep in &self.services[name].spec.depends_on {
            if dep.remote().is_some() {
                waiting.extend(self.remote.waiting_for(dep));
                continue;
            }
            let d = &self.services[dep.service.as_str()];
            let (state, health) = (d.status.state, d.status.health);
            let condition = dep.condition;
            if holds(condition, state, health, d.status.exit_code) {
                continue;
            }
            let dead = matches!(
                state,
                ServiceState::Exited
                    | ServiceState::Failed
                    | ServiceState::Stopped
                    | ServiceState::GaveUp
            ) && d.intent != Intent::Start;
            if dead {
                let how = match (state, d.status.exit_code) {
                    (ServiceState::Exited, Some(code)) => format!("exited with code {code}"),
                    (ServiceState::Exited, None) => "was killed".to_string(),
                    (ServiceState::Failed, _) => "failed to start".to_string(),
                    (ServiceState::GaveUp, _) => "gave up restarting".to_string(),
                    _ => "is stopped".to_string(),
                };
                return Gate::Broken(format!("dependency {} {how}", dep.service));
            }
            waiting.push(format!("{} ({})", dep.service, condition.name()));
        }
        if waiting.is_empty() {
            Gate::Open
        } else {
            Gate::Wait(format!("waiting for {}", waiting.join(", ")))
        }
    }

    fn try_launch(&mut self, name: &str) {
        match self.gate(name) {
            Gate::Wait(reason) => self.set_state(name, ServiceState::Starting, Some(reason)),
            Gate::Broken(reason) => {
                if let Some(rt) = self.services.get_mut(name) {
                    rt.intent = Intent::Idle;
                }
                self.hub.notice(
                    NoticeLevel::Error,
                    Some(name),
                    format!("{name} not started: {reason}"),
                );
                self.set_state(name, ServiceState::Failed, Some(reason));
            }
            Gate::Open => self.launch(name),
        }
    }

    fn launch(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.busy = true;
        rt.runner = None;
        rt.instance = new_instance(&self.ws.name, name);
        let job = LaunchJob {
            tmux: self.tmux.clone(),
            paths: self.paths.clone(),
            workspace: self.ws.name.clone(),
            spec: rt.spec.clone(),
            instance: rt.instance.clone(),
            runner: self.runner.clone(),
            pane: rt.pane.clone(),
        };
        self.set_state(name, ServiceState::Starting, Some("launching".into()));
        let tx = self.tx.clone();
        let name = name.to_string();
        tokio::spawn(async move {
            let result = job.run().await;
            let _ = tx.send(Msg::Launched { name, result });
        });
    }

    pub(super) fn on_launched(&mut self, name: &str, result: Result<Launched, LaunchError>) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.busy = false;
        let launched = match result {
            Ok(launched) => launched,
            Err(error) => {
                let error = error.to_string();
                rt.intent = Intent::Idle;
                self.hub.notice(
                    NoticeLevel::Error,
                    Some(name),
                    format!("{name} failed to start: {error}"),
                );
                self.set_state(name, ServiceState::Failed, Some(error));
                return;
            }
        };
        match (rt.started_once, std::mem::take(&mut rt.unplanned)) {
            (true, true) => rt.status.restarts += 1,
            (true, false) => rt.status.user_restarts += 1,
            (false, _) => {}
        }
        rt.started_once = true;
        rt.pane = Some(launched.pane.clone());
        rt.root = Some(launched.root);
        rt.tracked.clear();
        rt.status.pid = Some(launched.root.pid);
        rt.status.started_at = Some(launched.started_at);
        rt.status.exit_code = None;
        rt.status.signal = None;
        rt.status.window = Some(launched.pane.window_id);
        let stop_now = rt.intent == Intent::Stop;
        rt.intent = Intent::Idle;
        let reports = launched.runner.map(|runner| {
            rt.runner = Some(runner.link);
            runner.reports
        });
        let in_place = reports.is_none() && rt.runner.is_some();
        self.start_probes(name);
        self.start_triggers(name);
        match reports {
            Some(reports) => self.watch_runner(name, reports, launched.root),
            // A runner's own restart: its reports keep coming on the same connection.
            None if in_place => {}
            None => self.watch_exit(name),
        }
        self.arm(name);
        self.set_state(name, ServiceState::Running, None);
        if stop_now {
            self.request_stop(&[name.to_string()]);
        }
    }

    fn try_stop(&mut self, name: &str) {
        // A restart stops the service alone; its dependents ride it out.
        let alone = self.services[name].restart_after_stop;
        let blocking: Vec<&str> = deps::dependents(&self.ws, name)
            .filter(|d| !alone && self.services[*d].status.state.is_active())
            .collect();
        if !blocking.is_empty() {
            let reason = format!("waiting for {} to stop", blocking.join(", "));
            self.set_state(name, ServiceState::Stopping, Some(reason));
            return;
        }
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.busy = true;
        rt.end_run();
        if let Some(link) = &rt.runner {
            link.send(super::runner::protocol::Order::Disarm);
        }
        let target = rt.stop_target();
        let (signal, timeout) = (rt.spec.stop.signal, rt.spec.stop.timeout);
        self.set_state(name, ServiceState::Stopping, None);
        let tx = self.tx.clone();
        let name = name.to_string();
        tokio::spawn(async move {
            let outcome = stop_tree(&target, signal, timeout).await;
            let _ = tx.send(Msg::Stopped { name, outcome });
        });
    }

    pub(super) fn on_stopped(&mut self, name: &str, outcome: StopOutcome) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.busy = false;
        rt.intent = Intent::Idle;
        rt.root = None;
        rt.runner = None;
        rt.tracked.clear();
        rt.status.pid = None;
        rt.status.started_at = None;
        rt.status.exit_code = None;
        rt.status.signal = None;
        let restart = std::mem::take(&mut rt.restart_after_stop);
        let delay = rt.restart_delay.take().filter(|d| !d.is_zero());
        if !outcome.leftover.is_empty() {
            self.hub.notice(
                NoticeLevel::Error,
                Some(name),
                format!("{name}: processes {:?} survived SIGKILL", outcome.leftover),
            );
        }
        let reason = (rt.stopped_for.take()).or_else(|| {
            (outcome.forced).then(|| "killed with SIGKILL after the stop timeout".to_string())
        });
        if !restart {
            rt.stop_triggers();
        }
        if rt.removed {
            self.forget(name);
            return;
        }
        if let Some(why) = rt.gave_up.take() {
            self.set_state(name, ServiceState::GaveUp, Some(why));
            return;
        }
        self.set_state(name, ServiceState::Stopped, reason);
        match (restart, delay) {
            (true, Some(delay)) => self.restart_later(name, delay, "liveness probe failed"),
            (true, None) => self.request_start(name),
            (false, _) => {}
        }
    }
}
