//! The web page's stop warning names the services of other workspaces that depend on the
//! one stopping (`needed_by`, as `uc down` and the TUI do), in a real browser against the
//! built `uc serve` and two real engines sharing one state dir (`web/tests/elsewhere.mjs`).

mod common;

use std::time::Duration;

use common::browser::drive;
use common::cli::Env;
use common::serve::{Serve, token};

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn stopping_a_service_another_workspace_needs_names_it_first() {
    let env = Env::new(
        "  db:\n    command: \"exec sleep 3421\"\n    readiness: { exec: \"true\", interval: 200ms }\n",
    );
    env.ok(&["up"]);
    let mut other = Env::new(&format!(
        "  consumer:\n    command: \"exec sleep 3422\"\n    depends_on: {{ {}/db: healthy }}\n",
        env.workspace
    ));
    other.state = env.state.clone();
    other.ok(&["up"]);
    let consumer = format!("{}/consumer", other.workspace);
    env.wait_status(WAIT, |s| {
        Env::service(s, "db")["needed_by"][0]["service"] == consumer.as_str()
    });
    let operator = token(&env, "ops", "operator", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let results = drive(
        &env,
        "elsewhere.mjs",
        &[
            ("UC_URL", &serve.url("")),
            ("UC_WORKSPACE", &env.workspace),
            ("UC_ELSEWHERE", &consumer),
            ("UC_OPERATOR_TOKEN", &operator),
        ],
    );
    println!("results: {results}");
    assert_eq!(Env::service(&env.status(), "db")["state"], "running");
    assert_eq!(
        Env::service(&other.status(), "consumer")["state"],
        "running"
    );
}
