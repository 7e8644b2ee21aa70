//! `access:` with real Unix users: the engine runs as root (its owner), a second user
//! granted `viewer` sees the status and is refused every change, one granted nothing
//! cannot connect, and an environment's rule decides over the usual role. Every refusal is
//! in the audit log.

mod common;

use std::time::{Duration, Instant};

use common::cli::{Env, Screen};
use common::users::{UnixGroup, UnixUser, open_to_others};

const SERVICES: &str = "  api: { command: sleep 600 }\n  worker: { command: sleep 600 }\n";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Waits until the workspace's audit log has a denied line of `actor` with `reason`.
fn wait_denial(env: &Env, actor: &str, reason: &str) -> serde_json::Value {
    let file = env.state.join(&env.workspace).join("audit.jsonl");
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let found = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|r| r["actor"] == actor && r["outcome"] == "denied" && r["reason"] == reason);
        if let Some(record) = found {
            return record;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no denial of {actor} ({reason}) in {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_viewer_sees_the_status_and_changes_nothing_and_others_get_nothing() {
    let team = UnixGroup::new("g");
    let viewer = UnixUser::new("v", &[&team]);
    let stranger = UnixUser::new("s", &[]);
    let member = UnixUser::new("m", &[&team]);
    let access = format!(
        "access:\n  group: {}\n  users:\n    {}: viewer\n",
        team.name, viewer.name
    );
    let env = Env::with_settings(SERVICES, &access);
    open_to_others(&env);
    env.ok(&["up"]);

    let status = viewer.uc(&env, &["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(text.contains("api") && text.contains("running"), "{text}");

    for args in [&["down", "api"][..], &["down"]] {
        let out = viewer.uc(&env, args);
        assert_eq!(out.status.code(), Some(4), "uc {args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("permission denied: viewer may not stop"),
            "{}",
            stderr(&out)
        );
    }
    let record = wait_denial(&env, &viewer.name, "permission denied: viewer may not stop");
    assert_eq!(record["via"], "cli");
    assert_eq!(record["status"], 403);
    let status = env.status();
    assert_eq!(Env::service(&status, "api")["state"], "running");

    let out = stranger.uc(&env, &["status"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot connect to the shared workspace's engine"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );

    // In the socket's group but granted nothing: connected, and refused everything.
    let out = member.uc(&env, &["status"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let refusal = format!(
        "permission denied: {} has no role in workspace {}",
        member.name, env.workspace
    );
    assert!(stderr(&out).contains(&refusal), "{}", stderr(&out));
    wait_denial(&env, &member.name, &refusal);
    env.ok(&["down"]);
}

#[test]
fn an_environment_rule_names_itself_when_it_refuses() {
    let team = UnixGroup::new("g");
    let operator = UnixUser::new("o", &[&team]);
    let access = format!(
        "environments: [prod, dev]\naccess:\n  groups:\n    {}: operator\n  environments:\n    prod: {{ stop: deployer, switch: deployer }}\n",
        team.name
    );
    let env = Env::with_settings(SERVICES, &access);
    open_to_others(&env);
    env.ok(&["up"]);
    let before = Env::pid_of(&env.status(), "api");

    let out = operator.uc(&env, &["restart", "api"]);
    assert!(out.status.success(), "{}", stderr(&out));
    env.wait_status(Duration::from_secs(20), |s| {
        Env::service(s, "api")["state"] == "running" && Env::pid_of(s, "api") != before
    });

    let reason = "permission denied: in prod, stop needs deployer (access.environments.prod.stop)";
    let out = operator.uc(&env, &["down", "worker"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains(reason), "{}", stderr(&out));
    wait_denial(&env, &operator.name, reason);

    // An applied edit of `access:` is in force at once.
    let yaml = std::fs::read_to_string(&env.file).unwrap();
    std::fs::write(&env.file, yaml.replace("stop: deployer", "stop: operator")).unwrap();
    env.wait_status(T, |s| !s["config"]["pending"].is_null());
    env.ok(&["config", "apply", "--yes"]);
    let out = operator.uc(&env, &["down", "worker"]);
    assert!(out.status.success(), "{}", stderr(&out));
    env.ok(&["down"]);
}

#[test]
fn access_errors_name_the_line_and_column() {
    let env = Env::with_settings(
        SERVICES,
        "environments: [dev]\naccess:\n  group: team\n  users:\n    ana: viwer\n  environments:\n    prd: { stpo: admin }\n",
    );
    let out = env.run(&["config", "check"]);
    assert!(!out.status.success());
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    for expected in [
        "univers.yaml:10:10",
        "unknown role `viwer`",
        "unknown environment `prd`",
        "unknown action `stpo`",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
}

const T: Duration = Duration::from_secs(20);

fn api_running(text: &str) -> bool {
    Screen::row(text, "api").is_some_and(|row| row.contains("running"))
}

#[test]
fn the_tui_of_a_viewer_and_of_read_only_hides_and_refuses_stop() {
    let team = UnixGroup::new("g");
    let viewer = UnixUser::new("v", &[&team]);
    let access = format!(
        "access:\n  group: {}\n  users:\n    {}: viewer\n",
        team.name, viewer.name
    );
    let env = Env::with_settings(SERVICES, &access);
    open_to_others(&env);
    env.ok(&["up"]);

    let screen = Screen::shell(&env);
    // Plain `uc`, as a user runs it: the TUI of a shared workspace runs in place.
    screen.type_line(&format!("{}; echo UC-EXITED", viewer.uc_line(&env, "")));
    let text = screen.wait("api running", T, api_running);
    let footer = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    assert!(
        !footer.contains("stop") && footer.contains("help"),
        "{footer}"
    );
    screen.keys(&["x"]);
    screen.wait_for("permission denied: viewer may not stop", T);
    nothing_denied(&env);
    screen.keys(&["q"]);
    screen.wait_for("UC-EXITED", T);
    screen.clear();

    // The owner, read-only: the same screen, and the engine holds the CLI to viewer too.
    let uc = format!("{} -f {}", env!("CARGO_BIN_EXE_uc"), env.file.display());
    screen.type_line(&format!("env -u TMUX {uc} --read-only; echo UC-EXITED"));
    screen.wait("api running", T, api_running);
    screen.keys(&["x"]);
    screen.wait_for("permission denied: viewer may not stop", T);
    screen.keys(&["q"]);
    screen.wait_for("UC-EXITED", T);
    let out = env.run(&["--read-only", "down", "api"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("permission denied: viewer may not stop"));
    let status = env.status();
    assert_eq!(Env::service(&status, "api")["state"], "running");
    env.ok(&["down"]);
}

/// The TUI refuses before asking: nothing reached the engine, so nothing was audited.
fn nothing_denied(env: &Env) {
    let file = env.state.join(&env.workspace).join("audit.jsonl");
    let text = std::fs::read_to_string(file).unwrap_or_default();
    assert!(!text.contains("\"denied\""), "{text}");
}
