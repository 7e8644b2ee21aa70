//! The web page in a real browser against the built `uc serve` and a real engine in tmux:
//! Debian's chromium driven by `web/tests/dashboard.mjs` (playwright-core from `web/`'s
//! lock file). Sign in as an operator, see the services live, stop and start one and see
//! each change in the DOM within a second of the click; a cookie without the CSRF token
//! changes nothing; a viewer's buttons are disabled and the API refuses them; sign out.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::cli::Env;
use common::serve::{Serve, token, wait_audit};
use serde_json::Value;

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3401"
  web:
    command: "exec sleep 3402"
"#;

/// From the click to the state cell showing the change.
const BUDGET_MS: f64 = 1000.0;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser test needs chromium and `web/node_modules`, which `.ci/run` installs: without
/// them it fails, saying so, rather than passing without having run.
fn web_dir() -> PathBuf {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let missing: Vec<&str> = [
        (
            Path::new(CHROMIUM).exists(),
            "chromium (apt-get install chromium)",
        ),
        (
            web.join("node_modules/playwright-core").exists(),
            "web/node_modules (npm ci in web/)",
        ),
        (
            Command::new("node").arg("--version").output().is_ok(),
            "node",
        ),
    ]
    .into_iter()
    .filter_map(|(present, what)| (!present).then_some(what))
    .collect();
    assert!(
        missing.is_empty(),
        "the browser test needs {}: run `bash .ci/run`, which installs them",
        missing.join(", ")
    );
    web
}

#[test]
fn the_dashboard_shows_services_live_and_acts_as_the_role_allows() {
    let web = web_dir();
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    let running = |s: &Value| {
        ["api", "web"]
            .iter()
            .all(|name| Env::service(s, name)["state"] == "running")
    };
    env.wait_status(Duration::from_secs(20), running);
    let operator = token(&env, "ops", "operator", &[]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);

    let out = Command::new("node")
        .arg(web.join("tests/dashboard.mjs"))
        .current_dir(&web)
        .env("UC_URL", serve.url(""))
        .env("UC_WORKSPACE", &env.workspace)
        .env("UC_SERVICE", "web")
        .env("UC_OPERATOR_TOKEN", &operator)
        .env("UC_VIEWER_TOKEN", &viewer)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed:\n{stdout}{stderr}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    let times: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    for key in ["stop_ms", "start_ms"] {
        let ms = times[key].as_f64().unwrap_or(f64::MAX);
        assert!(ms < BUDGET_MS, "{key}: {ms} ms from the click to the DOM");
    }
    println!("from the click to the DOM: {times}");

    // What the page did reached the engine, and serve recorded who did it and what it
    // refused.
    env.wait_status(Duration::from_secs(10), running);
    let rows = wait_audit(&env, |rows| {
        let has = |method: &str, route: &str, actor: &str, outcome: &str| {
            rows.iter().any(|r| {
                r.method == method
                    && r.route == route
                    && r.actor == actor
                    && r.outcome.contains(outcome)
            })
        };
        let stop = "/api/v1/services/web/stop";
        has("POST", "/api/v1/session", "ops", "signed in")
            && has("POST", "/api/v1/session", "watch", "signed in")
            && has("POST", stop, "ops", "ok")
            && has("POST", "/api/v1/services/web/start", "ops", "ok")
            && has("POST", stop, "ops", "CSRF")
            && has("POST", stop, "watch", "needs role operator")
            && has("DELETE", "/api/v1/session", "ops", "signed out")
    });
    let secrets = [operator.as_str(), viewer.as_str()];
    for row in &rows {
        let text = format!("{row:?}");
        assert!(!secrets.iter().any(|s| text.contains(s)), "{text}");
    }
}
