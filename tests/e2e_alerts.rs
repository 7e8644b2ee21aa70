//! End to end: an alert raised by a real CPU burner reaches a loopback webhook, shows in the
//! TUI (a real terminal: a tmux pane read with `capture-pane`), and acknowledging it from
//! the keyboard stops the repeats.

mod common;

use std::time::{Duration, Instant};

use common::cli::{Env, Screen};
use common::receivers::HttpReceiver;

const T: Duration = Duration::from_secs(30);

fn firing_notifications(hook: &HttpReceiver) -> usize {
    hook.accepted()
        .iter()
        .filter(|r| r.json()["status"] == "firing")
        .count()
}

#[test]
fn burner_alert_fires_shows_in_the_tui_and_k_acknowledges_it() {
    let rt = common::runtime();
    let hook = rt.block_on(HttpReceiver::start());
    let rules = "rules:\n  - name: Burning\n    expr: service_cpu{service=\"burner\"} > 20\n    for: 3s\n    severity: critical\n    annotations:\n      summary: \"burner at {{ $value }}%\"\n";
    let env = Env::with_alerting(
        "  burner:\n    command: while :; do :; done\n",
        rules,
        &hook.url("/hook"),
        "2s",
    );
    let screen = Screen::shell(&env);
    // Without USER or LOGNAME (a container's root shell), acks are still signed with the
    // user's name, from the account database.
    screen.type_line(&format!(
        "unset USER LOGNAME; {} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    // The badge in the header, from the services pane.
    screen.wait("the firing badge", T, |t| t.contains("1 firing"));
    screen.keys(&["A"]);
    let text = screen.wait("the alert in the alerts pane", T, |t| {
        t.contains("Burning") && t.contains("firing") && t.contains("burner at ")
    });
    assert!(text.contains("critical"), "{text}");

    let start = Instant::now();
    while firing_notifications(&hook) < 2 {
        assert!(
            start.elapsed() < T,
            "no repeat notification: {:?}",
            hook.requests().len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    screen.keys(&["k"]);
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .expect("account database")
        .expect("an account for our uid")
        .name;
    screen.wait("the ack mark", T, |t| t.contains(&format!("✓ {user}")));
    let at_ack = firing_notifications(&hook);
    std::thread::sleep(Duration::from_secs(6));
    let after = firing_notifications(&hook);
    // A repeat already on its way when the ack landed may still arrive; none after it.
    assert!(
        after <= at_ack + 1,
        "repeats went on after the ack: {at_ack} then {after}"
    );
    let text = screen.text();
    assert!(
        text.contains("firing"),
        "acknowledged alerts keep firing:\n{text}"
    );
    screen.keys(&["q"]);
    env.ok(&["down"]);
}
