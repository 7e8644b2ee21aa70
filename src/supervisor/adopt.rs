//! Seeing what tmux and /proc say: adopting services at engine start, noticing exits and
//! closed windows, remembering descendants, and persisting what the next engine needs.

use std::time::Duration;

use super::launch::{PaneRef, new_instance};
use super::record::{Records, ServiceRecord};
use super::runner::{self, Connected};
use super::tmux::Pane;
use super::{Msg, Runtime, Supervisor, stop};
use crate::procfs::process::{self, INSTANCE_ENV, ProcId};
use crate::procfs::wait_status;
use crate::protocol::{NoticeLevel, ServiceState};

/// Looks at a pane, 1 ms apart, for the exit status tmux has not recorded yet, before the
/// 200 ms repoll takes over.
const EXIT_LOOKS: u32 = 3;
/// A live runner answers at once; one that does not is not a runner.
const RUNNER_PATIENCE: Duration = Duration::from_millis(300);

impl Supervisor {
    /// Take over services a previous engine started: the window marked with the service's
    /// name whose process is alive is the service; its PID and start time are kept.
    pub async fn adopt(&mut self) {
        let records = Records::load(&self.paths.records());
        let panes = match self.tmux.list_panes(&self.paths.tmux_session).await {
            Ok(panes) => panes,
            Err(e) => {
                self.hub.notice(
                    NoticeLevel::Error,
                    None,
                    format!("cannot list tmux windows: {e}"),
                );
                return;
            }
        };
        let names: Vec<String> = self.services.keys().cloned().collect();
        for name in &names {
            let record = records.services.get(name);
            let pane = panes
                .iter()
                .find(|p| p.service.as_deref() == Some(name.as_str()))
                .or_else(|| record.and_then(|r| panes.iter().find(|p| p.pane_id == r.pane_id)));
            let Some(pane) = pane else {
                continue;
            };
            let runner = match pane.dead {
                true => None,
                false => reach_runner(pane.pid).await,
            };
            let Some(rt) = self.services.get_mut(name) else {
                continue;
            };
            let main = runner.as_ref().map_or(pane.pid, |r| r.pid);
            adopt_one(rt, pane, main, record);
            if rt.status.state == ServiceState::Running {
                self.start_probes(name);
                self.start_triggers(name);
                match (runner, self.services[name.as_str()].root) {
                    (Some(runner), Some(root)) => {
                        if let Some(rt) = self.services.get_mut(name) {
                            rt.runner = Some(runner.link);
                        }
                        self.watch_runner(name, runner.reports, root);
                        self.arm(name);
                    }
                    _ => self.watch_exit(name),
                }
            }
            self.publish(name);
        }
        for pane in &panes {
            if let Some(service) = &pane.service
                && !self.services.contains_key(service)
            {
                self.hub.notice(
                    NoticeLevel::Warn,
                    None,
                    format!("window {} runs `{service}`, which is not in the workspace config; left alone", pane.window_id),
                );
            }
        }
        self.save_records();
    }

    /// Compare what we believe with tmux: exits, closed windows; refresh descendants.
    pub(super) async fn observe(&mut self) {
        let panes = match self.tmux.list_panes(&self.paths.tmux_session).await {
            Ok(panes) => panes,
            Err(e) => {
                tracing::warn!("cannot list tmux panes: {e}");
                return;
            }
        };
        let names: Vec<String> = self.services.keys().cloned().collect();
        let repolled = std::mem::take(&mut self.repoll);
        for name in &names {
            if self.observe_one(name, &panes, repolled) {
                self.repoll = true;
            }
        }
        self.track_descendants().await;
    }

