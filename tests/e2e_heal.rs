//! End to end: a service that fails at once crash-loops; the TUI counts down to its next
//! restart, and the stop key keeps it down. A clean-up playbook run from the TUI shows its
//! plan, touches nothing until `y`, then deletes what it planned to.

mod common;

use std::time::{Duration, Instant};

use common::cli::{Env, Screen, aged};

const T: Duration = Duration::from_secs(30);

/// Fails at once: restarted immediately, then after 3 s, 6 s, 12 s...
const SERVICES: &str = r#"
  boom:
    command: "echo boom; exit 1"
    restart: { policy: on-failure, backoff: 3s..30s }
"#;

/// Seconds until boom's next restart as its row shows them (`crash-looping 5s`).
fn countdown(text: &str) -> Option<u64> {
    let row = Screen::row(text, "boom")?;
    let (_, after) = row.split_once("crash-looping ")?;
    after.split_once('s')?.0.parse().ok()
}

fn boom_row(text: &str) -> String {
    Screen::row(text, "boom").unwrap_or_default()
}

#[test]
fn a_crash_looping_service_counts_down_and_stop_keeps_it_down() {
    let env = Env::new(SERVICES);
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    // The screen is redrawn once a second: a reading may be a second old. From 5 s, two
    // readings over 2 s apart both fall within the same backoff.
    let text = screen.wait("a countdown of 5 s or more", T, |t| {
        countdown(t).is_some_and(|s| s >= 5)
    });
    let first = countdown(&text).unwrap_or_default();
    screen.wait("the countdown going down", T, |t| {
        countdown(t).is_some_and(|s| s < first)
    });

    // Stop while the restart is at least a second away, so the stop meets the backoff.
    let text = screen.wait("a countdown of 3 s or more", T, |t| {
        countdown(t).is_some_and(|s| s >= 3)
    });
    let left = countdown(&text).unwrap_or_default();
    screen.keys(&["x"]);
    screen.wait("boom stopped", T, |t| boom_row(t).contains("stopped"));
    // Past the moment the backoff would have ended, it is still stopped.
    let until = Instant::now() + Duration::from_secs(left + 1);
    while Instant::now() < until {
        let row = boom_row(&screen.text());
        assert!(
            row.contains("stopped") && !row.contains("crash-looping"),
            "boom stays stopped: {row}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(Env::service(&env.status(), "boom")["state"], "stopped");
    screen.keys(&["q"]);
    env.ok(&["down"]);
}

#[test]
fn a_playbook_run_from_the_tui_shows_its_plan_then_runs_on_y() {
    let env = Env::new("  idle:\n    command: \"sleep 600\"\n");
    env.tidy_playbook();
    let tmp = env.dir.join("tmp");
    let (old, young) = (tmp.join("old.log"), tmp.join("young.log"));
    aged(&old, 3);
    aged(&young, 0);

    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    screen.wait("idle running", T, |t| {
        Screen::row(t, "idle").is_some_and(|r| r.contains("running"))
    });
    screen.keys(&[":"]);
    screen.type_line("playbook tidy");
    let plan = screen.wait("the plan", T, |t| {
        t.contains("Run playbook tidy?") && t.contains("old.log")
    });
    assert!(
        !plan.contains("young.log"),
        "only the old file is planned:\n{plan}"
    );
    assert!(old.exists(), "a plan deletes nothing");

    screen.keys(&["y"]);
    let report = screen.wait("the report", T, |t| {
        t.contains("Playbook tidy ") && t.contains("tidy: 1 action done")
    });
    assert!(report.contains("old.log"), "{report}");
    assert!(!old.exists(), "the old log is deleted");
    assert!(young.exists(), "the young log is kept");
    screen.keys(&["Escape"]);
    screen.wait("the dialog closed", T, |t| !t.contains("Playbook tidy "));
    screen.keys(&["q"]);
    env.ok(&["down"]);
}
