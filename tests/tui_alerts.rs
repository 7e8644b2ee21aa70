//! Alerts in the TUI: render snapshots of the alerts pane (every state and severity, acked,
//! silenced, empty, rules error), the silence popup, the silences list and the header badge,
//! at a fixed clock; and headless app tests of acknowledging, silencing, expiring and
//! navigating, reading the requests the app sends.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;
#[path = "tui_alerts/fixture.rs"]
mod fixture;

use common::tui::find_nth as find;
use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use univers_container::alerts::AlertState;
use univers_container::protocol::{Command, Event, Reply, Snapshot};
use univers_container::tui::silences::form::Field;
use univers_container::tui::state::{Pane, Popup};
use univers_container::tui::{Keymap, Request, Theme, Update};

// ---- render snapshots -------------------------------------------------------------------

#[test]
fn snapshot_alerts_pane() {
    let mut h = Harness::new();
    h.keys(&["A"]);
    insta::assert_snapshot!("alerts", h.screen());
    // The acked one, with the ack's details; then a silenced one.
    h.keys(&["j"]);
    no_ages().bind(|| insta::assert_snapshot!("alerts_acked_details", h.screen()));
    h.keys(&["j"]);
    no_ages().bind(|| insta::assert_snapshot!("alerts_silenced_details", h.screen()));
}

#[test]
fn snapshot_alerts_pane_wide_puts_details_beside() {
    let mut h = Harness::with(fixture(), (160, 24));
    h.keys(&["A"]);
    insta::assert_snapshot!("alerts_wide", h.screen());
}

#[test]
fn snapshot_alerts_empty() {
    let snapshot = Snapshot {
        alerts: vec![],
        silences: vec![],
        ..fixture()
    };
    let mut h = Harness::with(snapshot, (100, 20));
    h.keys(&["A"]);
    insta::assert_snapshot!("alerts_empty", h.screen());
}

#[test]
fn snapshot_alerts_rules_error() {
    let mut snapshot = fixture();
    snapshot.alerting.problem =
        Some("configs/rules.yaml:14:5: unknown field `exprr` (did you mean `expr`?)".into());
    let mut h = Harness::with(snapshot, (100, 24));
    h.keys(&["A"]);
    insta::assert_snapshot!("alerts_rules_error", h.screen());
}

#[test]
fn snapshot_silence_popup() {
    let mut h = Harness::new();
    h.keys(&["A", "S"]);
    insta::assert_snapshot!("silence_popup", h.screen());
    h.keys(&["tab", "backspace"]).type_text("x");
    insta::assert_snapshot!("silence_popup_bad_duration", h.screen());
}

#[test]
fn snapshot_silences_list() {
    let mut h = Harness::new();
    h.keys(&["A", "s"]);
    insta::assert_snapshot!("silences", h.screen());
}

#[test]
fn snapshot_header_badge() {
    let mut h = Harness::with(fixture(), (110, 12));
    insta::assert_snapshot!("badge_services", h.screen());
    h.keys(&["m"]);
    insta::assert_snapshot!("badge_host", h.screen());
}

// ---- headless app tests -----------------------------------------------------------------

#[test]
fn alerts_are_in_display_order() {
    let h = Harness::new();
    let rules: Vec<&str> = h
        .app
        .state()
        .alert_rows()
        .map(|a| a.rule.as_str())
        .collect();
    assert_eq!(
        rules,
        [
            "HighCpu",
            "DiskFull",
            "HighMemory",
            "ErrorRate",
            "SlowStart",
            "ServiceDown",
            "NetSaturated"
        ]
    );
}

#[test]
fn k_and_enter_ack_the_selected_firing_alert() {
    let mut h = Harness::new();
    h.keys(&["A", "k"]);
    assert_eq!(h.sent(), [ack("3f2a00aa11bb22cc")]);
    assert_eq!(h.status(), "acknowledging 3f2a00aa11bb22cc…");
    h.app.on_update(Update::CommandDone(Ok(Reply {
        message: "acknowledged HighCpu".into(),
        services: vec![],
        seq: 8,
    })));
    assert_eq!(h.status(), "acknowledged HighCpu");
    // A pending one may be acknowledged too.
    h.keys(&["j", "j", "j", "enter"]);
    assert_eq!(h.selected_alert(), "ErrorRate");
    assert_eq!(h.sent(), [ack("3f2b55aa66bb77cc")]);
}

