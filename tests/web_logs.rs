//! The logs page in a real browser against the built `uc serve` and a real engine in tmux
//! (`web/tests/logs.mjs`): a line a service writes appears in the live tail; scrolling up
//! pauses and counts the new lines, resume catches up; filters by service, level and regex
//! (a bad regex is named, the list stays); search highlights; the patterns view lists a
//! mined pattern and jumps to its lines; a service writing ~1,000 lines/s leaves the DOM's
//! row count bounded; the engine goes down and up and the tail comes back by itself without
//! a line twice; axe-core finds no serious or critical violation. Screenshots go to the
//! test's scratch dir, or to `UC_SCREENSHOTS` (as in tests/web_pages.rs).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::browser::drive;
use common::cli::Env;
use common::serve::{Serve, token};
use serde_json::Value;

/// `feed` writes what the test appends to feed.log; `db` writes an ERROR burst the miner
/// makes one pattern of; `flood` writes 100 lines every 100 ms once the test starts it.
const SERVICES: &str = r#"
  feed:
    command: "exec tail -n0 -F feed.log"
  db:
    command: |
      echo "INFO db ready"
      for i in $(seq 1 12); do echo "ERROR connection to 10.0.0.$i:5432 refused"; done
      exec sleep 3404
  flood:
    command: |
      i=0
      while :; do seq $i $((i + 99)) | sed 's/^/INFO flood line /'; i=$((i + 100)); sleep 0.1; done
"#;

/// The DOM rows the list may hold however many lines it has: a screenful and the overscan.
const MAX_ROWS: u64 = 120;

#[test]
fn the_logs_page_follows_filters_searches_and_stays_bounded() {
    let env = Env::new(SERVICES);
    std::fs::write(env.dir.join("feed.log"), "").expect("feed.log");
    env.ok(&["up"]);
    let running = |s: &Value| {
        ["feed", "db"]
            .iter()
            .all(|name| Env::service(s, name)["state"] == "running")
    };
    env.wait_status(Duration::from_secs(20), running);
    env.ok(&["down", "flood"]);
    let viewer = token(&env, "watch", "viewer", &[]);
    let serve = Serve::start(&env, &["--default", &env.workspace]);
    let shots = std::env::var_os("UC_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    let results = drive(
        &env,
        "logs.mjs",
        &[
            ("UC_URL", &serve.url("")),
            ("UC_WORKSPACE", &env.workspace),
            ("UC_VIEWER_TOKEN", &viewer),
            ("UC_FEED", &env.dir.join("feed.log").display().to_string()),
            ("UC_BIN", env!("CARGO_BIN_EXE_uc")),
            ("UC_FILE", &env.file.display().to_string()),
            ("UC_SCREENSHOTS", &shots.display().to_string()),
        ],
    );
    println!("logs page: {results}");
    let rows = results["flood_rows"].as_u64().unwrap_or(u64::MAX);
    let held = results["flood_held"].as_u64().unwrap_or(0);
    assert!(
        held >= 5000,
        "the flood filled {held} lines only: {results}"
    );
    assert!(rows <= MAX_ROWS, "{rows} rows in the DOM for {held} lines");
    env.ok(&["down"]);
}
