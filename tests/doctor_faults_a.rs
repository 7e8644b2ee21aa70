//! The doctor's fault scenarios, part A: a crash loop with an error pattern, a port taken by
//! another process (the service cannot bind; its probe gets another's answers), a slow
//! probe, a slow dependency, a service exited for good, a bad config edit and an edit not
//! applied. Each injects the fault into real processes and requires `uc doctor --json` to
//! name it first.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::cli::Env;
use common::doctor::{Expect, diagnose, first_finding};

const T: Duration = Duration::from_secs(20);

/// A process the test started, killed when the test ends however it ends.
struct Holder(Child);

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A python process started outside the workspace, running `script`, which prints the port
/// it listens on; that port.
fn outsider(script: &str) -> (Holder, u16) {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("port");
    let port = line.trim().parse().expect("a port");
    (Holder(child), port)
}

/// A listener on a free port of 127.0.0.1 that answers nothing.
fn listener() -> (Holder, u16) {
    outsider(
        "import socket, time\n\
         s = socket.socket()\n\
         s.bind(('127.0.0.1', 0))\n\
         s.listen()\n\
         print(s.getsockname()[1], flush=True)\n\
         time.sleep(600)\n",
    )
}

/// An HTTP server on a free port of 127.0.0.1 that has no `/health` (404).
fn http_listener() -> (Holder, u16) {
    outsider(
        "import http.server\n\
         s = http.server.HTTPServer(('127.0.0.1', 0), http.server.BaseHTTPRequestHandler)\n\
         print(s.server_address[1], flush=True)\n\
         s.serve_forever()\n",
    )
}

