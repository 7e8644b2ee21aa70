//! Cross-workspace dependencies with real engines: two workspaces sharing one state dir,
//! each with its own engine and private tmux server. `hvac`'s api waits for `operation`'s db
//! to be healthy through operation's engine, and stopping db warns about hvac/api.

mod common;

use std::time::Duration;

use common::cli::{Env, Screen};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

fn state(status: &Value, name: &str) -> String {
    Env::service(status, name)["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn reason(status: &Value, name: &str) -> String {
    Env::service(status, name)["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn another_workspace_s_service_gates_the_start_and_its_stop_warns() {
    // db turns healthy once `ready` exists in its workspace dir.
    let operation = Env::new(
        "  db:\n    command: sleep 600\n    readiness: { exec: \"test -f ready\", interval: 100ms }\n",
    );
    let op = operation.workspace.clone();
    let mut hvac = Env::new(&format!(
        "  api:\n    command: sleep 600\n    depends_on: {{ {op}/db: healthy }}\n"
    ));
    hvac.state = operation.state.clone();
    let hv = hvac.workspace.clone();

    // operation's engine is not running: api waits and says why, and nothing starts it.
    hvac.ok(&["up", "api", "--no-wait"]);
    let not_running = format!("waiting for {op}/db: workspace {op} not running");
    let status = hvac.wait_status(WAIT, |s| reason(s, "api") == not_running);
    assert_eq!(state(&status, "api"), "starting");
    assert!(
        !operation.state.join(&op).join("engine.sock").exists(),
        "operation's engine was started by hvac's"
    );

    // Its engine up and db running but not healthy yet: api still waits, for the condition.
    operation.ok(&["up", "db"]);
    let pending = format!("waiting for {op}/db (healthy)");
    hvac.wait_status(WAIT, |s| reason(s, "api") == pending);
    assert_eq!(state(&hvac.status(), "api"), "starting");

    // Its engine killed: api says so and keeps waiting; a new engine (adopting db) is read.
    let engine = operation.status()["engine"]["pid"]
        .as_i64()
        .expect("engine pid");
    let engine = nix::unistd::Pid::from_raw(engine as i32);
    nix::sys::signal::kill(engine, nix::sys::signal::Signal::SIGKILL).expect("kill engine");
    hvac.wait_status(WAIT, |s| reason(s, "api") == not_running);
    operation.ok(&["up", "db"]);
    hvac.wait_status(WAIT, |s| reason(s, "api") == pending);
    assert_eq!(state(&hvac.status(), "api"), "starting");

    // Healthy over there: api starts here.
    std::fs::write(operation.dir.join("ready"), "").expect("ready");
    hvac.wait_status(WAIT, |s| state(s, "api") == "running");
    assert_eq!(state(&operation.status(), "db"), "running");

    // The link shows in both: the dependent names operation/db, the provider hvac/api.
    let text = hvac.ok(&["status"]);
    assert!(text.contains(&format!("api depends on {op}/db")), "{text}");
    let needed = operation.wait_status(WAIT, |s| {
        Env::service(s, "db")["needed_by"]
            == serde_json::json!([{"service": format!("{hv}/api"), "active": true}])
    });
    assert_eq!(state(&needed, "db"), "running");
    let text = operation.ok(&["status"]);
    assert!(text.contains(&format!("db needed by {hv}/api")), "{text}");

    // Stopping db warns about hvac/api; the stop goes ahead, hvac's api is left running.
    let out = operation.run(&["down", "db"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: {hv}/api depends on db (workspace {hv} keeps it running)"
        )),
        "{stderr}"
    );
    assert_eq!(state(&operation.status(), "db"), "stopped");
    assert_eq!(state(&hvac.status(), "api"), "running");

    hvac.ok(&["down"]);
    operation.ok(&["down"]);
}

/// The provider's TUI shows who elsewhere needs db, and its stop confirmation lists them.
#[test]
fn the_provider_s_tui_shows_the_dependent_and_confirms_the_stop() {
    let operation = Env::new("  db:\n    command: sleep 600\n");
    let op = operation.workspace.clone();
    let mut hvac = Env::new(&format!(
        "  api:\n    command: sleep 600\n    depends_on: [{op}/db]\n"
    ));
    hvac.state = operation.state.clone();
    let hv = hvac.workspace.clone();
    operation.ok(&["up", "db"]);
    hvac.ok(&["up", "api"]);
    operation.wait_status(WAIT, |s| {
        Env::service(s, "db")["needed_by"][0]["service"] == format!("{hv}/api").as_str()
    });

    let screen = Screen::shell(&operation);
    screen.type_line(&format!(
        "{} -f {}; echo UC-EXITED",
        env!("CARGO_BIN_EXE_uc"),
        operation.file.display()
    ));
    screen.wait_for("engine connected", WAIT);
    screen.keys(&["i"]);
    screen.wait_for(&format!("needed by {hv}/api"), WAIT);
    screen.keys(&["x"]);
    screen.wait_for(
        &format!("{hv}/api depends on db (workspace {hv} keeps it running)"),
        WAIT,
    );
    screen.keys(&["y"]);
    screen.wait("db stopped", WAIT, |t| {
        Screen::row(t, "db").is_some_and(|r| r.contains("stopped"))
    });
    assert_eq!(state(&hvac.status(), "api"), "running");
    screen.keys(&["q"]);
    screen.wait_for("UC-EXITED", WAIT);
}
