//! The live terminal in a real browser against the built `uc serve` and a real engine in
//! tmux (`web/tests/terminal.mjs`): `t` on the service page opens the service's window,
//! an operator's typing reaches the service and its answer shows, a viewer watches output
//! arrive in a read-only terminal while the API refuses its keys (audited), axe-core finds
//! no serious or critical violation, no CSP refusal happens (xterm.js's styles go through
//! the CSSOM), and leaving the page leaves the service running. Screenshots go to the test's
//! scratch dir, or to `UC_SCREENSHOTS`.

mod common;

use std::time::Duration;

use common::browser::{drive, screenshots_dir};
use common::cli::Env;
use common::serve::{Serve, token, wait_audit};

const ECHO: &str = "import sys\nprint('ready', flush=True)\nfor line in sys.stdin:\n    print('echo:', line.strip(), flush=True)\n";
const TICKER: &str = "import time\nn = 0\nwhile True:\n    print('tick', n, flush=True)\n    n += 1\n    time.sleep(0.3)\n";

#[test]
fn the_terminal_streams_the_window_and_types_as_the_role_allows() {
    let env = Env::new(
        "  echo:\n    command: exec python3 -u echo.py\n  ticker:\n    command: exec python3 -u ticker.py\n",
    );
    std::fs::write(env.dir.join("echo.py"), ECHO).expect("echo");
    std::fs::write(env.dir.join("ticker.py"), TICKER).expect("ticker");
    env.ok(&["up"]);
    let running = |s: &serde_json::Value| {
        ["echo", "ticker"]
            .iter()
            .all(|name| Env::service(s, name)["state"] == "running")
    };
    let pid = Env::pid_of(&env.wait_status(Duration::from_secs(20), running), "echo");
    let operator = token(&env, "ops", "operator", &[]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let shots = screenshots_dir();
    let url = serve.url("");
    let results = drive(
        &env,
        "terminal.mjs",
        &[
            ("UC_URL", &url),
            ("UC_WORKSPACE", &env.workspace),
            ("UC_OPERATOR_TOKEN", &operator),
            ("UC_VIEWER_TOKEN", &viewer),
            ("UC_SCREENSHOTS", &shots),
        ],
    );
    println!("results: {results}");

    wait_audit(&env, |rows| {
        let keys = |service: &str, actor: &str, status: u16| {
            rows.iter().any(|r| {
                r.route == format!("/api/v1/workspaces/{}/services/{service}/terminal/keys", env.workspace)
                    || r.route == format!("/api/v1/services/{service}/terminal/keys")
            } && r.actor == actor && r.status == status)
        };
        keys("echo", "ops", 204) && keys("ticker", "watch", 403)
    });
    let status = env.status();
    assert_eq!(
        Env::pid_of(&status, "echo"),
        pid,
        "the terminal left echo alone"
    );
    assert!(running(&status), "{status:#}");
}