#[test]
fn fault_crash_loop_names_the_exit_code_and_the_last_line() {
    // Lines are timed when the engine reads them: the backoff is the margin in which a
    // line read late still counts for the run that printed it.
    let env = Env::new(
        r#"
  api:
    command: 'echo starting; echo "FATAL: cannot open config /etc/x.conf"; exit 3'
    restart: { policy: always, backoff: 500ms..1s, max: 100 within 1m }
  web:
    command: "exec sleep 3311"
    depends_on: [api]
"#,
    );
    let fault = Instant::now();
    env.ok(&["up"]);
    let expect = Expect {
        analyzer: "crash_loop",
        service: Some("api"),
        cause_has: "each after \"FATAL: cannot open config /etc/x.conf\"",
    };
    let first = first_finding(&env, "crash loop", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(cause.contains("(exited with code 3)"), "{cause}");
    assert_eq!(first["actions"][0]["action"], "logs");
    // Every crash after, however the exits and the stored lines interleave, says the same.
    let mut crashes = 0;
    while crashes < 5 {
        let d = diagnose(&env);
        let cause = d["findings"][0]["cause"].as_str().unwrap_or_default();
        assert!(cause.contains(", each after \"FATAL: cannot"), "{d:#}");
        crashes = cause
            .strip_prefix("api ended ")
            .and_then(|c| c.split(' ').next()?.parse().ok())
            .unwrap_or(crashes);
        assert!(fault.elapsed() < T, "{d:#}");
    }
}

#[test]
fn fault_port_taken_names_the_holder() {
    let (holder, port) = listener();
    let env = Env::new(&format!(
        r#"
  api:
    command: "exec python3 -c 'import socket; socket.socket().bind((\"127.0.0.1\", {port}))'"
    ports: [{port}]
    restart: {{ policy: always, backoff: 300ms..600ms, max: 100 within 1m }}
"#
    ));
    let fault = Instant::now();
    env.ok(&["up"]);
    let pid = holder.0.id().to_string();
    let expect = Expect {
        analyzer: "port_taken",
        service: Some("api"),
        cause_has: &format!("PID {pid} ("),
    };
    let first = first_finding(&env, "port taken", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(cause.starts_with(&format!("port {port} of api")), "{cause}");
    assert!(
        cause.contains("python3 -c import socket, time s = socket.socket()"),
        "{cause}"
    );
}

/// An HTTP server on `port` answering at once until the file `slow` exists, then after
/// `delay` seconds.
fn server(port: u16, delay: f64) -> String {
    format!(
        "import http.server, os, time\n\
         class H(http.server.BaseHTTPRequestHandler):\n    \
             def do_GET(self):\n        \
                 if os.path.exists('slow'):\n            \
                     time.sleep({delay})\n        \
                 self.send_response(200)\n        \
                 self.end_headers()\n\
         http.server.ThreadingHTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
    )
}

#[test]
fn fault_port_taken_answers_the_probe_in_the_service_place() {
    let (holder, port) = http_listener();
    let env = Env::new(&format!(
        r#"
  api:
    command: "exec python3 app.py"
    ports: [{port}]
    readiness: {{ http: "http://127.0.0.1:{port}/health", interval: 200ms }}
"#
    ));
    // Fails to bind, says so, and runs on serving nothing.
    let app = format!(
        "import socket, time\n\
         try:\n    socket.socket().bind(('127.0.0.1', {port}))\n\
         except OSError as e:\n    print('cannot listen:', e, flush=True)\n\
         time.sleep(600)\n"
    );
    std::fs::write(env.dir.join("app.py"), app).expect("app.py");
    let fault = Instant::now();
    env.ok(&["up"]);
    let pid = holder.0.id().to_string();
    let expect = Expect {
        analyzer: "port_taken",
        service: Some("api"),
        cause_has: &format!("PID {pid} ("),
    };
    let first = first_finding(&env, "port taken, probe answered", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(
        cause.ends_with("while api is running but failing its probe"),
        "{cause}"
    );
    let answered = first["evidence"].as_array().is_some_and(|e| {
        e.iter().any(|e| {
            e["kind"] == "probe" && e["text"].as_str().is_some_and(|t| t.contains("HTTP 501"))
        })
    });
    assert!(answered, "the holder's answer is the evidence: {first:#}");
}

#[test]
fn fault_slow_probe_names_the_timeout() {
    let port = common::deploy::free_port();
    let env = Env::new(&format!(
        r#"
  web:
    command: "exec python3 server.py"
    ports: [{port}]
    readiness: {{ http: "http://127.0.0.1:{port}/", timeout: 500ms, interval: 500ms }}
"#
    ));
    std::fs::write(env.dir.join("server.py"), server(port, 2.0)).expect("server.py");
    env.ok(&["up"]);
    env.wait_status(T, |s| Env::service(s, "web")["health"] == "healthy");
    let fault = Instant::now();
    std::fs::write(env.dir.join("slow"), "").expect("slow");
    let expect = Expect {
        analyzer: "probe_failing",
        service: Some("web"),
        cause_has: "timed out after 500ms",
    };
    let first = first_finding(&env, "slow probe", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(cause.contains("(the last took 50"), "{cause}");
}

#[test]
fn fault_slow_dependency_warns_its_dependent() {
    let port = common::deploy::free_port();
    let env = Env::new(&format!(
        r#"
  db:
    command: "exec python3 server.py"
    ports: [{port}]
    readiness: {{ http: "http://127.0.0.1:{port}/", timeout: 3s, interval: 200ms }}
  api:
    command: "exec sleep 3314"
    depends_on: {{ db: healthy }}
"#
    ));
    std::fs::write(env.dir.join("server.py"), server(port, 1.2)).expect("server.py");
    env.ok(&["up"]);
    env.wait_status(T, |s| Env::service(s, "api")["state"] == "running");
    let fault = Instant::now();
    std::fs::write(env.dir.join("slow"), "").expect("slow");
    let expect = Expect {
        analyzer: "dependency_slow",
        service: Some("api"),
        cause_has: "api depends on db, which is slow: its readiness probe answered in 1.",
    };
    let first = first_finding(&env, "dependency slow", fault, T, &expect);
    assert_eq!(first["severity"], "warning");
}

#[test]
fn fault_service_exited_names_its_code_and_last_line() {
    let env = Env::new(
        r#"
  job:
    command: 'echo "panic: out of cheese"; exit 2'
    restart: "no"
"#,
    );
    let fault = Instant::now();
    env.ok(&["up"]);
    let expect = Expect {
        analyzer: "service_exited",
        service: Some("job"),
        cause_has: "after \"panic: out of cheese\"",
    };
    let first = first_finding(&env, "service exited", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(cause.starts_with("job exited with code 2"), "{cause}");
}

/// A workspace running `api`, its file rewritten with `edit` once it runs.
fn edited(edit: &str) -> (Env, Instant) {
    let env = Env::new(
        r#"
  api:
    command: "exec sleep 3312"
"#,
    );
    env.ok(&["up"]);
    env.wait_status(T, |s| Env::service(s, "api")["state"] == "running");
    let text = std::fs::read_to_string(&env.file).expect("read");
    let fault = Instant::now();
    std::fs::write(
        &env.file,
        text.replace("    command: \"exec sleep 3312\"\n", edit),
    )
    .expect("edit");
    (env, fault)
}

#[test]
fn fault_bad_config_edit_names_file_line_and_column() {
    let (env, fault) = edited("    command: \"exec sleep 3312\"\n    comand: typo\n");
    let expect = Expect {
        analyzer: "config_invalid",
        service: None,
        cause_has: "univers.yaml:6:5",
    };
    let first = first_finding(&env, "bad config edit", fault, T, &expect);
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(cause.contains("comand"), "{cause}");
}

#[test]
fn fault_config_edit_not_applied_says_what_it_restarts() {
    let (env, fault) = edited("    command: \"exec sleep 3313\"\n");
    let expect = Expect {
        analyzer: "config_not_applied",
        service: None,
        cause_has: "api (command)",
    };
    let first = first_finding(&env, "config not applied", fault, T, &expect);
    assert_eq!(first["actions"][0]["action"], "apply_config");
    let cause = first["cause"].as_str().unwrap_or_default();
    assert!(
        cause.ends_with("applying it restarts or starts api"),
        "{cause}"
    );
}
