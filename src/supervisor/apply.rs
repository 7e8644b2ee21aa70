//! Applying a new workspace definition (an environment switch, an edited file, a revert):
//! only the services whose effective definition changed are touched. Changed services that
//! run are restarted with their new definition, added ones start when the workspace is up,
//! removed ones stop and then leave the snapshot; every other service keeps running.

use tokio::sync::oneshot;

use super::{Runtime, Supervisor, deps};
use crate::config::{Service, Workspace};
use crate::protocol::{Event, ServiceState};

/// A new definition plus where the supervisor says what it did.
pub struct ApplyRequest {
    pub workspace: Workspace,
    pub reply: oneshot::Sender<Applied>,
}

/// What applying did, by service name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub restarted: Vec<String>,
    pub started: Vec<String>,
    pub stopped: Vec<String>,
    /// Changed but not running: the new definition applies at their next start.
    pub updated: Vec<String>,
}

impl Applied {
    /// Services that were (re)started, for waiting until they run.
    pub fn starting(&self) -> impl Iterator<Item = &String> {
        self.restarted.iter().chain(&self.started)
    }
}

/// A change that matters to the running process; tags and declared ports only label it.
pub fn needs_restart(old: &Service, new: &Service) -> bool {
    let relabelled = Service {
        tags: new.tags.clone(),
        ports: new.ports.clone(),
        ..old.clone()
    };
    relabelled != *new
}

impl Supervisor {
    pub(super) fn apply(&mut self, ws: Workspace) -> Applied {
        let up = self
            .services
            .values()
            .any(|rt| rt.status.state.is_active() || rt.status.state == ServiceState::CrashLooping);
        let mut applied = Applied::default();
        let removed: Vec<String> = self
            .services
            .keys()
            .filter(|name| ws.service(name).is_none())
            .cloned()
            .collect();
        applied.stopped = self.request_stop(&removed);
        for name in &removed {
            self.remove_when_stopped(name);
        }
        let mut restart = Vec::new();
        for service in &ws.services {
            match self.services.get_mut(&service.name) {
                None => {
                    self.services
                        .insert(service.name.clone(), Runtime::new(service.clone()));
                    self.publish(&service.name);
                    let standby = service.deploy.as_ref().is_some_and(|d| d.standby());
                    if up && !standby {
                        applied.started.push(service.name.clone());
                    }
                }
                Some(rt) if rt.spec != *service => {
                    let relaunch = needs_restart(&rt.spec, service);
                    rt.spec = service.clone();
                    rt.status.tags = service.tags.clone();
                    rt.status.ports = service.ports.clone();
                    rt.status.depends_on = service
                        .depends_on
                        .iter()
                        .map(|d| d.service.clone())
                        .collect();
                    let state = rt.status.state;
                    self.publish(&service.name);
                    if relaunch && (state.is_active() || state == ServiceState::CrashLooping) {
                        restart.push(service.name.clone());
                    } else {
                        applied.updated.push(service.name.clone());
                    }
                }
                Some(_) => {}
            }
        }
        self.reorder(&ws);
        self.ws = ws;
        self.quota_limits.set(self.ws.quotas.clone());
        for name in &restart {
            self.relaunch(name);
        }
        applied.restarted = restart;
        for name in deps::with_dependencies(&self.ws, &applied.started) {
            self.user_start(&name);
        }
        applied
    }

    /// Stop, then start with the spec now in place; watch and cron triggers are re-armed
    /// from the new definition.
    fn relaunch(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.stop_triggers();
        if rt.status.state.is_active() {
            rt.restart_after_stop = true;
            rt.unplanned = false;
            self.request_stop(&[name.to_owned()]);
        } else {
            self.user_start(name);
        }
    }

    /// A service the new definition no longer has leaves once nothing of it runs.
    fn remove_when_stopped(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        if rt.status.state.is_active() || rt.busy {
            rt.removed = true;
            return;
        }
        self.forget(name);
    }

    pub(super) fn forget(&mut self, name: &str) {
        if let Some(mut rt) = self.services.shift_remove(name) {
            rt.stop_triggers();
            rt.cancel_restart();
            rt.end_run();
            if let Some(task) = rt.exit_task.take() {
                task.abort();
            }
            self.hub.publish(Event::ServiceRemoved {
                service: name.to_owned(),
            });
            self.unsaved = true;
        }
    }

    /// Services in the order the new definition writes them (removed ones, still stopping,
    /// go last).
    fn reorder(&mut self, ws: &Workspace) {
        let rank = |name: &str| {
            ws.services
                .iter()
                .position(|s| s.name == name)
                .unwrap_or(usize::MAX)
        };
        self.services.sort_by(|a, _, b, _| rank(a).cmp(&rank(b)));
    }
}
