//! `uc runner SOCKET PROGRAM [ARG...]`: the process in a service's tmux pane. It runs the
//! service as its child and, when the engine has armed it, starts it again the moment it
//! ends: a restart then costs one fork and exec instead of a round trip through tmux. The
//! engine talks to it over an abstract Unix socket (`SOCKET`); without an engine it keeps
//! the service running and, once unarmed, ends with the service's own exit status so tmux
//! shows it as before.
//!
//! One runs per service for as long as the service is up, so `main.rs` dispatches here
//! before anything else: no async runtime, no argument parser, no engine code but the
//! message format. It names itself `uc-runner` (`/proc/PID/comm`), which is how an engine
//! adopting a pane tells a runner from a service.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::PROGRAM;
use super::protocol::{Order, Report};
use crate::heal::restart::Arm;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{Pid, PidfdFlags, getuid, pidfd_open};

/// How long an exit is held for an engine that has not connected yet (a service that ends
/// at once): past it the runner ends and tmux keeps the status.
const LINGER: Duration = Duration::from_secs(10);
/// The exit code of a program that cannot be started, as shells have it.
const NOT_FOUND: i32 = 127;

/// `args`: what follows `uc runner`.
pub fn main(mut args: impl Iterator<Item = std::ffi::OsString>) -> ExitCode {
    let (Some(socket), Some(program)) = (args.next(), args.next()) else {
        eprintln!("usage: uc runner SOCKET PROGRAM [ARG...]");
        return ExitCode::from(2);
    };
    if let Ok(name) = std::ffi::CString::new(PROGRAM) {
        let _ = rustix::thread::set_name(&name);
    }
    let mut command = Command::new(program);
    command.args(args);
    let status = Runner::start(socket.as_encoded_bytes(), command).and_then(Runner::run);
    match status {
        Ok(status) => mirror(status),
        Err(e) => {
            eprintln!("uc-runner: {e}");
            ExitCode::from(127)
        }
    }
}

struct Runner {
    command: Command,
    listener: UnixListener,
    engine: Option<UnixStream>,
    ever_connected: bool,
    service: Option<Service>,
    /// How the service ended, kept for an engine that has not connected yet.
    held: Option<(ExitStatus, Instant)>,
    arm: Option<Arm>,
    /// Set by any signal a service may be stopped with (TERM, INT, QUIT, USR1, USR2), which
    /// reaches the runner too as the leader of the service's group: whoever stops the service
    /// does not want it back, even before the engine has said so. A hang-up (the window
    /// closed) ends the runner at once, and the kernel then hangs up the service too.
    stopping: Arc<AtomicBool>,
    inbox: Vec<u8>,
}

/// The service's current process.
struct Service {
    child: Child,
    exited: OwnedFd,
    started: Instant,
}

