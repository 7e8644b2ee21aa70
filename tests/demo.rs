//! The built-in demo does what the README shows: `uc --demo`, as a new user runs it, in the
//! `dev` environment, with a worker that crashes and is healed, visibly (a crash-looping
//! countdown, `ServiceDown` firing, restarts counted).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::cli::Env;
use serde_json::Value;

/// The demo's worker crashes after ~15 s; its second crash waits out a 5 s backoff.
const T: Duration = Duration::from_secs(60);

fn demo(env: &Env, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_uc"));
    cmd.arg("--demo").args(args).current_dir(&env.dir);
    cmd.env_remove("TMUX").env_remove("TMUX_PANE");
    for (k, v) in env.envs() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run uc");
    assert!(
        out.status.success(),
        "uc --demo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(env: &Env, args: &[&str]) -> Value {
    serde_json::from_str(&demo(env, args)).expect("json")
}

/// Poll `uc --demo status --json` until `pred` holds.
fn wait(env: &Env, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let status = json(env, &["status", "--json"]);
        if pred(&status) {
            return status;
        }
        assert!(start.elapsed() < T, "no {what} after {T:?}: {status:#}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn worker(status: &Value) -> &Value {
    Env::service(status, "worker")
}

#[test]
fn the_demo_shows_a_crashing_worker_being_healed() {
    // Only for its private state dir and tmux socket: the workspace is the demo's.
    let env = Env::new("  unused:\n    command: 'true'\n");
    demo(&env, &["up"]);
    let env_list = demo(&env, &["env"]);
    assert!(env_list.contains("* dev"), "{env_list}");

    // Healed visibly: waiting out its backoff with a countdown, then running again.
    let looping = wait(&env, "crash-looping worker", |s| {
        worker(s)["state"] == "crash_looping"
    });
    assert!(worker(&looping)["restart_at"].is_u64(), "{looping:#}");
    let start = Instant::now();
    let down = loop {
        let alerts = json(&env, &["alerts", "--json"]);
        let found = alerts.as_array().and_then(|a| {
            a.iter()
                .find(|a| a["rule"] == "ServiceDown" && a["state"] == "firing")
                .cloned()
        });
        if let Some(alert) = found {
            break alert;
        }
        assert!(start.elapsed() < T, "no ServiceDown firing: {alerts:#}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(down["labels"]["service"], "worker", "{down:#}");
    let back = wait(&env, "worker back", |s| {
        worker(s)["state"] == "running" && worker(s)["restarts"].as_u64() >= Some(2)
    });
    assert_eq!(worker(&back)["user_restarts"], 0, "{back:#}");
    demo(&env, &["down"]);
}
