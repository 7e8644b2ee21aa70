//! Shared fixtures: private tmux servers that are always killed, temp workspaces, a
//! supervisor harness, and polling helpers.
#![allow(dead_code)]

pub mod browser;
pub mod cli;
pub mod deploy;
pub mod disk;
pub mod doctor;
pub mod http;
pub mod projects;
pub mod receivers;
pub mod serve;
pub mod tui;
pub mod users;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use univers_container::config::{Check, Probe, Service, Stop, Workspace};
use univers_container::paths::Paths;
use univers_container::protocol::CommandRequest;
use univers_container::protocol::{
    Command, CommandError, EngineInfo, Hub, Reply, ServiceStatus, Snapshot,
};
use univers_container::supervisor::{Exit, Supervisor, Tmux};

/// A runtime for receivers that answer while the test body blocks on the `uc` binary.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A unique name per test and process, usable as tmux socket and workspace name.
pub fn unique(tag: &str) -> String {
    format!(
        "uct-{}-{}-{}",
        tag,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A private tmux server (`tmux -L <socket>`), killed when dropped, even if the test failed.
pub struct TmuxServer {
    pub socket: String,
}

impl TmuxServer {
    pub fn new(tag: &str) -> Self {
        Self {
            socket: unique(tag),
        }
    }

    /// Run a tmux command against this server and return stdout.
    pub fn tmux(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
        let dir =
            std::env::var_os("TMUX_TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        let uid = nix::unistd::getuid();
        let _ = std::fs::remove_file(dir.join(format!("tmux-{uid}")).join(&self.socket));
    }
}

pub fn service(name: &str, command: &str, cwd: &Path) -> Service {
    Service {
        name: name.into(),
        command: command.into(),
        cwd: cwd.to_path_buf(),
        env: Default::default(),
        secret_env: Default::default(),
        depends_on: Vec::new(),
        tags: Vec::new(),
        stop: Stop::default(),
        restart: Default::default(),
        readiness: None,
        liveness: None,
        triggers: Default::default(),
        deploy: None,
        ports: Vec::new(),
    }
}

/// A probe every 100 ms that fails on the first failed run.
pub fn exec_check(command: &str) -> Check {
    Check {
        probe: Probe::Exec(command.into()),
        initial_delay: Duration::ZERO,
        interval: Duration::from_millis(100),
        timeout: Duration::from_secs(2),
        success_threshold: 1,
        failure_threshold: 1,
        start_period: Duration::ZERO,
    }
}

pub fn workspace(name: &str, dir: &Path, services: Vec<Service>) -> Workspace {
    Workspace {
        name: name.into(),
        file: None,
        dir: dir.to_path_buf(),
        theme: None,
        environment: None,
        environments: Vec::new(),
        services,
        metrics: Default::default(),
        alerts: Default::default(),
        logs: Default::default(),
        webhooks: Default::default(),
        access: Default::default(),
        quotas: Default::default(),
        assistant: Default::default(),
        secrets: Default::default(),
    }
}

/// A supervisor on its own tmux server and state dir, driven through its channels.
pub struct Harness {
    pub hub: Hub,
    pub commands: mpsc::Sender<CommandRequest>,
    pub task: tokio::task::JoinHandle<Exit>,
    pub wake: mpsc::Sender<()>,
    /// Where new workspace definitions go (what an environment switch sends).
    pub applier: mpsc::UnboundedSender<univers_container::supervisor::apply::ApplyRequest>,
    /// The definition the supervisor started with.
    pub workspace: Workspace,
    pub paths: Paths,
    pub tmux: Tmux,
    pub dir: PathBuf,
    pub server: TmuxServer,
    _state: tempfile::TempDir,
}

impl Harness {
    /// `build` gets the work dir (for cwd and marker files) and returns the services.
    pub async fn start(build: impl FnOnce(&Path) -> Vec<Service>) -> Self {
        let state = tempfile::tempdir().expect("tempdir");
        let dir = state.path().join("work");
        std::fs::create_dir_all(&dir).expect("work dir");
        let server = TmuxServer::new("sup");
        let ws = workspace(&server.socket, &dir, build(&dir));
        let paths = Paths::new(&state.path().join("state"), &ws.name, server.socket.clone());
        std::fs::create_dir_all(&paths.dir).expect("state dir");
        let tmux = Tmux::new(server.socket.clone());
        let hub = Hub::new(empty_snapshot(&ws.name));
        let mut supervisor = Supervisor::new(ws.clone(), paths.clone(), tmux.clone(), hub.clone());
        for status in supervisor.statuses() {
            hub.publish(univers_container::protocol::Event::Service(status));
        }
        supervisor.adopt().await;
        let applier = supervisor.applier();
        let (commands, command_rx) = mpsc::channel(16);
        // The engine forwards tmux's window-unlinked hook here; these tests close no window.
        let (wake, wake_rx) = mpsc::channel(1);
        let task = tokio::spawn(supervisor.run(command_rx, wake_rx));
        Self {
            hub,
            commands,
            task,
            wake,
            applier,
            workspace: ws,
            paths,
            tmux,
            dir,
            server,
            _state: state,
        }
    }

    pub async fn cmd(&self, command: Command) -> Result<Reply, CommandError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send((command, tx))
            .await
            .expect("supervisor alive");
        rx.await.expect("answer")
    }

    pub async fn start_services(&self, names: &[&str]) -> Reply {
        self.cmd(Command::Start {
            services: names.iter().map(|s| s.to_string()).collect(),
            tags: vec![],
        })
        .await
        .expect("start accepted")
    }

    pub async fn stop_services(&self, names: &[&str]) -> Reply {
        self.cmd(Command::Stop {
            services: names.iter().map(|s| s.to_string()).collect(),
        })
        .await
        .expect("stop accepted")
    }

    /// Hand the supervisor a new definition, as the configuration center does.
    pub async fn apply(
        &self,
        workspace: Workspace,
    ) -> univers_container::supervisor::apply::Applied {
        let (reply, rx) = oneshot::channel();
        let request = univers_container::supervisor::apply::ApplyRequest { workspace, reply };
        self.applier.send(request).expect("supervisor alive");
        rx.await.expect("applied")
    }

    pub fn status(&self, name: &str) -> ServiceStatus {
        self.hub
            .snapshot()
            .service(name)
            .cloned()
            .expect("service exists")
    }

    /// Wait until `pred` holds for the service, or panic with its last status.
    pub async fn wait(
        &self,
        name: &str,
        timeout: Duration,
        pred: impl Fn(&ServiceStatus) -> bool,
    ) -> ServiceStatus {
        let start = Instant::now();
        loop {
            let status = self.status(name);
            if pred(&status) {
                return status;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting on {name}: {status:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn empty_snapshot(workspace: &str) -> Snapshot {
    Snapshot {
        workspace: workspace.into(),
        environment: None,
        config_file: None,
        engine: EngineInfo {
            pid: std::process::id(),
            started_at: 0,
            version: "test".into(),
            tmux_socket: String::new(),
            tmux_session: String::new(),
        },
        services: vec![],
        metrics: None,
        alerts: Vec::new(),
        silences: Vec::new(),
        alerting: Default::default(),
        config: Default::default(),
        storage: Default::default(),
        deploys: Vec::new(),
        quota: Default::default(),
        seq: 0,
    }
}

/// The process exists and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rfind(')').and_then(|i| s[i + 2..].chars().next());
            !matches!(state, Some('Z') | Some('X') | None)
        })
        .unwrap_or(false)
}

/// Poll `pred` until it holds or `timeout` passes.
pub fn eventually(timeout: Duration, mut pred: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if pred() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    pred()
}

/// Read a PID a test service wrote to a file.
pub fn read_pid(path: &Path, timeout: Duration) -> u32 {
    let mut pid = None;
    eventually(timeout, || {
        pid = std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        pid.is_some()
    });
    pid.unwrap_or_else(|| panic!("no pid in {}", path.display()))
}
