//! Quotas per workspace, with the real binary, real processes and the engine's socket: the
//! services quota refuses the third start (CLI, REST API, TUI status line) with the quota,
//! the usage, where it is set and what to do, on record; the memory quota stops a leaking
//! service (the cgroup path or the engine's, as the host allows: the test says which); API
//! calls past the per-minute quota are answered 429; the logs store keeps at most its size.

mod common;

use std::path::Path;
use std::time::Duration;

use common::cli::{Env, Screen};
use common::http::Socket;
use common::serve::{Body, Serve, token};
use serde_json::Value;

const T: Duration = Duration::from_secs(30);

/// `line:column` of `value` on the line `key: value` of `file`, 1-based, as the config
/// loader reports it.
fn place(file: &Path, line_text: &str, value: &str) -> String {
    let text = std::fs::read_to_string(file).expect("workspace file");
    let (n, line) = (text.lines().enumerate())
        .find(|(_, l)| *l == line_text)
        .unwrap_or_else(|| panic!("no line {line_text:?} in {text}"));
    let column = line.find(value).expect("value on its line") + 1;
    format!("univers.yaml:{}:{column}", n + 1)
}

fn audit(env: &Env) -> Vec<Value> {
    (env.ok(&["audit", "--json"]).lines())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn wait_audit(env: &Env, pred: impl Fn(&Value) -> bool) -> Value {
    let mut last = Vec::new();
    let found = common::eventually(T, || {
        last = audit(env);
        last.iter().any(&pred)
    });
    assert!(found, "no such record in {last:#?}");
    last.into_iter().find(|r| pred(r)).expect("found")
}

#[test]
fn a_workspace_limited_to_two_services_refuses_the_third_with_the_quota() {
    let env = Env::with_settings(
        "  one:\n    command: sleep 1001\n  two:\n    command: sleep 1002\n  three:\n    command: sleep 1003\n",
        "quotas:\n  services: 2\n",
    );
    let at = place(&env.file, "  services: 2", "2");
    let expected = format!(
        "quota exceeded: services 2/2 in workspace {} (quotas.services in {at}); stop a \
         service or raise quotas.services",
        env.workspace
    );
    env.ok(&["up", "one", "two"]);

    let refused = env.run(&["up", "three"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "the third start went through");
    assert!(stderr.contains(&expected), "{stderr}");
    let status = env.status();
    assert_eq!(Env::service(&status, "three")["state"], "stopped");
    assert_eq!(status["quota"]["services"]["used"], 2.0, "{status:#}");
    assert_eq!(status["quota"]["services"]["limit"], 2.0);
    assert_eq!(status["quota"]["services"]["at"], at.as_str());
    let table = env.ok(&["status"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("services") && l.contains("2/2") && l.contains(&at)),
        "{table}"
    );

    // The REST API: 403, naming the field.
    let api = Socket::of(&env.state, &env.workspace).post("/api/v1/services/three/start", "");
    assert_eq!(api.status, 403, "{:?}", api.body);
    assert_eq!(api.field(), Some("quotas.services"));
    assert_eq!(api.body["error"], expected.as_str());

    // Both refusals on record, with the reason.
    for via in ["cli", "api"] {
        let record = wait_audit(&env, |r| r["via"] == via && r["outcome"] == "denied");
        assert_eq!(record["reason"], expected.as_str(), "{record}");
        assert_eq!(record["status"], 403);
    }

    // The TUI: `s` on the third row; the status line says why.
    let screen = Screen::shell(&env);
    let uc = env!("CARGO_BIN_EXE_uc");
    screen.type_line(&format!("{uc} -f {}", env.file.display()));
    screen.wait("two running", T, |t| {
        Screen::row(t, "two").is_some_and(|r| r.contains("running"))
    });
    screen.keys(&["j", "j", "s"]);
    screen.wait_for("quota exceeded: services 2/2", T);
    wait_audit(&env, |r| r["via"] == "tui" && r["outcome"] == "denied");

    // Room again once one stops.
    env.ok(&["down", "one"]);
    env.ok(&["up", "three"]);
    env.wait_status(T, |s| Env::service(s, "three")["state"] == "running");
    // Restarting one that is down starts it: refused the same way.
    let restart = env.run(&["restart", "one"]);
    assert!(!restart.status.success(), "one restarted past the quota");
    let stderr = String::from_utf8_lossy(&restart.stderr);
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_raised_quota_takes_effect_when_the_edit_is_applied() {
    let env = Env::with_settings(
        "  a:\n    command: sleep 1001\n  b:\n    command: sleep 1002\n",
        "quotas:\n  services: 1\n",
    );
    env.ok(&["up", "a"]);
    assert!(
        !env.run(&["up", "b"]).status.success(),
        "b started past the quota"
    );
    let text = std::fs::read_to_string(&env.file).expect("workspace file");
    let raised = text.replace("  services: 1\n", "  # one more for b\n  services: 2\n");
    std::fs::write(&env.file, raised).expect("edit");
    env.wait_status(T, |s| !s["config"]["pending"].is_null());
    env.ok(&["config", "apply", "--yes"]);
    env.ok(&["up", "b"]);
    let status = env.wait_status(T, |s| s["quota"]["services"]["used"] == 2.0);
    assert_eq!(status["quota"]["services"]["limit"], 2.0, "{status:#}");
    let at = place(&env.file, "  services: 2", "2");
    assert_eq!(status["quota"]["services"]["at"], at.as_str());
}

/// A service that grows by 20 MB every 100 ms, up to 600 MB, next to an idle one.
const LEAK: &str = "  leak:\n    command: python3 leak.py\n  idle:\n    command: sleep 1000\n";
const LEAK_PY: &str = "import time
a = []
while True:
    if len(a) < 30:
        a.append(bytearray(20_000_000))
    time.sleep(0.1)
";

#[test]
fn a_memory_quota_stops_a_leaking_service() {
    let env = Env::with_settings(
        LEAK,
        "metrics: { interval: 250ms }\nquotas:\n  memory: 200MiB\n",
    );
    let at = place(&env.file, "  memory: 200MiB", "200MiB");
    std::fs::write(env.dir.join("leak.py"), LEAK_PY).expect("leak.py");
    env.ok(&["up"]);
    let status = env.wait_status(T, |s| s["quota"]["enforcement"].is_string());
    let path = status["quota"]["enforcement"].as_str().unwrap_or_default();
    println!("memory quota held by: {path}");
    if path.starts_with("cgroup") {
        // The kernel kills the leaking process at memory.max.
        let status = env.wait_status(T, |s| Env::service(s, "leak")["signal"] == 9);
        println!("cgroup path: leak killed by the kernel: {status:#}");
        wait_audit(&env, |r| r["action"] == "quota oom-kill");
    } else {
        assert_eq!(path, "engine");
        let status = env.wait_status(T, |s| Env::service(s, "leak")["state"] == "stopped");
        let reason = Env::service(&status, "leak")["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        println!("engine path: {reason}");
        assert!(reason.starts_with("quota exceeded: memory "), "{reason}");
        assert!(
            reason.contains(&format!(
                "/200M in workspace {} (quotas.memory in {at})",
                env.workspace
            )),
            "{reason}"
        );
        let record = wait_audit(&env, |r| r["action"] == "quota stop");
        assert_eq!(record["actor"], "system");
        assert_eq!(record["target"], "leak");
        assert_eq!(record["reason"], reason.as_str());
    }
    // Only the one using the most.
    assert_eq!(Env::service(&env.status(), "idle")["state"], "running");
    // Under the quota again: a start is taken.
    env.wait_status(T, |s| {
        s["quota"]["memory"]["used"]
            .as_f64()
            .is_some_and(|u| u < 200.0 * 1048576.0)
    });
}

#[test]
fn a_start_while_cpu_is_at_its_quota_is_refused() {
    let env = Env::with_settings(
        "  busy:\n    command: sh -c 'while :; do :; done'\n  idle:\n    command: sleep 1000\n",
        "metrics: { interval: 250ms }\nquotas:\n  cpu: 0.2\n",
    );
    let at = place(&env.file, "  cpu: 0.2", "0.2");
    env.ok(&["up", "busy"]);
    let status = env.wait_status(T, |s| s["quota"]["enforcement"].is_string());
    let path = status["quota"]["enforcement"].as_str().unwrap_or_default();
    println!("cpu quota held by: {path}");
    if path.starts_with("cgroup") {
        // The kernel throttles the loop to its share instead.
        return;
    }
    env.wait_status(T, |s| s["quota"]["cpu"]["used"].as_f64() >= Some(0.2));
    let refused = env.run(&["up", "idle"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "idle started past the cpu quota");
    let expected = format!(
        "/0.20 cores in workspace {} (quotas.cpu in {at}); stop a busy service or raise \
         quotas.cpu",
        env.workspace
    );
    assert!(stderr.contains("quota exceeded: cpu "), "{stderr}");
    assert!(stderr.contains(&expected), "{stderr}");
    env.ok(&["down", "busy"]);
    env.wait_status(T, |s| s["quota"]["cpu"]["used"].as_f64() < Some(0.2));
    env.ok(&["up", "idle"]);
}

#[test]
fn api_calls_past_the_per_minute_quota_are_answered_429() {
    let env = Env::with_settings(
        "  idle:\n    command: sleep 1000\n",
        "quotas:\n  requests_per_minute: 3\n",
    );
    let at = place(&env.file, "  requests_per_minute: 3", "3");
    env.ok(&["up"]);
    let socket = Socket::of(&env.state, &env.workspace);
    for _ in 0..3 {
        assert_eq!(socket.get("/api/v1/services").status, 200);
    }
    let refused = socket.get("/api/v1/services");
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(refused.field(), Some("quotas.requests_per_minute"));
    let expected = format!(
        "quota exceeded: requests per minute 3/3 in workspace {} (quotas.requests_per_minute \
         in {at}); wait for the next minute or raise quotas.requests_per_minute",
        env.workspace
    );
    assert_eq!(refused.body["error"], expected.as_str());
    let record = wait_audit(&env, |r| r["status"] == 429);
    assert_eq!(record["outcome"], "denied");
    assert_eq!(record["action"], "GET /api/v1/services");
    assert_eq!(record["reason"], expected.as_str());
    // The local CLI is not counted: the user keeps their own tools.
    let status = env.status();
    assert_eq!(status["quota"]["requests_per_minute"]["limit"], 3.0);
    env.ok(&["up", "idle"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_uc_serve_refusals_carry_the_quota_and_are_on_record_with_the_token() {
    let env = Env::with_settings(
        "  a:\n    command: sleep 1001\n  b:\n    command: sleep 1002\n",
        "quotas:\n  services: 1\n  requests_per_minute: 3\n",
    );
    env.ok(&["up", "a"]);
    let ops = token(&env, "ops", "admin", &[]);
    let serve = Serve::start(&env, &[]);
    let (status, refused) = serve
        .call_json("POST", "/api/v1/services/b/start", &ops, Body::None)
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["field"], "quotas.services");
    for _ in 0..2 {
        let (status, _) = serve
            .call_json("GET", "/api/v1/services", &ops, Body::None)
            .await;
        assert_eq!(status, 200);
    }
    let (status, limited) = serve
        .call_json("GET", "/api/v1/services", &ops, Body::None)
        .await;
    assert_eq!(status, 429, "{limited}");
    assert_eq!(limited["field"], "quotas.requests_per_minute");

    let by_ops = |r: &Value, status: u16| r["actor"] == "ops" && r["status"] == status;
    let start = wait_audit(&env, |r| by_ops(r, 403));
    let reason = start["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("quota exceeded: services 1/1 in workspace"),
        "{start}"
    );
    let read = wait_audit(&env, |r| by_ops(r, 429));
    assert_eq!(read["action"], "GET /api/v1/services");
    assert_eq!(read["reason"], limited["error"]);
}

#[test]
fn the_logs_store_keeps_at_most_the_log_retention_quota() {
    let env = Env::with_settings(
        "  chatty:\n    command: \"seq 1 40000 | sed 's/^/log line number /'; echo all-written; sleep 1000\"\n",
        "quotas:\n  log_retention: 64KiB\n",
    );
    env.ok(&["up"]);
    let found = common::eventually(T, || {
        env.ok(&["logs", "chatty", "-n", "1"])
            .contains("all-written")
    });
    assert!(found, "the last line was never stored");
    let store = env.state.join(&env.workspace).join("logs").join("store");
    let bytes = dir_bytes(&store);
    // At most the quota, plus the segment being written (an eighth of it) and the rest of
    // the store's files.
    assert!(
        bytes <= 64 * 1024 * 5 / 4,
        "{bytes} bytes in {}",
        store.display()
    );
    let kept = env.ok(&["logs", "chatty", "-n", "100000"]);
    let oldest = kept.lines().next().unwrap_or_default();
    println!(
        "{bytes} bytes stored, {} lines kept, the oldest: {oldest}",
        kept.lines().count()
    );
    assert!(oldest.contains("log line number "), "{oldest}");
    assert!(
        !oldest.ends_with("log line number 1"),
        "the oldest lines stayed: {oldest}"
    );
    let status = env.wait_status(T, |s| {
        s["quota"]["log_retention"]["used"].as_f64() > Some(0.0)
    });
    let used = status["quota"]["log_retention"]["used"]
        .as_f64()
        .unwrap_or_default();
    assert!(used <= 64.0 * 1024.0 * 1.25, "{status:#}");
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let meta = e.metadata().expect("metadata");
                    if meta.is_dir() {
                        dir_bytes(&e.path())
                    } else {
                        meta.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn quotas_are_read_with_their_place_and_bad_ones_reported_at_it() {
    use univers_container::config::load_str;
    let dir = Path::new("/ws");
    let file = dir.join("univers.yaml");
    let good = "workspace: w\nservices:\n  a: {command: x}\nquotas:\n  services: 2\n  \
                memory: 1GiB\n  cpu: 1.5\n  log_retention: 64MiB\n  requests_per_minute: 600\n";
    let ws = load_str(good, &file, dir).expect("valid");
    let quotas = &ws.quotas;
    assert_eq!(quotas.services.as_ref().map(|q| q.limit), Some(2));
    assert_eq!(
        quotas.services.as_ref().map(|q| q.at.as_str()),
        Some("univers.yaml:5:13")
    );
    assert_eq!(quotas.memory.as_ref().map(|q| q.limit), Some(1 << 30));
    assert_eq!(quotas.cpu.as_ref().map(|q| q.limit), Some(1.5));
    assert_eq!(
        quotas.log_retention.as_ref().map(|q| q.limit),
        Some(64 << 20)
    );
    let rpm = quotas.requests_per_minute.as_ref();
    assert_eq!(rpm.map(|q| q.at.as_str()), Some("univers.yaml:9:24"));

    let bad = "workspace: w\nservices:\n  a: {command: x}\nquotas:\n  services: 0\n  \
               memory: lots\n  cpu: 0\n  disk: 1GiB\n";
    let err = load_str(bad, &file, dir).expect_err("invalid").to_string();
    for expected in [
        "univers.yaml:5:13: a quota of 0 services allows nothing",
        "univers.yaml:6:11: invalid size `lots`",
        "univers.yaml:7:8: invalid cpu quota `0`",
        "univers.yaml:8:3:",
    ] {
        assert!(err.contains(expected), "{expected:?} not in:\n{err}");
    }
}
