//! Healing in the TUI: render snapshots of the services table with probe verdicts, a
//! crash-looping countdown and a give-up, and of the selected service's details (probes
//! passing and failing with their output, restart state, heal events with a give-up's log
//! lines), at a fixed clock; and headless tests of the countdown and the `i` toggle.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

#[path = "tui_heal/fixture.rs"]
mod fixture;

use fixture::*;
use univers_container::engine::{Event, ServiceState, ServiceStatus};
use univers_container::heal::HealKind;
use univers_container::tui::heal::KEPT;
use univers_container::tui::{Theme, Update};

// ---- the services table -----------------------------------------------------------------

#[test]
fn snapshot_table_probes_crash_looping_and_gave_up() {
    let h = Harness::with((110, 16));
    insta::assert_snapshot!("heal_table", h.screen());
    assert!(h.row("api").contains("✓ 3.2ms L✓"));
    assert!(h.row("cache").contains("L✓ 850µs"));
    assert!(
        h.row("worker")
            .contains("crash-looping 4s · exited with code 1 ")
    );
    assert!(h.row("mailer").contains("gave up · 3 restarts within 1m"));
}

#[test]
fn states_and_verdicts_have_their_colours() {
    let mut h = Harness::with((110, 16));
    // The selected row has the selection's colours.
    h.keys(&["j", "j"]);
    let buffer = h.buffer();
    let theme = Theme::default();
    let (x, y) = find(&buffer, "crash-looping");
    assert_eq!(buffer[(x, y)].fg, theme.state_exited);
    let (x, y) = find(&buffer, "gave up");
    assert_eq!(buffer[(x, y)].fg, theme.state_failed);
    let (x, y) = find(&buffer, "✓ 3.2ms");
    assert_eq!(buffer[(x, y)].fg, theme.ok);
    assert_eq!(buffer[(x + 2, y)].fg, theme.dim);
    let (x, y) = find(&buffer, "✗");
    assert_eq!(buffer[(x, y)].fg, theme.danger);
}

#[test]
fn the_countdown_follows_the_clock_and_stops_when_due() {
    let mut h = Harness::with((110, 16));
    h.app.on_tick(NOW + 1_000);
    assert!(h.row("worker").contains("crash-looping 3s · "));
    h.app.on_tick(NOW + 3_500);
    assert!(h.row("worker").contains("crash-looping 1s · "));
    h.app.on_tick(NOW + 4_000);
    assert!(h.row("worker").contains("crash-looping · "));
    // Stopped by the user: no countdown, whatever `restart_at` still says.
    let stopped = ServiceStatus {
        state: ServiceState::Stopped,
        restart_at: Some(NOW + 4_000),
        reason: Some("stopped by you".into()),
        ..ServiceStatus::new("worker")
    };
    h.app.on_tick(NOW);
    h.app.on_update(Update::Event(Event::Service(stopped)));
    assert!(h.row("worker").contains("stopped · stopped by you"));
}

// ---- the details below the table --------------------------------------------------------

#[test]
fn snapshot_details_probes_passing() {
    let h = Harness::details(0);
    insta::assert_snapshot!("heal_details_passing", h.screen());
}

#[test]
fn snapshot_details_probe_failing_with_output() {
    let h = Harness::details(1);
    let screen = h.screen();
    insta::assert_snapshot!("heal_details_failing", screen);
    assert!(screen.contains("failing · 3 failures in a row · 1.5s · checked"));
    assert!(screen.contains("exit code 2: pg_isready: no response"));
}

#[test]
fn snapshot_details_crash_looping() {
    let h = Harness::details(4);
    insta::assert_snapshot!("heal_details_crash_looping", h.screen());
}

#[test]
fn snapshot_details_gave_up_with_logs() {
    let h = Harness::details(5);
    let screen = h.screen();
    insta::assert_snapshot!("heal_details_gave_up", screen);
    assert!(screen.contains("· 3 log lines"));
    assert!(screen.contains("│ FATAL cannot reach any relay"));
}

#[test]
fn snapshot_details_on_a_short_screen() {
    let mut h = Harness::with((100, 20));
    h.keys(&["i", "G"]);
    insta::assert_snapshot!("heal_details_short", h.screen());
}

#[test]
fn i_toggles_details_and_graphs() {
    let mut h = Harness::with((100, 30));
    assert!(h.screen().contains("i details"));
    h.keys(&["i"]);
    let screen = h.screen();
    assert!(screen.contains("api · probes and restarts"));
    assert!(screen.contains("i graphs"));
    h.keys(&["i"]);
    assert!(!h.screen().contains("probes and restarts"));
}

#[test]
fn the_tui_keeps_the_newest_heal_events() {
    let mut h = Harness::details(4);
    for i in 0..KEPT + 10 {
        let event = heal(0, "worker", HealKind::Restart, &format!("restart #{i}"));
        h.app.on_update(Update::Event(Event::Heal(event)));
    }
    let kept = h.app.state().heal.of("worker").count();
    assert_eq!(kept, KEPT);
    let newest = h.app.state().heal.of("worker").next().unwrap();
    assert_eq!(newest.reason, format!("restart #{}", KEPT + 9));
    assert_eq!(h.app.state().heal.of("mailer").count(), 0);
}
