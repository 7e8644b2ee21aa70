//! The runner in each service's pane (`uc runner`, `serve`) and the engine's side of it:
//! finding its program, connecting to it, reading what it reports, and arming it for the
//! restarts the policy would do at once, so those skip the round trip through the engine
//! and tmux.

pub mod protocol;
pub mod serve;

use std::io::{self, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};

use super::{Msg, Supervisor};
use crate::procfs::process::{self, ProcId};
use protocol::{Order, Report};

/// What a runner calls itself (`/proc/PID/comm`), whichever binary it was started from.
pub const PROGRAM: &str = "uc-runner";

/// `uc`'s subcommand that runs a service (dispatched in `main.rs`, ahead of everything).
pub const SUBCOMMAND: &str = "runner";

/// Why there is no `uc` binary to run services through.
#[derive(Debug, thiserror::Error)]
pub enum NoRunner {
    #[error("cannot find the uc binary: {0}")]
    CurrentExe(io::Error),
    #[error("no uc binary next to {} to run services", .0.display())]
    NotBeside(PathBuf),
}

/// The `uc` binary, which is also the runner: the running executable when it is `uc`;
/// from a test binary (in `target/*/deps`), the `uc` cargo built next to it or a level up.
pub fn program() -> Result<PathBuf, NoRunner> {
    let exe = std::env::current_exe().map_err(NoRunner::CurrentExe)?;
    if exe.file_name().is_some_and(|n| n == "uc") {
        return Ok(exe);
    }
    let dir = exe.parent().unwrap_or(&exe);
    [Some(dir), dir.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join("uc"))
        .find(|p| p.is_file())
        .ok_or_else(|| NoRunner::NotBeside(exe.clone()))
}

/// The start of a service's pane command: `uc runner SOCKET`, then the service's argv.
pub fn argv(program: &std::path::Path, socket: &str) -> Vec<String> {
    vec![
        program.to_string_lossy().into_owned(),
        SUBCOMMAND.into(),
        socket.into(),
    ]
}

/// The abstract socket a run's runner listens on: derived from the run's instance, so an
/// engine that restarts finds it again. Hashed to fit the 107 bytes an address may take.
pub fn socket_name(instance: &str) -> String {
    let digest = Sha256::digest(instance.as_bytes());
    format!("{PROGRAM}/{}", hex::encode(&digest[..12]))
}

/// Where orders to a runner go. Writes never wait: orders are a few bytes, read at once.
pub struct Link {
    stream: UnixStream,
}

impl Link {
    pub fn send(&self, order: Order) {
        if let Err(e) = (&self.stream).write_all(order.line().as_bytes()) {
            tracing::debug!("order to a runner not sent: {e}");
        }
    }
}

/// What a runner reports, as it comes.
pub struct Reports {
    lines: Lines<BufReader<tokio::net::UnixStream>>,
}

impl Reports {
    /// `None` once the runner is gone.
    pub async fn next(&mut self) -> Option<Report> {
        while let Ok(Some(line)) = self.lines.next_line().await {
            if let Some(report) = Report::parse(&line) {
                return Some(report);
            }
        }
        None
    }
}

/// A runner that answered: how to reach it, and the service's main process it runs.
pub struct Connected {
    pub link: Link,
    pub reports: Reports,
    pub pid: u32,
}

/// Connect to the runner listening on `name`, the process `runner_pid`, waiting up to
/// `patience` for a runner that is still starting to listen.
pub async fn connect(name: &str, runner_pid: u32, patience: Duration) -> io::Result<Connected> {
    let address = SocketAddr::from_abstract_name(name.as_bytes())?;
    let deadline = Instant::now() + patience;
    let stream = loop {
        match UnixStream::connect_addr(&address) {
            Ok(stream) => break stream,
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    };
    check_peer(&stream, runner_pid)?;
    stream.set_nonblocking(true)?;
    let reader = tokio::net::UnixStream::from_std(stream.try_clone()?)?;
    let mut reports = Reports {
        lines: BufReader::new(reader).lines(),
    };
    let remaining = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(remaining.max(patience / 4), reports.next()).await {
        Ok(Some(Report::Running { pid })) => Ok(Connected {
            link: Link { stream },
            reports,
            pid,
        }),
        _ => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the service's runner did not answer",
        )),
    }
}

/// Abstract socket names are open to anyone: only the process we started (our user, the
/// pane's own PID) may tell the engine which processes to watch and signal.
fn check_peer(stream: &UnixStream, runner_pid: u32) -> io::Result<()> {
    let cred = rustix::net::sockopt::socket_peercred(stream)?;
    let expected = rustix::process::Pid::from_raw(i32::try_from(runner_pid).unwrap_or(0));
    if cred.uid == rustix::process::getuid() && Some(cred.pid) == expected {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "the runner's socket is held by process {} (uid {}), not by the pane's process \
             {runner_pid}",
            cred.pid.as_raw_nonzero(),
            cred.uid.as_raw(),
        ),
    ))
}

fn proc_id(pid: u32) -> ProcId {
    ProcId {
        pid,
        start_ticks: process::read_stat(pid).map_or(0, |s| s.start_ticks),
    }
}

impl Supervisor {
    /// Follow a service through its runner's reports, from its main process `root` on.
    pub(super) fn watch_runner(&mut self, name: &str, mut reports: Reports, root: ProcId) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        let (tx, name) = (self.tx.clone(), name.to_string());
        rt.watch_with(tokio::spawn(async move {
            let mut root = root;
            // `None`: the runner is gone without a word; tmux knows how the pane ended.
            let mut ended = None;
            while let Some(report) = reports.next().await {
                match report {
                    Report::Running { .. } | Report::Heard(_) => {}
                    Report::Exited { status } => {
                        ended = Some(status);
                        break;
                    }
                    Report::Restarted {
                        status,
                        uptime_ms,
                        pid,
                    } => {
                        let new = proc_id(pid);
                        let _ = tx.send(Msg::Restarted {
                            name: name.clone(),
                            old: root,
                            new,
                            status,
                            uptime: Duration::from_millis(uptime_ms),
                        });
                        root = new;
                    }
                }
            }
            let _ = tx.send(Msg::Exited {
                name,
                root,
                attempt: 0,
                status: ended,
            });
        }));
    }

    /// Let the runner restart the service by itself for the exits the policy would restart
    /// at once; otherwise the next exit comes to the engine.
    pub(super) fn arm(&mut self, name: &str) {
        let Some(rt) = self.services.get_mut(name) else {
            return;
        };
        let order = match rt.healing.immediate(&rt.spec.restart, Instant::now()) {
            Some(arm) => Order::Arm(arm),
            None => Order::Disarm,
        };
        if let Some(link) = &rt.runner {
            link.send(order);
        }
    }
}
