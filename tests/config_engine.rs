//! The configuration center through the real `uc` binary and a real tmux server: an edit
//! of the workspace file is noticed and offered, applying it restarts only the service whose
//! definition changed, an invalid edit leaves the running config alone, every applied
//! config is a revision, and a revert goes back through the same path.

mod common;

use std::time::Duration;

use common::cli::Env;

const T: Duration = Duration::from_secs(20);

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3101"
    env: { LOG_LEVEL: info }
  worker:
    command: "exec sleep 3102"
"#;

fn edit(env: &Env, from: &str, to: &str) {
    let text = std::fs::read_to_string(&env.file).expect("read");
    assert!(text.contains(from), "{text}");
    std::fs::write(&env.file, text.replace(from, to)).expect("write");
}

/// `GET /api/v1/snapshot` over the engine's socket, with a plain HTTP/1.0 request.
fn engine_snapshot(socket: &std::path::Path) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket).expect("engine socket");
    stream
        .write_all(b"GET /api/v1/snapshot HTTP/1.0\r\nHost: uc\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

fn pending_hash(status: &serde_json::Value) -> Option<String> {
    status["config"]["pending"]["hash"]
        .as_str()
        .map(str::to_owned)
}

#[test]
fn an_edit_is_offered_and_applying_it_restarts_only_the_changed_service() {
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    let before = env.status();
    let (api, worker) = (Env::pid_of(&before, "api"), Env::pid_of(&before, "worker"));
    assert_eq!(before["config"]["revision"], 1, "{before:#}");

    edit(&env, "LOG_LEVEL: info", "LOG_LEVEL: debug");
    let offered = env.wait_status(T, |s| pending_hash(s).is_some());
    let change = &offered["config"]["pending"]["changes"][0];
    assert_eq!(change["service"], "api");
    assert_eq!(change["fields"][0], "env.LOG_LEVEL");
    assert_eq!(change["acts"], true);
    let diff = offered["config"]["pending"]["diff"].as_str().expect("diff");
    let changed = |sign: char, value: &str| {
        diff.lines()
            .any(|l| l.starts_with(sign) && l.contains(&format!("LOG_LEVEL: {value}")))
    };
    assert!(changed('-', "info") && changed('+', "debug"), "{diff}");
    assert_eq!(Env::pid_of(&offered, "api"), api, "nothing applied yet");

    let dry = env.ok(&["config", "apply", "--dry-run"]);
    assert!(
        dry.contains("changed api: env.LOG_LEVEL (restarts)"),
        "{dry}"
    );
    let out = env.ok(&["config", "apply", "--yes"]);
    assert!(out.contains("restarted api"), "{out}");
    assert!(out.contains("api: running (pid"), "{out}");
    let after = env.status();
    assert_ne!(Env::pid_of(&after, "api"), api, "api restarted");
    assert_eq!(Env::pid_of(&after, "worker"), worker, "worker kept running");
    assert_eq!(after["config"]["revision"], 2);
    assert!(after["config"]["pending"].is_null(), "{after:#}");

    // Invalid: reported with file:line:col, nothing applied, nothing restarted.
    edit(
        &env,
        "command: \"exec sleep 3102\"",
        "comand: \"exec sleep 3102\"",
    );
    let broken = env.wait_status(T, |s| {
        s["config"]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    });
    let error = broken["config"]["errors"][0].as_str().expect("error");
    assert!(error.contains("univers.yaml:"), "{error}");
    assert!(error.contains("comand"), "{error}");
    assert_eq!(Env::pid_of(&broken, "worker"), worker);
    let refused = env.run(&["config", "apply", "--yes"]);
    assert_eq!(refused.status.code(), Some(2), "no edit to apply");

    edit(
        &env,
        "comand: \"exec sleep 3102\"",
        "command: \"exec sleep 3102\"",
    );
    env.wait_status(T, |s| {
        s["config"]["errors"].as_array().is_some_and(Vec::is_empty)
            && s["config"]["pending"].is_null()
    });

    // A rename cannot be applied to the running workspace.
    let text = std::fs::read_to_string(&env.file).expect("read");
    let renamed = text.replacen(&env.workspace, "renamed", 1);
    std::fs::write(&env.file, &renamed).expect("rename");
    // The CLI would now look for an engine named `renamed`: ask the running one directly.
    let socket = env.state.join(&env.workspace).join("engine.sock");
    let start = std::time::Instant::now();
    let refused = loop {
        let snapshot = engine_snapshot(&socket);
        let error = snapshot["config"]["errors"][0].as_str().unwrap_or_default();
        if error.contains("renames the workspace") {
            break snapshot;
        }
        assert!(start.elapsed() < T, "no rename error: {snapshot:#}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(refused["config"]["pending"].is_null());
    std::fs::write(&env.file, text).expect("undo rename");
    env.wait_status(T, |s| {
        s["config"]["errors"].as_array().is_some_and(Vec::is_empty)
    });

    let history = env.ok(&["config", "history", "--json"]);
    let revisions: serde_json::Value = serde_json::from_str(&history).expect("json");
    let reasons: Vec<&str> = revisions
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons, ["edit", "start"]);
    let diff = env.ok(&["config", "diff", "1"]);
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("LOG_LEVEL: debug")),
        "{diff}"
    );

    let restarted = Env::pid_of(&env.status(), "api");
    let out = env.ok(&["config", "revert", "1", "--yes"]);
    assert!(out.contains("restarted api"), "{out}");
    let reverted = env.status();
    assert_ne!(Env::pid_of(&reverted, "api"), restarted);
    assert_eq!(Env::pid_of(&reverted, "worker"), worker);
    assert_eq!(reverted["config"]["revision"], 3);
    // The file still says debug: that is offered as an edit again.
    assert!(pending_hash(&reverted).is_some(), "{reverted:#}");
    let history = env.ok(&["config", "history"]);
    assert!(history.contains("revert 1"), "{history}");
    env.ok(&["down"]);
}

