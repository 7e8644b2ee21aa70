//! The web page's assistant in a real browser against the built `uc serve` and a real
//! engine (`web/tests/assistant.mjs`): a dependency killed shows as the first finding, and
//! its action, applied after the dry run, restarts it, on the audit record.

mod common;

use std::time::Duration;

use common::browser::drive;
use common::cli::Env;
use common::serve::{Serve, token, wait_audit};

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn a_finding_applied_from_the_page_restarts_the_dependency() {
    let env = Env::new(
        "  db:\n    command: \"exec sleep 3431\"\n    restart: \"no\"\n  api:\n    command: \"exec sleep 3432\"\n    depends_on: [db]\n",
    );
    env.ok(&["up"]);
    let status = env.wait_status(WAIT, |s| Env::service(s, "api")["state"] == "running");
    let db = Env::pid_of(&status, "db");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(db as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill db");
    env.wait_status(WAIT, |s| Env::service(s, "db")["state"] == "exited");
    let operator = token(&env, "ops", "operator", &[]);
    let viewer = token(&env, "watcher", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let results = drive(
        &env,
        "assistant.mjs",
        &[
            ("UC_URL", &serve.url("")),
            ("UC_WORKSPACE", &env.workspace),
            ("UC_OPERATOR_TOKEN", &operator),
            ("UC_VIEWER_TOKEN", &viewer),
        ],
    );
    println!("results: {results}");
    let now = env.wait_status(WAIT, |s| Env::service(s, "db")["state"] == "running");
    assert_ne!(Env::pid_of(&now, "db"), db);
    wait_audit(&env, |rows| {
        rows.iter().any(|r| {
            r.token.as_deref() == Some("ops")
                && r.via == "web (assistant)"
                && r.route.ends_with("/services/db/restart")
                && r.outcome == "ok"
        })
    });
}