impl Runner {
    fn start(socket: &[u8], command: Command) -> io::Result<Self> {
        let listener = UnixListener::bind_addr(&SocketAddr::from_abstract_name(socket)?)?;
        listener.set_nonblocking(true)?;
        let stopping = Arc::new(AtomicBool::new(false));
        for signal in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGQUIT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGUSR1,
            signal_hook::consts::SIGUSR2,
        ] {
            signal_hook::flag::register(signal, Arc::clone(&stopping))?;
        }
        let mut runner = Self {
            command,
            listener,
            engine: None,
            ever_connected: false,
            service: None,
            held: None,
            arm: None,
            stopping,
            inbox: Vec::new(),
        };
        match runner.spawn() {
            Ok(service) => runner.service = Some(service),
            Err(status) => runner.held = Some((status, Instant::now())),
        }
        Ok(runner)
    }

    /// Serve until the service ends for good; returns how it ended.
    fn run(mut self) -> io::Result<ExitStatus> {
        loop {
            let linger = self.held.map(|(_, at)| LINGER.saturating_sub(at.elapsed()));
            if let (Some((status, _)), Some(Duration::ZERO)) = (self.held, linger) {
                return Ok(status);
            }
            let ready = self.wait(linger)?;
            if self.stopping.swap(false, Ordering::SeqCst) {
                self.arm = None;
            }
            if ready.listener {
                self.accept();
                if let Some((status, _)) = self.held {
                    self.report(Report::Exited {
                        status: status.into_raw(),
                    });
                    return Ok(status);
                }
            }
            // Orders first: a disarm written before a kill must win over the exit it caused.
            if ready.engine {
                self.read_orders();
            }
            if let (true, Some(service)) = (ready.service, self.service.as_mut()) {
                let status = service.child.wait()?;
                let uptime = service.started.elapsed();
                self.service = None;
                if self.restart(status, uptime) {
                    continue;
                }
                if self.ever_connected {
                    self.report(Report::Exited {
                        status: status.into_raw(),
                    });
                    return Ok(status);
                }
                self.held = Some((status, Instant::now()));
            }
        }
    }

    /// Start the service again if the engine armed us for this exit.
    fn restart(&mut self, status: ExitStatus, uptime: Duration) -> bool {
        let uptime_ms = u64::try_from(uptime.as_millis()).unwrap_or(u64::MAX);
        if !self
            .arm
            .is_some_and(|a| a.covers(status.into_raw(), uptime_ms))
        {
            return false;
        }
        let Ok(service) = self.spawn() else {
            return false;
        };
        self.arm = None;
        self.report(Report::Restarted {
            status: status.into_raw(),
            uptime_ms,
            pid: service.child.id(),
        });
        self.service = Some(service);
        true
    }

    /// Start the service; a program that cannot be started ends like a shell's "not found".
    fn spawn(&mut self) -> Result<Service, ExitStatus> {
        let started = Instant::now();
        let spawned = self.command.spawn().and_then(|child| {
            let exited = pidfd_open(Pid::from_child(&child), PidfdFlags::empty())?;
            Ok(Service {
                child,
                exited,
                started,
            })
        });
        spawned.map_err(|e| {
            let program = self.command.get_program().to_string_lossy();
            eprintln!("uc-runner: cannot start {program}: {e}");
            ExitStatus::from_raw(NOT_FOUND << 8)
        })
    }

    fn wait(&self, timeout: Option<Duration>) -> io::Result<Ready> {
        let mut fds = vec![PollFd::new(&self.listener, PollFlags::IN)];
        if let Some(engine) = &self.engine {
            fds.push(PollFd::new(engine, PollFlags::IN));
        }
        if let Some(service) = &self.service {
            fds.push(PollFd::new(&service.exited, PollFlags::IN));
        }
        let timeout = timeout.map(|t| Timespec {
            tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(t.subsec_nanos()),
        });
        match poll(&mut fds, timeout.as_ref()) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => return Ok(Ready::default()),
            Err(e) => return Err(e.into()),
        }
        let hit = |i: usize| fds.get(i).is_some_and(|fd| !fd.revents().is_empty());
        let service_at = if self.engine.is_some() { 2 } else { 1 };
        Ok(Ready {
            listener: hit(0),
            engine: self.engine.is_some() && hit(1),
            service: self.service.is_some() && hit(service_at),
        })
    }

    /// A new engine connection replaces the old one (an engine restarted and adopted us).
    fn accept(&mut self) {
        let Ok((stream, _)) = self.listener.accept() else {
            return;
        };
        let same_user =
            rustix::net::sockopt::socket_peercred(&stream).is_ok_and(|cred| cred.uid == getuid());
        if !same_user || stream.set_nonblocking(true).is_err() {
            return;
        }
        // The old engine's last orders may still be unread (the same poll saw both sockets):
        // an arm sent just before it went away holds until the new engine says otherwise.
        self.read_orders();
        self.engine = Some(stream);
        self.inbox.clear();
        self.ever_connected = true;
        let pid = self.service.as_ref().map_or(0, |s| s.child.id());
        self.report(Report::Running { pid });
    }

    fn read_orders(&mut self) {
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        let mut buf = [0u8; 512];
        // Orders sent just before the engine went away still count.
        let gone = loop {
            match engine.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => self.inbox.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break true,
            }
        };
        if gone {
            self.engine = None;
        }
        while let Some(end) = self.inbox.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.inbox.drain(..=end).collect();
            let order = Order::parse(&String::from_utf8_lossy(&line)).unwrap_or(Order::Disarm);
            self.arm = match order {
                Order::Arm(arm) => Some(arm),
                Order::Disarm => None,
            };
            self.report(Report::Heard(order));
        }
    }

    fn report(&mut self, report: Report) {
        let sent = self
            .engine
            .as_mut()
            .map(|engine| engine.write_all(report.line().as_bytes()));
        if matches!(sent, Some(Err(_))) {
            self.engine = None;
        }
    }
}

#[derive(Default)]
struct Ready {
    listener: bool,
    engine: bool,
    service: bool,
}

/// End the way the service ended, so tmux (and a later engine) read its status off the pane.
fn mirror(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let signal = status.signal().unwrap_or(0);
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
}
