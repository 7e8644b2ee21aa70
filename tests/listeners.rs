//! The real engine under connections that stall mid-request, on its Unix socket and on
//! Prometheus' `/metrics`: `uc status` and scrapes still answer at once, the engine holds no
//! more sockets than its cap, an event stream keeps flowing, and every stalled connection is
//! closed once its request is overdue.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::cli::Env;
use common::receivers::free_port;
use univers_container::paths::Paths;

/// The engine's caps (`engine::listen`), and the time a request may take to arrive.
const SOCKET_CAP: usize = 2048;
const METRICS_CAP: usize = 32;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A request's first line and a header, never finished.
const PARTIAL: &[u8] = b"GET /api/v1/snapshot HTTP/1.1\r\nHost: stalled\r\n";

/// Lets this process hold the stalled sockets.
fn raise_fd_limit(needed: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    if soft < needed {
        setrlimit(Resource::RLIMIT_NOFILE, hard.min(needed.max(soft)), hard).expect("setrlimit");
    }
}

/// Sockets the engine has open: Unix and TCP alike show as `socket:[inode]`.
fn engine_sockets(pid: u64) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("engine fds")
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

/// A client socket whose reads can time out.
trait Client: Read {
    fn read_timeout(&mut self, timeout: Duration);
}

impl Client for UnixStream {
    fn read_timeout(&mut self, timeout: Duration) {
        self.set_read_timeout(Some(timeout)).expect("timeout");
    }
}

impl Client for TcpStream {
    fn read_timeout(&mut self, timeout: Duration) {
        self.set_read_timeout(Some(timeout)).expect("timeout");
    }
}

/// Whether the peer closed `stream` by `deadline` (whatever it wrote before).
fn closed_by(stream: &mut dyn Client, deadline: Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.read_timeout(left);
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Indexes of the streams still open at `deadline`.
fn still_open(streams: &mut [impl Client], deadline: Instant) -> Vec<usize> {
    (0..streams.len())
        .filter(|&i| !closed_by(&mut streams[i], deadline))
        .collect()
}

/// The engine holds at most `max` sockets well before any stalled request is overdue: the
/// connections closed to make room are gone (their tasks may take a moment to run).
fn assert_holds_at_most(pid: u64, max: usize, stalled_since: Instant) {
    let before_timeout = stalled_since + REQUEST_TIMEOUT / 2;
    while engine_sockets(pid) > max {
        assert!(
            Instant::now() < before_timeout,
            "the engine holds {} sockets, more than {max}",
            engine_sockets(pid)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `uc status`, timed.
fn timed_status(env: &Env) -> Duration {
    let start = Instant::now();
    env.ok(&["status"]);
    start.elapsed()
}

#[test]
fn stalled_connections_to_the_socket_neither_starve_status_nor_stay_open() {
    let env = Env::new("  api:\n    command: \"exec sleep 3001\"\n");
    env.ok(&["up"]);
    let status = env.wait_status(Duration::from_secs(20), |s| {
        Env::service(s, "api")["state"] == "running"
    });
    let pid = status["engine"]["pid"].as_u64().expect("engine pid");
    let socket = Paths::new(&env.state, &env.workspace, String::new()).socket();
    let baseline = engine_sockets(pid);

    // A frontend's event stream, open before the flood.
    let mut events = UnixStream::connect(&socket).expect("connect");
    events
        .write_all(b"GET /api/v1/events HTTP/1.1\r\nHost: uc\r\n\r\n")
        .expect("subscribe");
    let mut seen = String::new();
    read_until(&mut events, &mut seen, "data:");

    let stalled_count = 2 * SOCKET_CAP + 100;
    raise_fd_limit(stalled_count as u64 + 256);
    let started = Instant::now();
    let mut stalled: Vec<UnixStream> = (0..stalled_count)
        .map(|_| {
            let mut s = UnixStream::connect(&socket).expect("connect");
            s.write_all(PARTIAL).expect("partial request");
            s
        })
        .collect();

    let took = timed_status(&env);
    assert!(took < Duration::from_secs(2), "uc status took {took:?}");
    assert_holds_at_most(pid, baseline + SOCKET_CAP + 8, started);

    // The stream is busy, never closed to make room: the restarted service's new pid
    // reaches it.
    env.ok(&["restart", "api"]);
    let restarted = env.wait_status(Duration::from_secs(20), |s| {
        Env::service(s, "api")["state"] == "running"
            && Env::service(s, "api")["pid"] != Env::service(&status, "api")["pid"]
    });
    let pid_field = format!("\"pid\":{}", Env::pid_of(&restarted, "api"));
    read_until(&mut events, &mut seen, &pid_field);

    let deadline = started + REQUEST_TIMEOUT + Duration::from_secs(5);
    let open = still_open(&mut stalled, deadline);
    assert!(open.is_empty(), "still open after the timeout: {open:?}");
    assert!(timed_status(&env) < Duration::from_secs(2));
}

fn read_until(stream: &mut UnixStream, seen: &mut String, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 64 * 1024];
    while !seen.contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no {needle:?} on the event stream: {seen}");
        stream.set_read_timeout(Some(left)).expect("timeout");
        match stream.read(&mut buf) {
            Ok(0) => panic!("the event stream was closed: {seen}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) => panic!("reading the event stream: {e}; {seen}"),
        }
    }
    // Keep only what follows, so the next wait looks at new events.
    let at = seen.find(needle).map_or(0, |i| i + needle.len());
    seen.drain(..at);
}

#[test]
fn stalled_scrapers_neither_starve_metrics_nor_stay_open() {
    let port = free_port();
    let env = Env::with_settings(
        "  api:\n    command: \"exec sleep 3001\"\n",
        &format!("metrics:\n  interval: 200ms\n  listen: 127.0.0.1:{port}\n"),
    );
    env.ok(&["up"]);
    let status = env.wait_status(Duration::from_secs(20), |s| {
        s["metrics"]["services"].is_array()
    });
    let pid = status["engine"]["pid"].as_u64().expect("engine pid");
    let baseline = engine_sockets(pid);

    let stalled_count = 3 * METRICS_CAP;
    let started = Instant::now();
    let mut stalled: Vec<TcpStream> = (0..stalled_count)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: stalled\r\n")
                .expect("partial request");
            s
        })
        .collect();

    let start = Instant::now();
    let mut scrape = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    scrape
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .expect("request");
    scrape
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut response = String::new();
    scrape.read_to_string(&mut response).expect("response");
    assert!(response.starts_with("HTTP/1.0 200"), "{response}");
    assert!(response.contains("uc_service_up"), "{response}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_holds_at_most(pid, baseline + METRICS_CAP + 8, started);

    let deadline = started + REQUEST_TIMEOUT + Duration::from_secs(5);
    let open = still_open(&mut stalled, deadline);
    assert!(open.is_empty(), "stalled scrapers still open: {open:?}");
}
