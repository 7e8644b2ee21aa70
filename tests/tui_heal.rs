//! Healing in the TUI: render snapshots of the services table with probe verdicts, a
//! crash-looping countdown and a give-up, and of the selected service's details (probes
//! passing and failing with their output, restart state, heal events with a give-up's log
//! lines), at a fixed clock; of a playbook's plan, its report scrolled and the completion of
//! playbook names; and headless tests of the countdown, the `i` toggle, the heal history
//! filling in and the playbook dialog's keys.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;
#[path = "tui_heal/fixture.rs"]
mod fixture;

use fixture::*;
use univers_container::heal::{HealEvent, HealKind};
use univers_container::protocol::{Event, ServiceState, ServiceStatus};
use univers_container::tui::heal::KEPT;
use univers_container::tui::heal::playbook::PlaybookMode;
use univers_container::tui::state::Popup;
use univers_container::tui::{Request, Theme, Update};

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

#[test]
fn the_heal_history_fills_in_what_happened_before_the_tui_started() {
    let mut h = Harness::details(1);
    let mut history = vec![heal(
        3_600_000,
        "db",
        HealKind::Restart,
        "liveness failing; restarted",
    )];
    // Also on the stream already: shown once.
    history.extend(
        heal_events()
            .into_iter()
            .filter(|e| e.service.as_deref() == Some("db")),
    );
    h.app.on_update(Update::HealHistory(Ok(history)));
    let reasons: Vec<&str> = h
        .app
        .state()
        .heal
        .of("db")
        .map(|e| e.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "readiness probe failing (exec pg_isready -h localhost)",
            "liveness failing; restarted"
        ]
    );
    assert!(
        h.screen()
            .contains("23:00:00 restart  liveness failing; restarted")
    );
}

#[test]
fn playbook_runs_show_in_every_services_details_as_workspace_wide() {
    let mut h = Harness::details(0);
    let mut run = HealEvent::new(
        None,
        HealKind::Playbook,
        "tidy: 2 actions done, 3.0M freed (tui)",
    );
    run.at = NOW - 500;
    run.detail = Some(tidy_report(false).text());
    h.app.on_update(Update::Event(Event::Heal(run)));
    let line = "23:59:59 playbook workspace · tidy: 2 actions";
    assert!(h.screen().contains(line), "{}", h.screen());
    // One line: the report itself is in `uc heal history`.
    assert!(!h.screen().contains("1. delete"));
    h.keys(&["j"]);
    assert!(h.screen().contains(line));
}

// ---- playbooks --------------------------------------------------------------------------

/// `:playbook tidy` typed and its plan arrived, on a 100x30 screen.
fn planned() -> Harness {
    let mut h = Harness::with((100, 30));
    h.app.on_update(Update::Playbooks(Ok(playbook_list())));
    h.keys(&[":"]).type_text("playbook tidy").keys(&["enter"]);
    assert_eq!(
        h.sent(),
        [Request::RunPlaybook {
            name: "tidy".into(),
            mode: PlaybookMode::Plan
        }]
    );
    assert_eq!(h.status(), "planning playbook tidy…");
    h.app.on_update(Update::PlaybookRun {
        name: "tidy".into(),
        mode: PlaybookMode::Plan,
        result: Ok(tidy_report(true)),
    });
    h
}

#[test]
fn snapshot_playbook_plan_asks_before_running() {
    let mut h = planned();
    let screen = h.screen();
    insta::assert_snapshot!("playbook_plan", screen);
    assert!(screen.contains("Run playbook tidy?"));
    assert!(screen.contains("y/⏎ run   n/esc cancel"));
    assert_eq!(h.status(), "tidy: 2 actions planned, 3.0M would free");
    h.keys(&["y"]);
    assert_eq!(
        h.sent(),
        [Request::RunPlaybook {
            name: "tidy".into(),
            mode: PlaybookMode::Run
        }]
    );
    assert!(h.app.state().popups.is_empty());
    assert_eq!(h.status(), "running playbook tidy…");
}

#[test]
fn a_cancelled_plan_runs_nothing() {
    let mut h = planned();
    h.keys(&["n"]);
    assert!(h.app.state().popups.is_empty());
    assert!(h.sent().is_empty());
    let mut h = planned();
    h.keys(&["esc"]);
    assert!(h.sent().is_empty());
}

