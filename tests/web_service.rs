//! The dashboard's charts, the service page, the keys and the themes in a real browser
//! against the built `uc serve` and a real engine in tmux (`web/tests/service.mjs`): the
//! sparklines and host charts draw real samples and follow the window switch, beside the
//! firing alert and the active environment (prod, in its own colour); `j`/`k`/Enter
//! reach the service page, where stop and start (button and key) show within a second and a
//! restart by the policy shows in the heal history as it happens; `x` on a service others
//! depend on warns first; a viewer's keys and buttons do nothing while the API refuses; the
//! dark theme toggles and stays; axe-core finds no serious or critical violation in either
//! theme; nothing scrolls sideways at 390 px. Screenshots go to the test's scratch dir, or to
//! `UC_SCREENSHOTS` (`UC_SCREENSHOTS=$PWD/assets/screenshots/web cargo test --test
//! web_service` refreshes the README's).

mod common;

use std::time::Duration;

use common::browser::{drive, screenshots_dir};
use common::cli::Env;
use common::serve::{Serve, token, wait_audit};
use serde_json::Value;

const SERVICES: &str = r#"
  db:
    command: "exec sleep 3411"
    readiness: { exec: "true", interval: 1s }
  api:
    command: "exec sleep 3412"
    depends_on: [db]
  web:
    command: "while true; do echo web says hello; sleep 0.3; done"
    restart: always
"#;

/// From the click (or key) to the page showing the change.
const BUDGET_MS: f64 = 1000.0;

#[test]
fn the_service_page_charts_and_keys_act_as_the_role_allows() {
    // prod first: the active environment, shown in its own colour; a rule that holds while
    // api runs, so the dashboard has a firing alert to show.
    let env = Env::with_settings(
        SERVICES,
        "environments: [prod, dev]\nmetrics: { interval: 500ms }\nalerts: { rules: rules.yaml }\n",
    );
    let rules = "rules:\n  - name: ApiUp\n    expr: service_up{service=\"api\"}\n    severity: warning\n    \
                 annotations:\n      summary: \"api is up\"\n";
    std::fs::write(env.dir.join("rules.yaml"), rules).expect("rules");
    env.ok(&["up"]);
    let running = |s: &Value| {
        ["db", "api", "web"]
            .iter()
            .all(|name| Env::service(s, name)["state"] == "running")
    };
    env.wait_status(Duration::from_secs(20), running);
    let operator = token(&env, "ops", "operator", &[]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let shots = screenshots_dir();
    let url = serve.url("");
    let results = drive(
        &env,
        "service.mjs",
        &[
            ("UC_URL", &url),
            ("UC_WORKSPACE", &env.workspace),
            ("UC_OPERATOR_TOKEN", &operator),
            ("UC_VIEWER_TOKEN", &viewer),
            ("UC_SCREENSHOTS", &shots),
        ],
    );
    for key in ["stop_ms", "start_ms"] {
        let ms = results[key].as_f64().unwrap_or(f64::MAX);
        assert!(ms < BUDGET_MS, "{key}: {ms} ms to the DOM");
    }
    println!("results: {results}");

    env.wait_status(Duration::from_secs(10), running);
    wait_audit(&env, |rows| {
        let has = |route: &str, actor: &str, outcome: &str| {
            rows.iter().any(|r| {
                r.method == "POST"
                    && r.route == route
                    && r.actor == actor
                    && r.outcome.contains(outcome)
            })
        };
        has("/api/v1/services/web/stop", "ops", "ok")
            && has("/api/v1/services/web/start", "ops", "ok")
            && has(
                "/api/v1/services/web/restart",
                "watch",
                "needs role operator",
            )
    });
    let status = env.status();
    assert_eq!(
        Env::service(&status, "db")["state"],
        "running",
        "the warning was cancelled"
    );
}