#[test]
fn bad_requests_name_the_field() {
    let env = Env::new(SERVICES);
    let out = env.run(&["config", "revert", "99", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown revision 99"), "{err}");
    let out = env.run(&["env", "use", "prod", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("environment"), "{err}");
    env.ok(&["down"]);
}

#[test]
fn switching_environment_restarts_only_what_the_overlay_changes_and_revert_goes_back() {
    let env = Env::with_settings(SERVICES, "environments: [dev, staging, prod]\n");
    let overlays = env.dir.join("configs/environments");
    std::fs::create_dir_all(&overlays).expect("overlay dir");
    std::fs::write(
        overlays.join("staging.yaml"),
        "services:\n  api:\n    env: { LOG_LEVEL: warn }\n",
    )
    .expect("staging overlay");
    env.ok(&["up"]);
    let dev = env.status();
    assert_eq!(dev["environment"], "dev");
    let (api, worker) = (Env::pid_of(&dev, "api"), Env::pid_of(&dev, "worker"));

    let plan = env.ok(&["env", "use", "staging", "--dry-run"]);
    assert!(plan.contains("dev → staging"), "{plan}");
    assert!(
        plan.contains("changed api: env.LOG_LEVEL (restarts)"),
        "{plan}"
    );
    assert!(!plan.contains("worker"), "{plan}");
    let out = env.ok(&["env", "use", "staging", "--yes"]);
    assert!(out.contains("api: running (pid"), "{out}");
    let staging = env.status();
    assert_eq!(staging["environment"], "staging");
    assert_ne!(Env::pid_of(&staging, "api"), api);
    assert_eq!(Env::pid_of(&staging, "worker"), worker);
    let listed = env.ok(&["env"]);
    assert!(listed.contains("* staging"), "{listed}");
    assert!(listed.contains("prod  (asks for its name)"), "{listed}");

    // Prod asks for its name; without a terminal only --yes goes ahead.
    let refused = env.run(&["env", "use", "prod"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));

    let switched = Env::pid_of(&staging, "api");
    let out = env.ok(&["config", "revert", "1", "--yes"]);
    assert!(out.contains("restarted api"), "{out}");
    let back = env.status();
    assert_eq!(back["environment"], "dev");
    assert_ne!(Env::pid_of(&back, "api"), switched);
    assert_eq!(Env::pid_of(&back, "worker"), worker);
    assert!(
        back["config"]["pending"].is_null(),
        "dev is what the files say"
    );
    let history = env.ok(&["config", "history"]);
    let reasons: Vec<&str> = history
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(5))
        .collect();
    assert_eq!(reasons, ["revert", "switch", "start"], "{history}");
    env.ok(&["down"]);
}