#[test]
fn dry_run_only_shows_the_plan() {
    let mut h = Harness::with((100, 30));
    h.keys(&[":"])
        .type_text("heal tidy --dry-run")
        .keys(&["enter"]);
    let mode = PlaybookMode::DryRun;
    assert_eq!(
        h.sent(),
        [Request::RunPlaybook {
            name: "tidy".into(),
            mode
        }]
    );
    let result = Ok(tidy_report(true));
    let name = "tidy".into();
    h.app.on_update(Update::PlaybookRun { name, mode, result });
    let screen = h.screen();
    assert!(screen.contains("Playbook tidy (dry run)"));
    assert!(screen.contains("esc close") && !screen.contains(" run "));
    h.keys(&["y"]);
    assert!(h.app.state().popups.is_empty());
    assert!(h.sent().is_empty());
}

#[test]
fn snapshot_playbook_report_scrolled() {
    let mut h = Harness::with((100, 24));
    h.app.on_update(Update::PlaybookRun {
        name: "tidy".into(),
        mode: PlaybookMode::Run,
        result: Ok(long_report()),
    });
    assert_eq!(
        h.status(),
        "tidy: 40 actions done, 38.8K freed, 1 step failed"
    );
    assert_eq!(
        h.app.state().status.as_ref().unwrap().level,
        univers_container::protocol::NoticeLevel::Error
    );
    h.keys(&["j", "j", "j", "pgdown"]);
    let screen = h.screen();
    insta::assert_snapshot!("playbook_report_scrolled", screen);
    assert!(!screen.contains("run-00.log"));
    h.keys(&["G"]);
    assert!(h.screen().contains("failed: permission denied"));
    // Nothing below the last line.
    let bottom = h.screen();
    h.keys(&["j", "pgdown"]);
    assert_eq!(h.screen(), bottom);
    h.keys(&["esc"]);
    assert!(h.app.state().popups.is_empty());
}

#[test]
fn snapshot_playbook_names_complete() {
    let mut h = Harness::with((100, 30));
    h.app.on_update(Update::Playbooks(Ok(playbook_list())));
    h.keys(&[":"]).type_text("playbook r").keys(&["tab"]);
    insta::assert_snapshot!("playbook_completion", h.screen());
    let Some(Popup::CommandLine(input)) = h.app.state().top_popup() else {
        panic!("the command line is open");
    };
    assert_eq!(input.text(), "playbook rotate-");
    h.keys(&["esc", ":"]).type_text("heal t").keys(&["tab"]);
    let Some(Popup::CommandLine(input)) = h.app.state().top_popup() else {
        panic!("the command line is open");
    };
    assert_eq!(input.text(), "heal tidy ");
    // Opening the command line asks for the list again: files may have changed.
    let asked = std::iter::from_fn(|| h.requests.try_recv().ok());
    assert_eq!(asked.filter(|r| *r == Request::Playbooks).count(), 2);
}

#[test]
fn engine_refusals_show_in_its_words() {
    let mut h = Harness::with((100, 30));
    let refused = "playbook: no playbook `tidyy` (did you mean `tidy`?)";
    h.app.on_update(Update::PlaybookRun {
        name: "tidyy".into(),
        mode: PlaybookMode::Plan,
        result: Err(refused.into()),
    });
    assert_eq!(h.status(), refused);
    assert!(h.app.state().popups.is_empty());
    let broken = "playbook: tidy.yaml:4:5: unknown field `delet`\n 4 |   - delet: {}\n   |     ^";
    h.app.on_update(Update::PlaybookRun {
        name: "tidy".into(),
        mode: PlaybookMode::Plan,
        result: Err(broken.into()),
    });
    assert_eq!(h.status(), "playbook: tidy.yaml:4:5: unknown field `delet`");
    let screen = h.screen();
    assert!(screen.contains("│ 4 |   - delet: {}"), "{screen}");
    assert!(screen.contains("esc close"));
}

#[test]
fn playbook_without_a_name_lists_them() {
    let mut h = Harness::with((100, 30));
    h.app.on_update(Update::Playbooks(Ok(playbook_list())));
    h.keys(&[":"]).type_text("playbook").keys(&["enter"]);
    assert_eq!(
        h.status(),
        "usage: playbook NAME [--dry-run] (playbooks: tidy, rotate-logs, rotate-tmp)"
    );
    assert!(h.sent().is_empty());
}