    /// `root`, the main process of `name`, ended (its runner said so with the raw wait
    /// `status`, or a pidfd saw it): look at its pane alone (one round trip) when the status
    /// is not known, so a restart is not held up by listing every window.
    pub(super) async fn exited(
        &mut self,
        name: &str,
        root: process::ProcId,
        attempt: u32,
        status: Option<i32>,
    ) {
        let Some(rt) = self.services.get(name) else {
            return;
        };
        // A relaunch or adoption since the watch began has its own watch.
        if rt.root != Some(root) {
            return;
        }
        let Some(pane_id) = rt.pane.as_ref().map(|p| p.pane_id.clone()) else {
            return;
        };
        // Without a runner the engine usually wakes before tmux has reaped the process: its
        // status is in the zombie, and asking tmux would only delay the restart by a round
        // trip. A hang-up is what a closed window sends: tmux says whether that happened.
        let hangup = nix::sys::signal::Signal::SIGHUP as i32;
        if attempt == 0
            && !rt.busy
            && rt.status.state.is_active()
            && let Some((code, signal)) = status
                .map(wait_status)
                .or_else(|| process::zombie_exit(root.pid))
            && signal != Some(hangup)
        {
            self.ended(name, code, signal, "");
            return;
        }
        let panes: Vec<Pane> = match self.tmux.pane(&pane_id).await {
            Ok(pane) => pane.into_iter().collect(),
            Err(e) => {
                tracing::warn!("cannot look at {name}'s pane: {e}");
                self.repoll = true;
                return;
            }
        };
        if !self.observe_one(name, &panes, false) {
            return;
        }
        if attempt + 1 >= EXIT_LOOKS {
            self.repoll = true;
            return;
        }
        let (tx, name) = (self.tx.clone(), name.to_string());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let attempt = attempt + 1;
            let _ = tx.send(Msg::Exited {
                name,
                root,
                attempt,
                status: None,
            });
        });
    }

    /// Act on what `panes` says of one service. True when its pane is dead but its exit
    /// status unknown yet: look again soon. `repolled`: this look follows such a one; then
    /// an unknown status is accepted rather than waited for forever.
    fn observe_one(&mut self, name: &str, panes: &[Pane], repolled: bool) -> bool {
        let Some(rt) = self.services.get_mut(name) else {
            return false;
        };
        let Some(pane_ref) = rt.pane.clone() else {
            return false;
        };
        if rt.busy {
            return false;
        }
        let Some(pane) = panes.iter().find(|p| p.pane_id == pane_ref.pane_id) else {
            rt.pane = None;
            rt.status.window = None;
            if rt.status.state.is_active() {
                self.ended(name, None, None, "its window was closed");
            } else {
                self.publish(name);
            }
            return false;
        };
        // The pidfd watch may report the exit before tmux has seen the pty close; a runner
        // outlives its service's main process when it restarts it, and reports either way.
        let dead =
            pane.dead || (rt.runner.is_none() && rt.root.is_some_and(|r| !process::is_alive(r)));
        if !dead || !rt.status.state.is_active() {
            return false;
        }
        let (mut code, mut signal) = (pane.dead_status, pane.dead_signal);
        if code.is_none() && signal.is_none() {
            // tmux has not reaped the process yet (it can miss a SIGCHLD): read the status
            // from the zombie and nudge tmux to reap it.
            match process::zombie_exit(pane.pid) {
                Some(status) => {
                    (code, signal) = status;
                    self.tmux.nudge();
                }
                None if !repolled => return true,
                None => {}
            }
        }
        self.ended(name, code, signal, "");
        false
    }

    /// The service's main process ended on its own.
    fn ended(&mut self, name: &str, code: Option<i32>, signal: Option<i32>, why: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        rt.end_run();
        rt.root = None;
        rt.runner = None;
        rt.status.pid = None;
        rt.status.exit_code = code;
        rt.status.signal = signal.map(signal_name);
        let signal = rt.status.signal.clone();
        self.notice_end(name, code, signal.as_deref(), why);
        let reason = (!why.is_empty()).then(|| why.to_string());
        self.set_state(name, ServiceState::Exited, reason);
        self.heal(name);
    }

    /// Say how a service's main process ended (`why`: what else is known when there is no
    /// status, e.g. a closed window).
    pub(super) fn notice_end(
        &self,
        name: &str,
        code: Option<i32>,
        signal: Option<&str>,
        why: &str,
    ) {
        let how = match (code, signal) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(sig)) => format!("was killed by {sig}"),
            (None, None) if !why.is_empty() => format!("ended: {why}"),
            (None, None) => "ended".to_string(),
        };
        let level = if code == Some(0) {
            NoticeLevel::Info
        } else {
            NoticeLevel::Warn
        };
        self.hub.notice(level, Some(name), format!("{name} {how}"));
    }

    /// Remember the descendants of running services, so children that later leave the
    /// process group or lose their parent are still stopped with the service.
    async fn track_descendants(&mut self) {
        let targets: Vec<(String, stop::StopTarget)> = self
            .services
            .iter()
            .filter(|(_, rt)| rt.status.state == ServiceState::Running && !rt.busy)
            .map(|(name, rt)| (name.clone(), rt.stop_target()))
            .collect();
        if targets.is_empty() {
            return;
        }
        let Ok(tracked) = tokio::task::spawn_blocking(move || {
            targets
                .into_iter()
                .map(|(name, target)| (name, stop::track(&target)))
                .collect::<Vec<_>>()
        })
        .await
        else {
            return;
        };
        let mut changed = false;
        for (name, ids) in tracked {
            if let Some(rt) = self.services.get_mut(&name) {
                // Keep ids seen earlier that are still alive: a double fork leaves them
                // without a parent link.
                let mut merged: Vec<ProcId> = rt
                    .tracked
                    .iter()
                    .copied()
                    .filter(|id| process::is_alive(*id) && !ids.contains(id))
                    .collect();
                merged.extend(ids);
                if merged != rt.tracked {
                    rt.tracked = merged;
                    changed = true;
                }
            }
        }
        if changed {
            self.save_records();
        }
    }

    pub(super) fn save_records(&self) {
        let mut records = Records::default();
        for (name, rt) in &self.services {
            if let Some(pane) = &rt.pane {
                records.services.insert(
                    name.clone(),
                    ServiceRecord {
                        pane_id: pane.pane_id.clone(),
                        window_id: pane.window_id.clone(),
                        root: rt.root,
                        started_at: rt.status.started_at,
                        instance: rt.instance.clone(),
                        restarts: rt.status.restarts,
                        user_restarts: rt.status.user_restarts,
                        tracked: rt.tracked.clone(),
                    },
                );
            }
        }
        if let Err(e) = records.save(&self.paths.records()) {
            tracing::warn!("cannot save {}: {e}", self.paths.records().display());
        }
    }
}

