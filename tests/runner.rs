//! The runner in each service's pane (`uc runner`), driven over its socket like the engine
//! does: restarts only when armed and only for the exits it was armed for, a stop signal
//! disarms it, orders survive a change of engine, and it ends the way its service ended.

use std::io::{BufRead, BufReader, Write};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixStream};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

const T: Duration = Duration::from_secs(5);

struct Runner {
    process: Child,
    name: String,
}

impl Runner {
    fn start(test: &str, script: &str) -> Self {
        let name = format!("uc-runner-test/{test}/{}", std::process::id());
        let process = Command::new(env!("CARGO_BIN_EXE_uc"))
            .args(["runner", &name, "/bin/sh", "-c", script])
            .process_group(0)
            .spawn()
            .expect("spawn uc-runner");
        Self { process, name }
    }

    fn connect(&self) -> Engine {
        let address = SocketAddr::from_abstract_name(self.name.as_bytes()).expect("address");
        let deadline = Instant::now() + T;
        let stream = loop {
            match UnixStream::connect_addr(&address) {
                Ok(stream) => break stream,
                Err(e) if Instant::now() > deadline => panic!("runner never listened: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        stream.set_read_timeout(Some(T)).expect("timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Engine { stream, reader }
    }

    /// Wait until the service has run (it touched `started`) and the runner reaped it.
    fn until_reaped(&self, started: &std::path::Path) {
        let children = format!("/proc/{0}/task/{0}/children", self.process.id());
        let deadline = Instant::now() + T;
        while !started.exists() || !std::fs::read_to_string(&children).is_ok_and(|c| c.is_empty()) {
            assert!(Instant::now() < deadline, "the service never ended");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn wait(mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + T;
        loop {
            if let Some(status) = self.process.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the runner did not end");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = killpg(Pid::from_raw(self.process.id() as i32), Signal::SIGKILL);
        let _ = self.process.wait();
    }
}

struct Engine {
    stream: UnixStream,
    reader: BufReader<UnixStream>,
}

impl Engine {
    fn say(&mut self, line: &str) {
        self.stream.write_all(line.as_bytes()).expect("write");
    }

    /// Send an order and wait until the runner says it is in force.
    fn order(&mut self, line: &str) {
        self.say(line);
        assert_eq!(self.hear().join(" "), format!("heard {}", line.trim_end()));
    }

    fn hear(&mut self) -> Vec<String> {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a report");
        line.split_whitespace().map(str::to_string).collect()
    }

    /// The pid in a `running PID` or `restarted STATUS UPTIME PID` report.
    fn pid_in(words: &[String]) -> i32 {
        words.last().and_then(|w| w.parse().ok()).expect("a pid")
    }
}

#[test]
fn an_armed_runner_restarts_at_once_then_waits_to_be_armed_again() {
    let runner = Runner::start("armed", "exec sleep 1000");
    let mut engine = runner.connect();
    let first = engine.hear();
    assert_eq!(first[0], "running");
    engine.order("arm any 0\n");
    kill(Pid::from_raw(Engine::pid_in(&first)), Signal::SIGKILL).expect("kill -9");
    let restarted = engine.hear();
    assert_eq!(restarted[..2], ["restarted", "9"], "{restarted:?}");
    let second = Engine::pid_in(&restarted);
    assert_ne!(second, Engine::pid_in(&first));
    // One restart per arm: the next exit is the engine's to decide, and the runner ends
    // the way the service did.
    kill(Pid::from_raw(second), Signal::SIGKILL).expect("kill -9 again");
    assert_eq!(engine.hear(), ["exited", "9"]);
    assert_eq!(runner.wait().signal(), Some(9));
}

#[test]
fn on_failure_arms_leave_a_clean_exit_and_a_short_run_to_the_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, code, order) in [
        ("failure", 0, "arm failure 0\n"),
        ("short", 3, "arm failure 60000\n"),
    ] {
        // The service ends once told to, after the order is in force.
        let go = dir.path().join(name);
        let script = format!(
            "until [ -e {} ]; do sleep 0.01; done; exit {code}",
            go.display()
        );
        let runner = Runner::start(name, &script);
        let mut engine = runner.connect();
        engine.hear();
        engine.order(order);
        std::fs::write(&go, "").expect("go");
        assert_eq!(engine.hear(), ["exited", &(code << 8).to_string()]);
        assert_eq!(runner.wait().code(), Some(code));
    }
}

#[test]
fn a_stop_signal_to_the_group_disarms_it() {
    let runner = Runner::start("stop", "exec sleep 1000");
    let mut engine = runner.connect();
    engine.hear();
    engine.order("arm any 0\n");
    // What `uc stop` does: the configured signal to the service's process group, which
    // the runner leads.
    killpg(Pid::from_raw(runner.process.id() as i32), Signal::SIGTERM).expect("killpg");
    assert_eq!(engine.hear(), ["exited", "15"]);
    assert_eq!(runner.wait().signal(), Some(15));
}

#[test]
fn an_exit_before_the_engine_connects_is_held_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = dir.path().join("started");
    let script = format!("touch {}; exit 7", started.display());
    let runner = Runner::start("early", &script);
    runner.until_reaped(&started);
    let mut engine = runner.connect();
    assert_eq!(engine.hear()[0], "running");
    assert_eq!(engine.hear(), ["exited", &(7 << 8).to_string()]);
    assert_eq!(runner.wait().code(), Some(7));
}

#[test]
fn a_new_connection_takes_over_from_a_lost_engine() {
    let runner = Runner::start("takeover", "exec sleep 1000");
    let mut old = runner.connect();
    let pid = Engine::pid_in(&old.hear());
    // Gone right after its order: the runner may see the new connection before the order.
    old.say("arm any 0\n");
    drop(old);
    let mut new = runner.connect();
    assert_eq!(Engine::pid_in(&new.hear()), pid, "the same service process");
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("kill -9");
    // Still armed from before: an engine that restarts does not lose the fast path.
    assert_eq!(new.hear()[..2], ["restarted", "9"]);
}

/// Abstract socket names are open to every local user: a process squatting on a runner's
/// name is not believed, whatever it says.
#[test]
fn the_engine_refuses_a_squatter_on_a_runners_socket() {
    use std::os::unix::net::UnixListener;
    let name = format!("uc-runner-test/squat/{}", std::process::id());
    let address = SocketAddr::from_abstract_name(name.as_bytes()).expect("address");
    let squatter = UnixListener::bind_addr(&address).expect("squat");
    let liar = std::thread::spawn(move || {
        let (mut stream, _) = squatter.accept().expect("accept");
        let _ = stream.write_all(b"running 1\n");
    });
    // The pane's own process, which the engine expects at the other end.
    let mut pane = Command::new("sleep").arg("100").spawn().expect("sleep");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let connected = runtime.block_on(univers_container::supervisor::runner::connect(
        &name,
        pane.id(),
        T,
    ));
    let error = connected.err().expect("a squatter is refused");
    assert_eq!(
        error.kind(),
        std::io::ErrorKind::PermissionDenied,
        "{error}"
    );
    assert!(
        error.to_string().contains("not by the pane's process"),
        "{error}"
    );
    let _ = pane.kill();
    let _ = pane.wait();
    liar.join().expect("liar");
}
