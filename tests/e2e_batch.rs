//! Batch operations end to end: the real `uc` in a tmux pane, services marked with space
//! and stopped with one confirmation; `--dry-run` printing the plan and changing nothing;
//! `--workspace` reaching a workspace from another directory.

mod common;

use std::process::Output;
use std::time::Duration;

use common::cli::{Env, Screen};

const T: Duration = Duration::from_secs(20);

/// web → api-a → db, api-b → db, cache (tagged data), solo.
const SERVICES: &str = r#"
  db:
    command: "exec sleep 3101"
  cache:
    command: "exec sleep 3102"
    tags: [data]
  api-a:
    command: "exec sleep 3103"
    depends_on: { db: started }
  api-b:
    command: "exec sleep 3104"
    depends_on: { db: started }
  web:
    command: "exec sleep 3105"
    depends_on: { api-a: started }
  solo:
    command: "exec sleep 3106"
"#;

const ALL: [&str; 6] = ["db", "cache", "api-a", "api-b", "web", "solo"];

fn row_has(text: &str, service: &str, word: &str) -> bool {
    Screen::row(text, service).is_some_and(|r| r.contains(word))
}

/// Each service's (state, pid).
fn states(env: &Env) -> Vec<(String, String, Option<u64>)> {
    let status = env.status();
    ALL.iter()
        .map(|name| {
            let s = Env::service(&status, name);
            (
                name.to_string(),
                s["state"].as_str().unwrap_or_default().to_string(),
                s["pid"].as_u64(),
            )
        })
        .collect()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `uc ARGS` run from a directory holding no workspace, naming one with `--workspace`.
fn elsewhere(env: &Env, args: &[&str]) -> Output {
    let other = tempfile::tempdir().expect("tempdir");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_uc"));
    cmd.args(args).current_dir(other.path());
    cmd.env_remove("TMUX").env_remove("TMUX_PANE");
    for (k, v) in env.envs() {
        cmd.env(k, v);
    }
    cmd.output().expect("run uc")
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    let before = states(&env);
    assert!(before.iter().all(|(_, state, _)| state == "running"));

    let out = env.ok(&["down", "--dry-run", "api-*", "@data"]);
    assert_eq!(
        out,
        "dry run: stop 4 service(s) in workspace WS, in this order:
  1. stop web (depends on api-a)
  2. stop api-b
  3. stop api-a
  4. stop cache
warning: web is not named but depends on a service that stops: it stops too
nothing was changed
"
        .replace("WS", &env.workspace)
    );
    let ws = env.workspace.clone();
    let (out, _) = text(&elsewhere(
        &env,
        &["restart", "--dry-run", "--workspace", &ws, "web", "solo"],
    ));
    assert!(
        out.contains("  1. restart web\n  2. restart solo\n"),
        "{out}"
    );
    let (out, _) = text(&elsewhere(&env, &["up", "--dry-run", "-w", &ws, "solo"]));
    assert!(out.contains("dry run: nothing to start") && out.contains("already running: solo"));

    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["down", "--dry-run", "--json", "web", "@data"])).unwrap();
    assert_eq!(json["workspace"], env.workspace.as_str());
    assert_eq!(json["plan"]["verb"], "stop");
    assert_eq!(
        json["plan"]["selected"],
        serde_json::json!(["cache", "web"])
    );
    assert_eq!(
        json["plan"]["steps"],
        serde_json::json!([
            {"service": "web", "verb": "stop", "why": "selected"},
            {"service": "cache", "verb": "stop", "why": "selected"},
        ])
    );

    let refused = env.run(&["down", "--dry-run", "solo", "nope-*"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).1.contains("no service matches `nope-*`"));
    let refused = env.run(&["restart", "@nothing"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).1.contains("no service is tagged `nothing`"));

    assert_eq!(states(&env), before, "a dry run changes nothing");

    // The same selection for real, from elsewhere: what the plan said stops, nothing else.
    let out = elsewhere(&env, &["down", "--workspace", &ws, "api-*", "@data"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("web is not named but depends on a service that stops"));
    let after = states(&env);
    for ((name, state, pid), (_, _, pid_before)) in after.iter().zip(&before) {
        if ["web", "api-b", "api-a", "cache"].contains(&name.as_str()) {
            assert_eq!(state, "stopped", "{name}: {after:?}");
        } else {
            assert_eq!((state.as_str(), pid), ("running", pid_before), "{name}");
        }
    }
    env.ok(&["down"]);
}

#[test]
fn marked_services_stop_together_after_one_confirmation() {
    let env = Env::new(SERVICES);
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    screen.wait("all running", T, |t| {
        ALL.iter().all(|s| row_has(t, s, "running"))
    });
    let before = states(&env);

    // Rows: db, cache, api-a, api-b, web, solo. Mark cache, api-a and solo.
    screen.keys(&["j", "Space", "Space", "j", "j", "Space"]);
    screen.wait("three marks", T, |t| t.contains("3 marked"));
    screen.keys(&["x"]);
    let text = screen.wait("the confirmation", T, |t| t.contains("Stop 4 services?"));
    assert!(
        text.contains("web is not marked but depends on one that stops"),
        "{text}"
    );
    let order: Vec<&str> = [
        "stop web (depends on api-a)",
        "stop solo",
        "stop api-a",
        "stop cache",
    ]
    .into_iter()
    .filter(|line| text.contains(line))
    .collect();
    assert_eq!(order.len(), 4, "every step listed:\n{text}");
    let at = |line: &str| text.find(line).expect("listed");
    assert!(
        at("stop web") < at("stop api-a"),
        "dependents first:\n{text}"
    );
    screen.keys(&["y"]);
    screen.wait("the batch stopped", T, |t| {
        ["cache", "api-a", "solo", "web"]
            .iter()
            .all(|s| row_has(t, s, "stopped"))
            && !t.contains("marked")
    });

    let after = states(&env);
    for ((name, state, pid), (_, _, pid_before)) in after.iter().zip(&before) {
        if ["cache", "api-a", "solo", "web"].contains(&name.as_str()) {
            assert_eq!(state, "stopped", "{name}: {after:?}");
        } else {
            assert_eq!((state.as_str(), pid), ("running", pid_before), "{name}");
        }
    }
    // One audit record for the batch, from the TUI, naming the marked services.
    let audit = std::fs::read_to_string(env.state.join(&env.workspace).join("audit.jsonl"))
        .expect("audit log");
    let batch: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("\"target\":\"cache,api-a,solo\""))
        .collect();
    assert_eq!(batch.len(), 1, "{audit}");
    assert!(batch[0].contains("\"via\":\"tui\"") && batch[0].contains("commands stop"));
    screen.keys(&["q"]);
    env.ok(&["down"]);
}
