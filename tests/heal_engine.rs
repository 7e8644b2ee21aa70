//! Playbooks through the real engine: `uc heal run NAME --dry-run` and for real on a temp
//! tree, a rule that runs one when it fires, and the heal history that records both.

mod common;

use std::time::{Duration, Instant};

use common::cli::{Env, aged};
use common::receivers::HttpReceiver;

/// `tmp/` with two old logs, a young log and an old non-log.
fn scratch(env: &Env) {
    env.tidy_playbook();
    let tmp = env.dir.join("tmp");
    std::fs::create_dir_all(tmp.join("sub")).expect("tmp");
    aged(&tmp.join("old.log"), 3);
    aged(&tmp.join("sub/older.log"), 9);
    aged(&tmp.join("young.log"), 0);
    aged(&tmp.join("old.txt"), 3);
}

#[test]
fn a_playbook_is_dry_run_then_run_and_both_are_in_the_history() {
    let env = Env::new("  idle:\n    command: exec sleep 1000\n");
    scratch(&env);
    let tmp = env.dir.join("tmp");
    env.ok(&["up"]);

    let listed = env.ok(&["heal", "playbooks"]);
    assert!(listed.contains("tidy  Drop old scratch files"), "{listed}");
    let plan = env.ok(&["heal", "run", "tidy", "--dry-run"]);
    for file in ["old.log", "sub/older.log"] {
        assert!(plan.contains(file), "{file} not planned:\n{plan}");
    }
    for kept in ["young.log", "old.txt"] {
        assert!(!plan.contains(kept), "{kept} planned:\n{plan}");
    }
    assert!(tmp.join("old.log").exists(), "a dry run deleted");

    env.ok(&["heal", "run", "tidy"]);
    assert!(!tmp.join("old.log").exists() && !tmp.join("sub/older.log").exists());
    assert!(tmp.join("young.log").exists() && tmp.join("old.txt").exists());

    let history = env.ok(&["heal", "history"]);
    let runs: Vec<&str> = history.lines().filter(|l| l.contains("playbook")).collect();
    assert_eq!(runs.len(), 2, "{history}");
    assert!(
        runs.iter().all(|l| l.contains("(uc heal run)")),
        "{history}"
    );

    let typo = env.run(&["heal", "run", "tidyy"]);
    assert!(!typo.status.success());
    let stderr = String::from_utf8_lossy(&typo.stderr);
    assert!(
        stderr.contains("playbook: no playbook `tidyy` (did you mean `tidy`?)"),
        "{stderr}"
    );
    env.ok(&["down"]);
}

#[test]
fn a_rule_with_a_playbook_runs_it_when_it_fires() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let rules = "rules:\n  - name: IdleUp\n    expr: service_up{service=\"idle\"} == 1\n    playbook: tidy\n";
    let env = Env::with_alerting(
        "  idle:\n    command: exec sleep 1000\n",
        rules,
        &hook.url("/hook"),
        "1h",
    );
    scratch(&env);
    env.ok(&["up", "idle"]);
    let start = Instant::now();
    while env.dir.join("tmp/old.log").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the rule's playbook did not run"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(env.dir.join("tmp/young.log").exists());
    let start = Instant::now();
    loop {
        let history = env.ok(&["heal", "history"]);
        if history.contains("(rule IdleUp{service=idle})") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "{history}");
        std::thread::sleep(Duration::from_millis(100));
    }
    env.ok(&["down"]);
}
