//! A service's live terminal through the real `uc serve` against a real engine in tmux: a
//! viewer watches the screen and then the output as it comes, an operator types into the
//! window (audited; a viewer is refused and the refusal audited), closing the stream leaves
//! the service alone, the window closing ends the stream, and 200 terminals opened and
//! dropped quickly next to a service printing thousands of lines a second leave tmux and the
//! service as they were; so do restarts of a watched service, by hand or in a crash loop.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::cli::Env;
use common::serve::{Serve, token, wait_audit};

/// Prints "ready", then echoes each line typed into its window.
const ECHO: &str = "import sys\nprint('ready', flush=True)\nfor line in sys.stdin:\n    print('echo:', line.strip(), flush=True)\n";
/// As fast as the pane takes it.
const FLOOD: &str = "import sys\nwhile True:\n    sys.stdout.write('chatty ' * 20 + '\\n')\n";
/// About 5,000 lines a second.
const CHATTY: &str = "import time\nwhile True:\n    print(('chatty ' + 'x' * 50 + '\\n') * 50, end='', flush=True)\n    time.sleep(0.01)\n";

fn env_with(scripts: &[(&str, &str)]) -> Env {
    let services: String = scripts
        .iter()
        .map(|(name, _)| format!("  {name}:\n    command: exec python3 -u {name}.py\n"))
        .collect();
    let env = Env::new(&services);
    for (name, script) in scripts {
        std::fs::write(env.dir.join(format!("{name}.py")), script).expect("script");
    }
    env.ok(&["up"]);
    env.wait_status(Duration::from_secs(20), |s| {
        scripts
            .iter()
            .all(|(name, _)| Env::service(s, name)["state"] == "running")
    });
    env
}

/// One terminal stream read off the socket, or the status it was refused with.
struct Term {
    reader: BufReader<TcpStream>,
}