/// The runner in a pane, when its process is one (panes started by an older uc run the
/// service directly).
async fn reach_runner(pane_pid: u32) -> Option<Connected> {
    let comm = std::fs::read_to_string(format!("/proc/{pane_pid}/comm")).ok()?;
    if comm.trim_end() != runner::PROGRAM {
        return None;
    }
    let instance = instance_of(pane_pid)?;
    runner::connect(&runner::socket_name(&instance), pane_pid, RUNNER_PATIENCE)
        .await
        .ok()
}

/// `main`: the service's main process, the pane's own or its runner's child.
fn adopt_one(rt: &mut Runtime, pane: &Pane, main: u32, record: Option<&ServiceRecord>) {
    rt.pane = Some(PaneRef {
        pane_id: pane.pane_id.clone(),
        window_id: pane.window_id.clone(),
    });
    rt.status.window = Some(pane.window_id.clone());
    rt.status.restarts = record.map_or(0, |r| r.restarts);
    rt.status.user_restarts = record.map_or(0, |r| r.user_restarts);
    rt.started_once = true;
    if pane.dead {
        rt.status.exit_code = pane.dead_status;
        rt.status.signal = pane.dead_signal.map(signal_name);
        rt.status.state = ServiceState::Exited;
        return;
    }
    let Some(stat) = process::read_stat(main) else {
        return;
    };
    let root = stat.identity();
    rt.root = Some(root);
    rt.status.pid = Some(root.pid);
    rt.status.state = ServiceState::Running;
    match record.filter(|r| r.root == Some(root)) {
        Some(r) => {
            rt.instance = r.instance.clone();
            rt.tracked = r
                .tracked
                .iter()
                .copied()
                .filter(|id| process::is_alive(*id))
                .collect();
            rt.status.started_at = r
                .started_at
                .or(Some(process::started_at_ms(stat.start_ticks)));
        }
        None => {
            rt.instance =
                instance_of(root.pid).unwrap_or_else(|| new_instance("adopted", &rt.spec.name));
            rt.status.started_at = Some(process::started_at_ms(stat.start_ticks));
        }
    }
}

/// `UC_INSTANCE` from a process's environment.
fn instance_of(pid: u32) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{INSTANCE_ENV}=");
    env.split(|b| *b == 0).find_map(|var| {
        let var = std::str::from_utf8(var).ok()?;
        var.strip_prefix(&prefix).map(str::to_string)
    })
}

/// `9` → `SIGKILL`.
pub fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}
