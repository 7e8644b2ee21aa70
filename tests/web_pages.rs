//! The alerts, configuration and terminal pages in a real browser against the built
//! `uc serve` and a real engine in tmux (`web/tests/pages.mjs`): a rule that fires for real
//! is acknowledged, silenced from its prefilled form and the silence expired; the workspace
//! switches to prod once its name is typed; a broken file's problems show at file:line:col;
//! a viewer's buttons are disabled and the API refuses them; axe-core finds no serious or
//! critical violation. Screenshots go to the test's scratch dir, or to `UC_SCREENSHOTS`
//! (`UC_SCREENSHOTS=$PWD/assets/screenshots/web cargo test --test web_pages` refreshes the
//! README's).

mod common;

use std::time::Duration;

use common::browser::{drive, screenshots_dir};
use common::cli::Env;
use common::serve::{Serve, token, wait_audit};
use serde_json::Value;

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3403"
"#;

const RULE: &str = "ApiUp";

/// Environments dev and prod (prod asks for its name), alerting on a rule that holds while
/// api runs, and a webhook channel nothing listens to (its health shows the failure).
fn workspace() -> Env {
    let env = Env::with_settings(
        SERVICES,
        "environments: [dev, prod]\nmetrics: { interval: 500ms }\n\
         alerts: { rules: rules.yaml, channels: channels.yaml }\n",
    );
    let rules = format!(
        "rules:\n  - name: {RULE}\n    expr: service_up{{service=\"api\"}}\n    severity: warning\n    \
         annotations:\n      summary: \"api is up\"\n"
    );
    std::fs::write(env.dir.join("rules.yaml"), rules).expect("rules");
    let port = common::receivers::free_port();
    let channels = format!(
        "channels:\n  hook: {{ type: webhook, url: \"http://127.0.0.1:{port}/hook\", secret: s3cret }}\n\
         route:\n  channels: [hook]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n"
    );
    std::fs::write(env.dir.join("channels.yaml"), channels).expect("channels");
    env
}

#[test]
fn alerts_and_configuration_pages_act_as_the_role_allows() {
    let env = workspace();
    env.ok(&["up"]);
    let running = |s: &Value| Env::service(s, "api")["state"] == "running";
    env.wait_status(Duration::from_secs(20), running);
    let deployer = token(&env, "deploy", "deployer", &[]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let shots = screenshots_dir();
    let url = serve.url("");
    let results = drive(
        &env,
        "pages.mjs",
        &[
            ("UC_URL", &url),
            ("UC_WORKSPACE", &env.workspace),
            ("UC_RULE", RULE),
            ("UC_DEPLOYER_TOKEN", &deployer),
            ("UC_VIEWER_TOKEN", &viewer),
            ("UC_SCREENSHOTS", &shots),
        ],
    );
    println!("axe findings below serious, by page: {}", results["axe"]);

    let status = env.status();
    assert_eq!(status["environment"], "prod", "{status}");
    wait_audit(&env, |rows| {
        let has = |method: &str, tail: &str, actor: &str, outcome: &str| {
            rows.iter().any(|r| {
                r.method == method
                    && r.route.contains(tail)
                    && r.actor == actor
                    && r.outcome.contains(outcome)
            })
        };
        has("POST", "/ack", "deploy", "ok")
            && has("POST", "/silences", "deploy", "ok")
            && has("DELETE", "/silences/", "deploy", "ok")
            && has("POST", "/environments/prod/switch", "deploy", "ok")
            && has(
                "POST",
                "/environments/dev/switch",
                "watch",
                "needs role deployer",
            )
    });
}