impl Term {
    fn open(serve: &Serve, token: &str, service: &str) -> Result<Self, (u16, String)> {
        let path = format!("/api/v1/services/{service}/terminal");
        let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: uc\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .expect("send");
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).expect("status line");
        let code: u16 = status
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("status");
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).expect("header");
            if line.trim().is_empty() {
                break;
            }
        }
        if code != 200 {
            let mut body = String::new();
            let _ = reader.read_to_string(&mut body);
            return Err((code, body));
        }
        Ok(Self { reader })
    }

    /// The next event's name and data (keep-alive comments skipped).
    fn next(&mut self) -> (String, String) {
        let (mut event, mut data) = (String::new(), String::new());
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).expect("sse line");
            assert!(n > 0, "the stream ended");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() && !event.is_empty() {
                return (event, data);
            }
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
    }

    /// The first event, which is the screen: (cols, rows, text).
    fn screen(&mut self) -> (u64, u64, String) {
        let (event, data) = self.next();
        assert_eq!(event, "screen", "{data}");
        let screen: serde_json::Value = serde_json::from_str(&data).expect("json");
        let size = |k: &str| screen[k].as_u64().expect("size");
        let text = screen["text"].as_str().expect("text").to_owned();
        (size("cols"), size("rows"), text)
    }

    /// Output until it holds `needle`; what was read.
    fn output_until(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains(needle) {
            assert!(Instant::now() < deadline, "no {needle:?} in {seen:?}");
            let (event, data) = self.next();
            if event == "output" {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .expect("base64");
                seen.extend(bytes);
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    }
}

/// A request's status and body, over HTTP/1.0 with a bearer token.
fn request(serve: &Serve, token: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: uc\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    let code = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (code, body.to_owned())
}

fn type_keys(serve: &Serve, token: &str, service: &str, body: &str) -> (u16, String) {
    let path = format!("/api/v1/services/{service}/terminal/keys");
    request(serve, token, "POST", &path, body)
}

fn window_text(env: &Env, service: &str) -> String {
    let status = env.status();
    let window = Env::service(&status, service)["window"]
        .as_str()
        .expect("window")
        .to_owned();
    env.private.tmux(&["capture-pane", "-p", "-t", &window])
}

#[test]
fn a_viewer_watches_and_an_operator_types_into_the_window() {
    let env = env_with(&[("echo", ECHO)]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let operator = token(&env, "ops", "operator", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let pid = Env::pid_of(&env.status(), "echo");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !window_text(&env, "echo").contains("ready") {
        assert!(Instant::now() < deadline, "echo never got ready");
        std::thread::sleep(Duration::from_millis(50));
    }

    let (status, body) = Term::open(&serve, &viewer, "nope").err().expect("refused");
    assert_eq!(status, 404, "{body}");
    let mut term = Term::open(&serve, &viewer, "echo").expect("viewer watches");
    let (cols, rows, text) = term.screen();
    assert!(cols >= 80 && rows >= 20, "{cols}x{rows}");
    assert!(text.contains("ready"), "{text:?}");

    let (status, body) = type_keys(&serve, &viewer, "echo", r#"{"text": "sneaky\r"}"#);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("operator"), "{body}");
    let (status, body) = type_keys(&serve, &operator, "echo", r#"{"text": "hello uc\r"}"#);
    assert_eq!(status, 204, "{body}");
    let seen = term.output_until("echo: hello uc");
    assert!(!seen.contains("sneaky"), "{seen:?}");
    let (status, body) = type_keys(
        &serve,
        &operator,
        "echo",
        r#"{"text": "named", "keys": ["Enter"]}"#,
    );
    assert_eq!(status, 204, "{body}");
    term.output_until("echo: named");
    assert!(window_text(&env, "echo").contains("echo: hello uc"));
    let (status, body) = type_keys(&serve, &operator, "echo", r#"{"keys": ["C-c; kill"]}"#);
    assert_eq!(status, 400, "{body}");

    let rows = wait_audit(&env, |rows| {
        let keys = |actor: &str, status: u16| {
            rows.iter().any(|r| {
                r.actor == actor
                    && r.status == status
                    && r.route.ends_with("/services/echo/terminal/keys")
            })
        };
        keys("watch", 403) && keys("ops", 204)
    });
    assert!(
        rows.iter().all(|r| !format!("{r:?}").contains("hello uc")),
        "typed text is not audited: {rows:#?}"
    );

    drop(term);
    let mut again = Term::open(&serve, &viewer, "echo").expect("watch again");
    assert!(again.screen().2.contains("echo: named"));
    let status = env.status();
    assert_eq!(
        Env::pid_of(&status, "echo"),
        pid,
        "closing a terminal left it alone"
    );
    assert_eq!(Env::service(&status, "echo")["state"], "running");

    // The window closing ends the stream, saying so.
    let window = Env::service(&status, "echo")["window"]
        .as_str()
        .expect("window")
        .to_owned();
    env.private.tmux(&["kill-window", "-t", &window]);
    while again.next().0 != "closed" {}
    let mut rest = String::new();
    let _ = again.reader.read_to_string(&mut rest);
    assert!(rest.trim().is_empty(), "after closed: {rest:?}");
}

#[test]
fn terminals_opened_and_dropped_quickly_leave_tmux_and_a_chatty_service_alone() {
    let env = env_with(&[("chatty", CHATTY)]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let server_pid = env.private.tmux(&["display-message", "-p", "#{pid}"]);
    let pid = Env::pid_of(&env.status(), "chatty");

    // 200 streams, 8 at a time, each dropped after its screen and some output.
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                let mut opened = 0;
                while opened < 25 {
                    match Term::open(&serve, &viewer, "chatty") {
                        Ok(mut term) => {
                            term.screen();
                            term.output_until("chatty");
                            opened += 1;
                        }
                        // Others' dropped streams are freed at their next write.
                        Err((429, _)) => std::thread::sleep(Duration::from_millis(5)),
                        Err(other) => panic!("{other:?}"),
                    }
                }
            });
        }
    });

    let held: Vec<Term> = std::iter::from_fn(|| open_when_free(&serve, &viewer))
        .take(univers_container::supervisor::tmux::MAX_TERMINALS)
        .collect();
    let (status, body) = Term::open(&serve, &viewer, "chatty").err().expect("full");
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("close a terminal"), "{body}");
    drop(held);

    let mut term = open_when_free(&serve, &viewer).expect("a new terminal");
    term.screen();
    term.output_until("chatty");
    assert_eq!(
        env.private.tmux(&["display-message", "-p", "#{pid}"]),
        server_pid,
        "the tmux server is the same"
    );
    let status = env.status();
    assert_eq!(
        Env::pid_of(&status, "chatty"),
        pid,
        "the service is the same"
    );
    assert_eq!(Env::service(&status, "chatty")["state"], "running");
}

/// A terminal on `chatty` once one is free (dropped streams free theirs at their next write).
fn open_when_free(serve: &Serve, token: &str) -> Option<Term> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Term::open(serve, token, "chatty") {
            Ok(term) => return Some(term),
            Err((429, _)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(other) => panic!("{other:?}"),
        }
    }
}