#[test]
fn acking_resolved_or_acked_alerts_only_explains() {
    let mut h = Harness::new();
    h.keys(&["A", "G", "k"]);
    assert_eq!(h.selected_alert(), "NetSaturated");
    assert!(h.sent().is_empty());
    assert_eq!(
        h.status(),
        "NetSaturated feedface is resolved: nothing to ack"
    );
    h.keys(&["g g", "j", "enter"]);
    assert_eq!(h.selected_alert(), "DiskFull");
    assert!(h.sent().is_empty());
    assert_eq!(
        h.status(),
        "DiskFull 9c0d11ee is already acknowledged by ana"
    );
}

#[test]
fn up_moves_and_k_does_not_in_the_alerts_pane() {
    let mut h = Harness::new();
    h.keys(&["A", "down", "down", "up"]);
    assert_eq!(h.selected_alert(), "DiskFull");
    assert!(h.sent().is_empty());
    // The services keep their own selection and keys.
    h.keys(&["esc", "j"]);
    assert_eq!(h.pane(), Pane::Services);
    assert_eq!(h.app.state().selected().unwrap().name, "api");
}

#[test]
fn silence_popup_sends_the_edited_silence() {
    let mut h = Harness::new();
    h.keys(&["A", "S"]);
    let Some(Popup::Silence(form)) = h.app.state().top_popup() else {
        panic!("no silence popup");
    };
    assert_eq!(form.text(Field::Matchers), "alertname=HighCpu service=api");
    assert_eq!(form.text(Field::Duration), "2h");
    // Drop the alertname, so every alert of api is silenced, for 30 minutes, typing `q`.
    h.keys(&["home"]);
    for _ in 0.."alertname=HighCpu ".len() {
        h.keys(&["delete"]);
    }
    h.keys(&["tab", "backspace", "backspace"]).type_text("30m");
    h.keys(&["tab"]).type_text("quiet deploy");
    assert!(!h.app.should_quit());
    h.keys(&["enter"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Silence {
            matchers: vec!["service=api".into()],
            duration: "30m".into(),
            by: USER.into(),
            comment: Some("quiet deploy".into()),
        })]
    );
    assert!(h.app.state().popups.is_empty());
    assert_eq!(h.status(), "silencing service=api for 30m…");
}

#[test]
fn silence_popup_refuses_bad_input() {
    let mut h = Harness::new();
    h.keys(&["A", "S", "tab", "backspace"]).type_text("x");
    h.keys(&["enter"]);
    assert!(h.sent().is_empty());
    let Some(Popup::Silence(form)) = h.app.state().top_popup() else {
        panic!("the popup closed");
    };
    assert_eq!(
        form.duration_error.as_deref(),
        Some("invalid duration `2x` (e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds)")
    );
    assert!(h.screen().contains("✗ invalid duration `2x`"));
    // A bad matcher is named.
    h.keys(&["backspace"]).type_text("h");
    h.keys(&["up", "end"]).type_text(" servce");
    h.keys(&["enter"]);
    assert!(h.sent().is_empty());
    assert!(
        h.screen()
            .contains("✗ `servce` is not a matcher; write name=value")
    );
    h.keys(&["esc"]);
    assert!(h.app.state().popups.is_empty());
    assert!(h.sent().is_empty());
}

#[test]
fn ctrl_c_quits_from_the_silence_popup() {
    let mut h = Harness::new();
    h.keys(&["A", "S"]).type_text("q?");
    assert!(!h.app.should_quit());
    h.keys(&["ctrl-c"]);
    assert!(h.app.should_quit());
}

