//! tmux supervisor: one window per service (Overmind's model), process trees, dependency
//! order, graceful stop, adoption of services a previous engine started.
//!
//! The [`Supervisor`] is an actor: one task owns all service state and reacts to messages
//! (commands, tmux/proc observations, results of the tasks it spawned). Slow work — tmux
//! calls, waiting for a process tree to die, health probes — runs in spawned tasks that
//! report back, so the actor never blocks.

mod adopt;
pub mod apply;
pub mod batch;
mod commands;
pub mod deps;
mod exit_watch;
mod launch;
mod probes;
mod quota;
mod record;
mod remote;
mod restarts;
pub mod runner;
mod schedule;
mod secret_env;
pub mod stop;
pub mod tmux;

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::config::{Service, Workspace};
use crate::heal::probe::ProbeReport;
use crate::heal::triggers::Fired;
use crate::paths::Paths;
use crate::procfs::ProcId;
use crate::protocol::{
    CommandError, CommandRequest, Event, Hub, Reply, ServiceState, ServiceStatus,
};
pub use record::Records;
use stop::StopOutcome;
pub use tmux::{Terminals, Tmux};

/// How often tmux and /proc are polled as a fallback. Exits are seen at once through a pidfd
/// per service, closed windows through tmux's `window-unlinked` hook (SIGUSR1).
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Why [`Supervisor::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// `Down`: every service is stopped; the engine should remove the tmux server.
    Down,
    /// `Shutdown` or the command channel closed: services keep running.
    Shutdown,
}

/// What the user last asked of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    Idle,
    Start,
    Stop,
}

/// The engine's view of one service.
struct Runtime {
    spec: Service,
    status: ServiceStatus,
    pane: Option<launch::PaneRef>,
    root: Option<ProcId>,
    instance: String,
    tracked: Vec<ProcId>,
    intent: Intent,
    /// A launch or stop task is in flight.
    busy: bool,
    restart_after_stop: bool,
    started_once: bool,
    /// The next start is the restart policy's, after an exit nobody asked for; otherwise
    /// someone asked for it. Counted apart: `restarts` and `user_restarts`.
    unplanned: bool,
    /// One task per probe (readiness, liveness).
    probe_tasks: Vec<AbortHandle>,
    /// When probe results were last published without a state change (latency refresh).
    probes_published: Option<std::time::Instant>,
    /// Waits for the main process to exit (reading its runner's reports).
    exit_task: Option<AbortHandle>,
    /// Orders to the runner in the service's pane.
    runner: Option<runner::Link>,
    /// Restart policy history (backoff, `max: N within T`).
    healing: crate::heal::restart::RestartState,
    /// A restart waiting out its backoff.
    restart_timer: Option<AbortHandle>,
    /// Backoff before the start that follows a stop (a failed liveness probe).
    restart_delay: Option<Duration>,
    /// Why the restart policy gave up while the service was being stopped.
    gave_up: Option<String>,
    /// `watch` and `cron_restart`: alive while the user wants the service up.
    lasting_triggers: Vec<AbortHandle>,
    /// `max_memory`: watches one run's process tree.
    run_trigger: Option<AbortHandle>,
    /// The applied config no longer has it: it goes once stopped.
    removed: bool,
    /// Why it is being stopped when nobody asked (a quota): its state's reason once down.
    stopped_for: Option<String>,
}

impl Runtime {
    fn new(spec: Service) -> Self {
        let mut status = ServiceStatus::new(spec.name.clone());
        status.tags = spec.tags.clone();
        status.ports = spec.ports.clone();
        status.depends_on = spec.depends_on.iter().map(|d| d.service.clone()).collect();
        Self {
            spec,
            status,
            pane: None,
            root: None,
            instance: String::new(),
            tracked: Vec::new(),
            intent: Intent::Idle,
            busy: false,
            restart_after_stop: false,
            started_once: false,
            unplanned: false,
            probe_tasks: Vec::new(),
            probes_published: None,
            exit_task: None,
            runner: None,
            healing: Default::default(),
            restart_timer: None,
            restart_delay: None,
            gave_up: None,
            lasting_triggers: Vec::new(),
            run_trigger: None,
            removed: false,
            stopped_for: None,
        }
    }

    fn cancel_restart(&mut self) {
        if let Some(timer) = self.restart_timer.take() {
            timer.abort();
        }
        self.status.restart_at = None;
        self.restart_delay = None;
    }

    fn stop_target(&self) -> stop::StopTarget {
        stop::StopTarget {
            root: self.root,
            tracked: self.tracked.clone(),
            instance: self.instance.clone(),
        }
    }

    /// The process is gone: what watched it goes too.
    fn end_run(&mut self) {
        self.stop_probes();
        if let Some(task) = self.run_trigger.take() {
            task.abort();
        }
    }

    /// The user does not want the service up any more.
    fn stop_triggers(&mut self) {
        for task in self.lasting_triggers.drain(..) {
            task.abort();
        }
    }

    /// `task` now waits for the main process to end, in place of any earlier one.
    fn watch_with(&mut self, task: tokio::task::JoinHandle<()>) {
        if let Some(earlier) = self.exit_task.replace(task.abort_handle()) {
            earlier.abort();
        }
    }

    fn stop_probes(&mut self) {
        for task in self.probe_tasks.drain(..) {
            task.abort();
        }
        self.status.health = None;
        self.status.probes.clear();
    }
}

/// Messages from spawned tasks back to the actor.
enum Msg {
    Launched {
        name: String,
        result: Result<launch::Launched, launch::LaunchError>,
    },
    Stopped {
        name: String,
        outcome: StopOutcome,
    },
    /// A service's main process exited; `attempt` counts looks that found tmux had not
    /// recorded the exit yet. `status`: the raw wait status, when the runner reported it.
    Exited {
        name: String,
        root: ProcId,
        attempt: u32,
        status: Option<i32>,
    },
    /// The runner restarted the service by itself: `old` ended with `status` after `uptime`.
    Restarted {
        name: String,
        old: ProcId,
        new: ProcId,
        status: i32,
        uptime: Duration,
    },
    /// A service's restart backoff is over.
    RestartDue {
        name: String,
    },
    /// What another workspace's engine said of its services (one a service here waits on).
    Remote {
        workspace: String,
        view: remote::View,
    },
    /// Services of other workspaces that depend on ours, by the name of ours.
    Dependents(std::collections::BTreeMap<String, Vec<crate::protocol::Dependent>>),
}

pub struct Supervisor {
    ws: Workspace,
    paths: Paths,
    tmux: Tmux,
    hub: Hub,
    /// The `uc` binary every service is started through (as `uc runner`).
    runner: Result<PathBuf, std::sync::Arc<runner::NoRunner>>,
    services: IndexMap<String, Runtime>,
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    probe_tx: mpsc::UnboundedSender<ProbeReport>,
    probe_rx: mpsc::UnboundedReceiver<ProbeReport>,
    trigger_tx: mpsc::UnboundedSender<Fired>,
    trigger_rx: mpsc::UnboundedReceiver<Fired>,
    apply_tx: mpsc::UnboundedSender<apply::ApplyRequest>,
    apply_rx: mpsc::UnboundedReceiver<apply::ApplyRequest>,
    /// Answer for a pending `Down`, sent once every service has stopped.
    down: Option<oneshot::Sender<Result<Reply, CommandError>>>,
    /// A pane died but tmux had not yet recorded its exit status: look again soon.
    repoll: bool,
    /// A status changed since services.json was last written.
    unsaved: bool,
    /// Other workspaces' services: those waited on, those depending on ours.
    remote: remote::Remote,
    /// The quotas the watcher and the API read, replaced with the workspace's.
    quota_limits: crate::quota::Limits,
}

impl Supervisor {
    pub fn new(ws: Workspace, paths: Paths, tmux: Tmux, hub: Hub) -> Self {
        let services = ws
            .services
            .iter()
            .map(|s| (s.name.clone(), Runtime::new(s.clone())))
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let (probe_tx, probe_rx) = mpsc::unbounded_channel();
        let (trigger_tx, trigger_rx) = mpsc::unbounded_channel();
        let (apply_tx, apply_rx) = mpsc::unbounded_channel();
        let tmux = tmux.with_control(&paths.tmux_session);
        let runner = runner::program().map_err(std::sync::Arc::new);
        Self {
            ws,
            paths,
            tmux,
            hub,
            runner,
            services,
            tx,
            rx,
            probe_tx,
            probe_rx,
            trigger_tx,
            trigger_rx,
            apply_tx,
            apply_rx,
            down: None,
            repoll: false,
            unsaved: false,
            remote: remote::Remote::new(),
            quota_limits: Default::default(),
        }
    }

    /// The live terminals on the services' windows, sending keys through this supervisor's
    /// tmux client.
    pub fn terminals(&self) -> Terminals {
        Terminals::new(self.tmux.clone(), &self.paths)
    }

    /// Where new workspace definitions are sent (environment switch, reload, revert).
    pub fn applier(&self) -> mpsc::UnboundedSender<apply::ApplyRequest> {
        self.apply_tx.clone()
    }

    /// The quotas in force, for the quota watcher and the API; kept as configs apply.
    pub fn quota_limits(&mut self) -> crate::quota::Limits {
        self.quota_limits = crate::quota::Limits::new(self.ws.quotas.clone());
        self.quota_limits.clone()
    }

    /// Where the quota watcher names a service to stop for the memory quota.
    pub fn quota_stops(&self) -> mpsc::UnboundedSender<Fired> {
        self.trigger_tx.clone()
    }

    /// The statuses as they are now, for the engine's first snapshot.
    pub fn statuses(&self) -> Vec<ServiceStatus> {
        self.services.values().map(|r| r.status.clone()).collect()
    }

    /// Serve commands until `Down` completes, `Shutdown` arrives or `commands` closes.
    /// `wake` fires when tmux reports a closed window (SIGUSR1 from the engine's hook).
    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<CommandRequest>,
        mut wake: mpsc::Receiver<()>,
    ) -> Exit {
        self.remote
            .start(&self.paths, &self.ws.name, self.tx.clone());
        let mut poll = tokio::time::interval(POLL_INTERVAL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let repoll = tokio::time::sleep(Duration::from_millis(200));
            tokio::select! {
                request = commands.recv() => {
                    let Some((command, reply)) = request else { return Exit::Shutdown };
                    if let Some(exit) = self.on_command(command, reply) {
                        return exit;
                    }
                }
                Some(msg) = self.rx.recv() => self.on_msg(msg).await,
                Some(report) = self.probe_rx.recv() => self.on_probe(report),
                Some(fired) = self.trigger_rx.recv() => self.on_trigger(fired),
                Some(request) = self.apply_rx.recv() => {
                    let applied = self.apply(request.workspace);
                    let _ = request.reply.send(applied);
                }
                Some(()) = wake.recv() => self.observe().await,
                _ = poll.tick() => self.observe().await,
                _ = repoll, if self.repoll => self.observe().await,
            }
            self.schedule();
            // Once a turn, after launches are under way: not on a restart's path.
            if std::mem::take(&mut self.unsaved) {
                self.save_records();
            }
            if self.down.is_some() && self.services.values().all(|r| !r.status.state.is_active()) {
                if let Some(reply) = self.down.take() {
                    let _ = reply.send(Ok(Reply {
                        message: "all services stopped; removing the workspace's tmux server"
                            .into(),
                        services: Vec::new(),
                        seq: self.hub.seq(),
                    }));
                }
                return Exit::Down;
            }
        }
    }

    async fn on_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Launched { name, result } => self.on_launched(&name, result),
            Msg::Stopped { name, outcome } => self.on_stopped(&name, outcome),
            Msg::Exited {
                name,
                root,
                attempt,
                status,
            } => self.exited(&name, root, attempt, status).await,
            Msg::Restarted {
                name,
                old,
                new,
                status,
                uptime,
            } => self.runner_restarted(&name, old, new, status, uptime),
            Msg::RestartDue { name } => self.restart_due(&name),
            Msg::Remote { workspace, view } => self.remote.heard(workspace, view),
            Msg::Dependents(found) => self.needed_by(found),
        }
    }

    /// Watch the main process of a service without a runner (none next to uc, or a pane an
    /// older uc started), so its exit is handled the moment it happens.
    fn watch_exit(&mut self, name: &str) {
        let tx = self.tx.clone();
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        let Some(root) = rt.root else {
            return;
        };
        let name = name.to_string();
        rt.watch_with(tokio::spawn(async move {
            let _ = exit_watch::exited(root.pid).await;
            let _ = tx.send(Msg::Exited {
                name,
                root,
                attempt: 0,
                status: None,
            });
        }));
    }

    /// Publish a service's status; what adoption needs is persisted at the end of the turn.
    fn publish(&mut self, name: &str) {
        if let Some(rt) = self.services.get(name) {
            self.hub.publish(Event::Service(rt.status.clone()));
        }
        self.unsaved = true;
    }

    fn set_state(&mut self, name: &str, state: ServiceState, reason: Option<String>) {
        // A launch error may quote a value (a working directory): never a secret's.
        let reason = reason.map(|r| self.ws.secrets.redact(&r).into_owned());
        if let Some(rt) = self.services.get_mut(name) {
            if rt.status.state == state && rt.status.reason == reason {
                return;
            }
            rt.status.state = state;
            rt.status.reason = reason;
            self.publish(name);
        }
    }
}