#[test]
fn restarting_a_watched_chatty_service_leaves_tmux_and_the_terminal_up() {
    let env = env_with(&[("chatty", FLOOD)]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let server_pid = env.private.tmux(&["display-message", "-p", "#{pid}"]);
    let mut term = Term::open(&serve, &viewer, "chatty").expect("terminal");
    term.screen();
    term.output_until("chatty");

    // tmux 3.3a dies when a pane is respawned while a client still owes it output.
    let mut pid = Env::pid_of(&env.status(), "chatty");
    for _ in 0..20 {
        env.ok(&["restart", "chatty"]);
        let before = pid;
        env.wait_status(Duration::from_secs(20), |s| {
            Env::service(s, "chatty")["state"] == "running" && Env::pid_of(s, "chatty") != before
        });
        pid = Env::pid_of(&env.status(), "chatty");
    }
    assert_eq!(
        env.private.tmux(&["display-message", "-p", "#{pid}"]),
        server_pid,
        "the tmux server is the same"
    );
    term.output_until("chatty");
}

/// Prints a burst, then fails: the supervisor restarts it again and again.
const BURST: &str = "import sys\nsys.stdout.write(('burst ' + 'x' * 60 + '\\n') * 2000)\nsys.stdout.flush()\nsys.exit(1)\n";

#[test]
fn a_watched_service_crashing_in_a_loop_leaves_tmux_up() {
    let env = Env::new(
        "  burst:\n    command: exec python3 -u burst.py\n    restart: { policy: always, backoff: 10ms }\n",
    );
    std::fs::write(env.dir.join("burst.py"), BURST).expect("script");
    env.ok(&["up"]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let server_pid = env.private.tmux(&["display-message", "-p", "#{pid}"]);
    let mut term = Term::open(&serve, &viewer, "burst").expect("terminal");
    term.screen();
    term.output_until("burst");
    // tmux 3.3a dies when it respawns a pane a client with output is behind on, as one
    // is beside a pane printing this fast: no client of uc's takes pane output.
    let clients = env
        .private
        .tmux(&["list-clients", "-F", "#{client_pid} #{client_flags}"]);
    assert!(!clients.trim().is_empty());
    for client in clients.lines() {
        assert!(client.contains("no-output"), "{client}");
    }
    let restarts = |s: &serde_json::Value| Env::service(s, "burst")["restarts"].as_u64();
    env.wait_status(Duration::from_secs(60), |s| restarts(s) >= Some(40));
    assert_eq!(
        env.private.tmux(&["display-message", "-p", "#{pid}"]),
        server_pid,
        "the tmux server is the same"
    );
    term.output_until("burst");

    // A capture with no tap (one an older uc started) is refused with the way out.
    let tap = env
        .state
        .join(&env.workspace)
        .join("logs")
        .join("burst.tap");
    std::fs::remove_file(&tap).expect("the capture's tap");
    let (status, body) = Term::open(&serve, &viewer, "burst").err().expect("refused");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("cannot be followed") && body.contains("`uc down`"),
        "{body}"
    );
}
