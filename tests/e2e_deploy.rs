//! End to end: the real `uc` binary's TUI in tmux over a fixture app in a real git repo.
//! v1 is deployed from the CLI; in the TUI, `d` opens the deploys pane, `D` asks naming the
//! service and branch, `y` deploys v2: the pane shows its stages live, the gate running
//! (held by the test) with its checks in the log tail, then the outcome and v1 among the
//! earlier deploys. `R` rolls back to v1 after its own question. A deploy waiting for an
//! approval is approved with `A` after a question naming it.

mod common;

use std::time::Duration;

use common::cli::Screen;
use common::deploy::{HELD_GATE, Repo, free_port, get, held_gate, workspace};

const T: Duration = Duration::from_secs(30);

fn app_row(text: &str) -> String {
    Screen::row(text, "app").unwrap_or_default()
}

#[test]
fn the_deploys_pane_shows_a_deploy_from_the_tui_stage_by_stage_and_rolls_back() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    // The gate passes once `go` exists: the test holds the gate to see it running.
    let go = tmp.path().join("go");
    let env = workspace(&repo, port, HELD_GATE);
    let gate_sh = held_gate(port, &go);
    repo.commit("v1", "ok", &gate_sh);
    std::fs::write(&go, "").expect("go");
    env.ok(&["deploy", "app"]);
    std::fs::remove_file(&go).expect("hold the gate");
    repo.commit("v2", "ok", &gate_sh);

    let screen = Screen::shell(&env);
    let uc = env!("CARGO_BIN_EXE_uc");
    screen.type_line(&format!("{uc} -f '{}'", env.file.display()));
    screen.wait_for("Services", T);
    screen.keys(&["d"]);
    screen.wait("v1's deploy in the pane", T, |t| {
        t.contains("Deploys") && app_row(t).contains("succeeded")
    });

    screen.keys(&["D"]);
    let text = screen.wait_for("Deploy app?", T);
    assert!(text.contains("service: app"), "{text}");
    assert!(
        text.contains("branch: its deploy's branch (last deployed: main)"),
        "{text}"
    );
    screen.keys(&["y"]);
    // The gate's checks reach the log tail while it runs.
    let text = screen.wait("the gate running, its failed checks in the log", T, |t| {
        t.contains("▶ gate") && t.contains("exec sh gate.sh: ") && app_row(t).contains("running")
    });
    for stage in ["✓ fetch", "✓ build", "✓ switch"] {
        assert!(text.contains(stage), "{stage}:\n{text}");
    }

    std::fs::write(&go, "").expect("go");
    let text = screen.wait("v2 deployed", T, |t| {
        app_row(t).contains("succeeded") && t.contains("✓ gate") && t.contains("earlier")
    });
    assert!(
        text.contains("#1   succeeded"),
        "v1 among the earlier deploys:\n{text}"
    );
    assert_eq!(get(port), Some((200, "v2".into())));

    screen.keys(&["R"]);
    let text = screen.wait_for("Roll app back?", T);
    assert!(text.contains("service: app"), "{text}");
    screen.keys(&["y"]);
    screen.wait("the rollback done", T, |t| {
        let row = app_row(t);
        row.contains("rollback by") && row.contains("succeeded")
    });
    assert_eq!(get(port), Some((200, "v1".into())));
    screen.keys(&["q"]);
    env.ok(&["down"]);
}

/// A prod stage with `approve: deployer`: v1 waits in the real TUI's deploys pane, `A` asks
/// naming the deploy and `y` approves it; it goes live and the pane says who approved.
#[test]
fn a_deploy_waiting_for_an_approval_is_approved_from_the_deploys_pane() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let pipeline = "      gate: { passes: 1, interval: 100ms, timeout: 10s }
      pipeline:
        - { environment: prod, approve: deployer }
";
    let services = format!(
        "  app:
    command: exec python3 app.py
    env: {{ PORT: {port} }}
    readiness: {{ http: http://127.0.0.1:{port}/up }}
    deploy:
      repo: {}
{pipeline}",
        repo.dir.display()
    );
    let env = common::cli::Env::with_settings(&services, "environments: [prod]\n");
    repo.commit("v1", "ok", "");
    let out = env.ok(&["deploy", "app"]);
    assert!(out.contains("waiting for a deployer's approval"), "{out}");

    let screen = Screen::shell(&env);
    let uc = env!("CARGO_BIN_EXE_uc");
    screen.type_line(&format!("{uc} -f '{}'", env.file.display()));
    screen.wait_for("Services", T);
    screen.keys(&["d"]);
    screen.wait("the deploy waiting in the pane", T, |t| {
        app_row(t).contains("waiting") && t.contains("▶ approval") && t.contains("A approves")
    });
    screen.keys(&["A"]);
    let text = screen.wait_for("Approve deploy 1 of app?", T);
    assert!(text.contains("service: app"), "{text}");
    screen.keys(&["y"]);
    let user = univers_container::store::audit::local_user();
    screen.wait("v1 approved and deployed", T, |t| {
        app_row(t).contains("succeeded") && t.contains(&format!("approved by {user}"))
    });
    assert_eq!(get(port), Some((200, "v1".into())));
    screen.keys(&["q"]);
    env.ok(&["down"]);
}