#[test]
fn expiring_a_silence_asks_first() {
    let mut h = Harness::new();
    h.keys(&["A", "s"]);
    assert_eq!(h.pane(), Pane::Silences);
    assert_eq!(h.app.state().selected_silence().unwrap().id, "a1b2c3d4");
    h.keys(&["x"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().top_popup() else {
        panic!("no confirm dialog");
    };
    assert_eq!(confirm.items, ["alertname=HighMemory", "service=db"]);
    assert!(h.sent().is_empty());
    h.keys(&["n"]);
    assert!(h.sent().is_empty());
    h.keys(&["j", "delete", "y"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Expire {
            silence: "b2c3d4e5".into()
        })]
    );
    h.keys(&["esc"]);
    assert_eq!(h.pane(), Pane::Alerts);
}

#[test]
fn panes_are_reached_by_key_tab_and_command() {
    let mut h = Harness::new();
    h.keys(&["A"]);
    assert_eq!(h.pane(), Pane::Alerts);
    h.keys(&["A"]);
    assert_eq!(h.pane(), Pane::Services);
    h.keys(&["tab"]);
    assert_eq!(h.pane(), Pane::Host);
    h.keys(&["tab"]);
    assert_eq!(h.pane(), Pane::Logs);
    h.keys(&["tab"]);
    assert_eq!(h.pane(), Pane::Alerts);
    h.keys(&["tab"]);
    assert_eq!(h.pane(), Pane::Services);
    h.keys(&[":"]).type_text("alerts").keys(&["enter"]);
    assert_eq!(h.pane(), Pane::Alerts);
    h.keys(&["esc"]);
    assert_eq!(h.pane(), Pane::Services);
    h.keys(&[":"]).type_text("silences").keys(&["enter"]);
    assert_eq!(h.pane(), Pane::Silences);
    h.keys(&["s"]);
    assert_eq!(h.pane(), Pane::Alerts);
}

#[test]
fn command_line_acks_silences_and_expires() {
    let mut h = Harness::new();
    h.keys(&[":"]).type_text("ack 9c0d").keys(&["enter"]);
    assert!(h.sent().is_empty(), "DiskFull is acked already");
    h.keys(&[":"]).type_text("ack 3f2").keys(&["enter"]);
    assert_eq!(h.status(), "`3f2` starts 2 alert ids: type more of it");
    h.keys(&[":"]).type_text("ack 3f2b").keys(&["enter"]);
    assert_eq!(h.sent(), [ack("3f2b55aa66bb77cc")]);
    h.keys(&[":"]).type_text("ack nope").keys(&["enter"]);
    assert_eq!(h.status(), "no alert `nope`");
    h.keys(&[":"]).type_text("ack").keys(&["enter"]);
    assert!(h.status().starts_with("usage: ack ID"));
    h.keys(&[":"])
        .type_text("silence service=api 2h")
        .keys(&["enter"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Silence {
            matchers: vec!["service=api".into()],
            duration: "2h".into(),
            by: USER.into(),
            comment: None,
        })]
    );
    h.keys(&[":"]).type_text("expire b2").keys(&["enter", "y"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Expire {
            silence: "b2c3d4e5".into()
        })]
    );
}

#[test]
fn command_line_completes_alert_ids() {
    let mut h = Harness::new();
    h.keys(&[":"]).type_text("ack 9").keys(&["tab"]);
    let Some(Popup::CommandLine(input)) = h.app.state().top_popup() else {
        panic!("no command line");
    };
    assert_eq!(input.text(), "ack 9c0d11ee22ff3344 ");
}

#[test]
fn badge_follows_alert_events() {
    let mut h = Harness::new();
    assert!(h.header().contains("⚠ 1 firing"), "{}", h.header());
    assert!(h.header().contains("2 pending"), "{}", h.header());
    let mut more = alerts();
    for alert in &mut more {
        if alert.state == AlertState::Pending {
            alert.state = AlertState::Firing;
        }
    }
    h.app
        .on_update(Update::Event(Event::Alerts { alerts: more }));
    assert_eq!(h.app.state().alerts.attention, 3);
    assert!(h.header().contains("⚠ 3 firing"), "{}", h.header());
    assert!(!h.header().contains("pending"), "{}", h.header());
    h.app
        .on_update(Update::Event(Event::Alerts { alerts: vec![] }));
    assert!(!h.header().contains("firing"), "{}", h.header());
    let mut info = alerting();
    info.problem = Some("configs/rules.yaml:1:1: bad".into());
    h.app.on_update(Update::Event(Event::Alerting(info)));
    assert!(h.header().contains("rules error"), "{}", h.header());
}

