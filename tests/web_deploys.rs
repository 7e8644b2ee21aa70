//! The deploys page in a real browser (`web/tests/deploys.mjs`) against the built `uc serve`
//! and a real engine deploying the fixture app from a real git repository: v1 deployed from
//! the CLI, then from the page v2 (its stages live, the gate held by the test), v3 (exits in
//! its soak: rolled back, the cause shown) and a rollback to v1; a viewer's buttons are
//! disabled naming `deployer`. Screenshots go to the test's scratch dir or `UC_SCREENSHOTS`.

mod common;

use common::browser::{drive, screenshots_dir};
use common::deploy::{Repo, free_port, get, held_gate, workspace, workspace_with};
use common::serve::{Serve, token, wait_audit};

/// The release's `gate.sh`, once, then a 2 s soak the page can be seen running.
const GATE: &str = "      gate: { exec: sh gate.sh, passes: 1, interval: 100ms, timeout: 60s }\n      \
                    soak: 2s\n";

#[test]
fn the_deploys_page_deploys_live_shows_the_rollback_cause_and_needs_deployer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let go = tmp.path().join("go");
    let env = workspace(&repo, port, GATE);
    let gate_sh = held_gate(port, &go);
    repo.commit("v1", "ok", &gate_sh);
    std::fs::write(&go, "").expect("go");
    env.ok(&["deploy", "app"]);
    assert_eq!(get(port), Some((200, "v1".into())));
    // The page deploys by tag; the gate is held until the browser has seen it running.
    std::fs::remove_file(&go).expect("hold the gate");
    repo.commit("v2", "ok", &gate_sh);
    repo.git(&["tag", "v2"]);
    repo.commit("v3", "exit-after:1", &gate_sh);
    repo.git(&["tag", "v3"]);

    let deployer = token(&env, "deploy", "deployer", &[]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let (url, shots) = (serve.url(""), screenshots_dir());
    let go_path = go.display().to_string();
    let results = drive(
        &env,
        "deploys.mjs",
        &[
            ("UC_URL", &url),
            ("UC_WORKSPACE", &env.workspace),
            ("UC_SERVICE", "app"),
            ("UC_GO", &go_path),
            ("UC_DEPLOYER_TOKEN", &deployer),
            ("UC_VIEWER_TOKEN", &viewer),
            ("UC_SCREENSHOTS", &shots),
        ],
    );
    println!(
        "FIGURE page opened to its row: {} ms; deploy confirmed to its first stage in the DOM: \
         {} ms; stages seen: {}; cause: {}; refusal: {}; axe findings below serious: {}",
        results["open_to_row_ms"],
        results["deploy_click_to_stage_ms"],
        results["stages_seen"],
        results["cause"],
        results["refusal"],
        results["axe"]
    );

    // The rollback from the page went back to v1, which serves.
    assert_eq!(get(port), Some((200, "v1".into())));
    wait_audit(&env, |rows| {
        let has = |tail: &str, actor: &str, outcome: &str| {
            rows.iter().any(|r| {
                r.method == "POST"
                    && r.route.ends_with(tail)
                    && r.actor == actor
                    && r.outcome.contains(outcome)
            })
        };
        has("/services/app/deploy", "deploy", "ok")
            && has("/services/app/rollback", "deploy", "ok")
            && has("/services/app/deploy", "watch", "needs role deployer")
    });
    env.ok(&["down"]);
}

/// A pipeline stage with `approve: deployer` at this host's environment: an operator sees the
/// deploy waiting with its buttons disabled; a deployer approves it from the page (v1 goes
/// live), deploys v2, which waits too, and rejects it (v1 keeps serving). Both decisions are
/// audited with the deployer's name.
#[test]
fn the_deploys_page_approves_and_rejects_a_waiting_deploy() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = Repo::new(tmp.path());
    let port = free_port();
    let deploy = "      gate: { passes: 1, interval: 100ms, timeout: 30s }
      pipeline:
        - { environment: prod, approve: deployer }
";
    let env = workspace_with(&repo, port, deploy, "environments: [prod]\n");
    repo.commit("v1", "ok", "");
    let out = env.ok(&["deploy", "app"]);
    assert!(out.contains("waiting for a deployer's approval"), "{out}");
    repo.commit("v2", "ok", "");
    repo.git(&["tag", "v2"]);

    let deployer = token(&env, "deploy", "deployer", &[]);
    let operator = token(&env, "olga", "operator", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let url = serve.url("");
    let results = drive(
        &env,
        "deploys_approve.mjs",
        &[
            ("UC_URL", &url),
            ("UC_WORKSPACE", &env.workspace),
            ("UC_SERVICE", "app"),
            ("UC_DEPLOYER_TOKEN", &deployer),
            ("UC_OPERATOR_TOKEN", &operator),
        ],
    );
    println!(
        "FIGURE approve confirmed to succeeded on the page: {} ms; {}; {}",
        results["approve_to_succeeded_ms"], results["approval"], results["rejection"]
    );
    assert_eq!(get(port), Some((200, "v1".into())), "v2 was rejected");
    wait_audit(&env, |rows| {
        let has = |tail: &str| {
            rows.iter().any(|r| {
                r.method == "POST"
                    && r.route.ends_with(tail)
                    && r.actor == "deploy"
                    && r.outcome.contains("ok")
            })
        };
        has("/services/app/approve") && has("/services/app/reject")
    });
    env.ok(&["down"]);
}
