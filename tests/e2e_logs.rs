//! End to end: a service logs an ERROR burst; the TUI's logs pane shows the lines as they
//! arrive, the patterns view flags the burst's pattern, and the alerts pane lists it.

mod common;

use std::time::Duration;

use common::cli::{Env, Screen};

const T: Duration = Duration::from_secs(30);

#[test]
fn an_error_burst_is_tailed_flagged_and_alerted() {
    let services = "  db:\n    command: |\n      echo \"INFO db ready\"\n      sleep 2\n      for i in $(seq 1 12); do echo \"ERROR connection to 10.0.0.$i:5432 refused\"; done\n      exec sleep 600\n";
    let env = Env::new(services);
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    screen.wait("the services pane", T, |t| {
        t.contains("db") && t.contains("running")
    });
    screen.keys(&["l"]);
    let text = screen.wait("the burst in the logs pane", T, |t| {
        t.contains("connection to 10.0.0.12:5432 refused")
    });
    // The level has its own column; the line's own level is not shown again.
    assert!(text.contains(" db INFO  db ready"), "{text}");
    screen.keys(&["p"]);
    screen.wait("the flagged pattern", T, |t| {
        t.contains("errors") && t.contains("connection to <*>")
    });
    screen.keys(&["A"]);
    screen.wait("the pattern's alert", T, |t| {
        t.contains("LogPatternFlagged")
    });
    screen.keys(&["q"]);
    env.ok(&["down"]);
}