#[test]
fn selection_follows_the_alert_through_updates() {
    let mut h = Harness::new();
    h.keys(&["A", "j", "j"]);
    assert_eq!(h.selected_alert(), "HighMemory");
    let mut changed = alerts();
    changed.retain(|a| a.rule != "HighCpu");
    h.app
        .on_update(Update::Event(Event::Alerts { alerts: changed }));
    assert_eq!(h.selected_alert(), "HighMemory");
}

#[test]
fn colours_follow_severity_and_state() {
    let mut h = Harness::new();
    h.keys(&["A", "G"]);
    let mut terminal = Terminal::new(TestBackend::new(110, 30)).unwrap();
    terminal.draw(|frame| h.app.draw(frame)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let theme = Theme::default();
    let fg_of = |text: &str, nth: usize| {
        let (x, y) = find(&buffer, text, nth);
        buffer[(x, y)].fg
    };
    assert_eq!(fg_of("● firing", 0), theme.danger, "critical");
    assert_eq!(fg_of("● firing", 1), theme.warn, "warning");
    assert_eq!(fg_of("◌ pending", 1), theme.info, "info");
    assert_eq!(fg_of("✓ resolved", 0), theme.dim, "resolved");
    let (x, y) = find(&buffer, "⚠ 1 firing", 0);
    assert_eq!(buffer[(x, y)].bg, theme.danger, "badge");
}

/// Where the `nth` line holding `text` has it.
#[test]
fn alert_views_draw_at_every_size() {
    let mut problem = fixture();
    problem.alerting.problem = Some("configs/rules.yaml:1:1: ".repeat(20));
    let views: [&[&str]; 5] = [
        &["A"],
        &["A", "G"],
        &["A", "S"],
        &["A", "s"],
        &["A", "s", "x"],
    ];
    for snapshot in [fixture(), problem] {
        for keys in views {
            let mut h = Harness::with(snapshot.clone(), (100, 30));
            h.keys(keys);
            for width in [1, 2, 8, 16, 30, 47, 60, 80, 139, 140, 200] {
                for height in [1, 2, 5, 12, 24, 30, 50] {
                    h.size = (width, height);
                    h.app.on_resize(width, height);
                    h.screen();
                }
            }
        }
    }
}

#[test]
fn help_shows_the_alert_keys() {
    let mut h = Harness::with(fixture(), (100, 206));
    h.keys(&["?"]);
    let screen = h.screen();
    for text in [
        "Alerts: move with j/down and up; k/enter acknowledge",
        "k, enter           Acknowledge the selected alert",
        "up                 Move up",
        "x, delete          Expire the selected silence now (asks first)",
        "New silence popup",
        ":silence K=V… FOR",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
}

#[test]
fn silence_popup_counts_follow_alert_events() {
    let mut h = Harness::new();
    h.keys(&["A", "S"]);
    assert!(h.screen().contains("selects 1 of 7 alerts"));
    h.app
        .on_update(Update::Event(Event::Alerts { alerts: vec![] }));
    assert!(h.screen().contains("selects 0 of 0 alerts"));
}

#[test]
fn user_keymap_rebinds_ack() {
    let mut keymap = Keymap::builtin();
    let yaml = "alerts:\n  ack: a\n  up: [k, up]\n";
    keymap
        .merge_str(yaml, std::path::Path::new("keymap.yaml"))
        .unwrap();
    let mut h = Harness::with_keymap(keymap, fixture(), (100, 120));
    h.keys(&["A", "j", "k"]);
    assert_eq!(h.selected_alert(), "HighCpu");
    assert!(h.sent().is_empty());
    h.keys(&["a"]);
    assert_eq!(h.sent(), [ack("3f2a00aa11bb22cc")]);
    h.keys(&["?"]);
    let screen = h.screen();
    assert!(
        screen.contains("Alerts: move with j/down and k/up; a acknowledge"),
        "{screen}"
    );
}
