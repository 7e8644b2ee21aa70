//! The configuration center in the TUI: render snapshots of the environments pane (preview
//! loading, ready, failed), the switch confirmations (yes/no, typed name), the history, a
//! revision's diff, the revert confirmation, the pending-edit and broken-edit banners with
//! their dialogs, and the environment's colour on the header; headless tests of the key
//! flows, asserting on the requests the app sends through the link.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;
#[path = "tui_config/fixture.rs"]
mod fixture;

use fixture::*;
use ratatui::style::Color;
use univers_container::protocol::{
    Command, ConfigStatus, DiskFull, Event, ReplacedFile, StorageInfo,
};
use univers_container::tui::state::{Pane, Popup};
use univers_container::tui::{ConfigQuery, Request, Update};

fn plan_request(environment: &str) -> Request {
    Request::Config(ConfigQuery::Plan(environment.into()))
}

fn plan_answer(environment: &str, plan: univers_container::protocol::ConfigPlan) -> Update {
    Update::ConfigPlan {
        environment: environment.into(),
        result: Ok(plan),
    }
}

/// The environments pane with `environment` selected and its plan answered.
fn selecting(environment: &str, plan: univers_container::protocol::ConfigPlan) -> Harness {
    let mut h = Harness::with((120, 30));
    h.keys(&["e"]);
    h.update(plan_answer("staging", Default::default()));
    match environment {
        "dev" => h.keys(&["k"]),
        "prod" => h.keys(&["j"]),
        _ => &mut h,
    };
    h.update(plan_answer(environment, plan));
    h.sent();
    h
}

// ---- the environments pane --------------------------------------------------------------

#[test]
fn e_asks_the_plan_of_the_selection_and_moving_asks_again() {
    let mut h = Harness::with((120, 30));
    h.keys(&["e"]);
    assert_eq!(h.app.state().pane, Pane::Environments);
    assert_eq!(h.sent(), [plan_request("staging")]);
    // One plan at a time: the move waits for the answer, then the newest selection wins.
    h.keys(&["j"]);
    assert_eq!(h.sent(), []);
    h.update(plan_answer("staging", Default::default()));
    assert_eq!(h.sent(), [plan_request("prod")]);
    h.update(plan_answer("prod", prod_plan()));
    assert_eq!(h.sent(), []);
    h.keys(&["g g"]);
    assert_eq!(h.sent(), [plan_request("dev")]);
    // A new revision makes the preview stale: asked again.
    h.update(plan_answer("dev", dev_plan()));
    let config = ConfigStatus {
        revision: Some(5),
        ..status()
    };
    h.update(Update::Event(Event::Config {
        environment: Some("staging".into()),
        config,
    }));
    assert_eq!(h.sent(), [plan_request("dev")]);
    // `e` again goes back to the services.
    h.keys(&["e"]);
    assert_eq!(h.app.state().pane, Pane::Services);
}

#[test]
fn snapshot_environments_loading() {
    let mut h = Harness::with((120, 20));
    h.keys(&["e"]);
    let screen = h.screen();
    insta::assert_snapshot!("config_environments_loading", screen);
    assert!(screen.contains("loading…"));
}

#[test]
fn snapshot_environments_preview() {
    let h = selecting("prod", prod_plan());
    let screen = h.screen();
    insta::assert_snapshot!("config_environments_preview", screen);
    assert!(screen.contains("4 services change (api restarts, mailer stops, backup starts)"));
    assert!(screen.contains("command, env.LOG_LEVEL"));
}

#[test]
fn the_preview_diff_is_coloured_and_scrolls() {
    let mut h = selecting("prod", prod_plan());
    h.app.on_resize(120, 20);
    h.size = (120, 20);
    let buffer = h.buffer();
    let theme = h.app.theme().clone();
    let (x, y) = find(&buffer, "+    command: ./target");
    assert_eq!(buffer[(x, y)].fg, theme.ok);
    let (x, y) = find(&buffer, "-    command: cargo");
    assert_eq!(buffer[(x, y)].fg, theme.danger);
    let (x, y) = find(&buffer, "@@ -3,9");
    assert_eq!(buffer[(x, y)].fg, theme.dim);
    h.keys(&["pgdown"]);
    assert!(h.app.state().config.preview_scroll > 0);
    assert!(!h.screen().contains("--- staging"));
    h.keys(&["pgup"]);
    assert_eq!(h.app.state().config.preview_scroll, 0);
}

#[test]
fn snapshot_environments_narrow() {
    let mut h = Harness::with((80, 24));
    h.keys(&["e", "j"]);
    h.update(plan_answer("staging", Default::default()));
    h.update(plan_answer("prod", prod_plan()));
    insta::assert_snapshot!("config_environments_narrow", h.screen());
}

#[test]
fn snapshot_environments_error() {
    let mut h = Harness::with((120, 20));
    h.keys(&["e"]);
    h.update(Update::ConfigPlan {
        environment: "staging".into(),
        result: Err("cannot reach the engine: connection refused".into()),
    });
    let screen = h.screen();
    insta::assert_snapshot!("config_environments_error", screen);
    assert!(screen.contains("cannot plan the switch: cannot reach the engine"));
}

#[test]
fn d_shows_the_whole_diff_of_the_switch() {
    let mut h = selecting("prod", prod_plan());
    h.keys(&["d"]);
    let screen = h.screen();
    insta::assert_snapshot!("config_switch_diff", screen);
    assert!(matches!(h.app.state().top_popup(), Some(Popup::Text(_))));
    h.keys(&["esc"]);
    assert_eq!(h.app.state().top_popup(), None);
}

// ---- switching ----------------------------------------------------------------------------

#[test]
fn enter_y_switches_after_a_plain_confirmation() {
    let mut h = selecting("dev", dev_plan());
    h.keys(&["enter"]);
    insta::assert_snapshot!("config_confirm_switch", h.screen());
    h.keys(&["y"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::UseEnvironment {
            environment: "dev".into(),
            by: "ana".into(),
        })]
    );
    assert_eq!(h.status(), "switching to dev…");
    // The engine's reply reaches the status line.
    h.update(Update::CommandDone(Ok(
        univers_container::protocol::Reply {
            message: "switched to dev: api restarted".into(),
            services: vec!["api".into()],
            seq: 9,
        },
    )));
    assert_eq!(h.status(), "switched to dev: api restarted");
}

#[test]
fn n_cancels_and_the_active_environment_is_not_switched_to() {
    let mut h = selecting("dev", dev_plan());
    h.keys(&["enter", "n"]);
    assert_eq!(h.app.state().top_popup(), None);
    h.keys(&["j", "enter"]);
    assert_eq!(h.app.state().top_popup(), None);
    assert_eq!(h.status(), "staging is the active environment already");
    assert!(!h.sent().iter().any(|r| matches!(r, Request::Engine(_))));
}

#[test]
fn prod_needs_its_name_typed() {
    let mut h = selecting("prod", prod_plan());
    h.keys(&["enter"]);
    insta::assert_snapshot!("config_confirm_typed_empty", h.screen());
    // `y` types; enter on a wrong name refuses and keeps the dialog.
    h.type_text("y").keys(&["enter"]);
    assert_eq!(h.sent(), []);
    assert_eq!(h.status(), "type `prod` exactly to confirm");
    assert!(matches!(h.app.state().top_popup(), Some(Popup::Confirm(_))));
    // The dialog itself says why, under the input, until the text changes.
    let refusal = "✗ that is not `prod`";
    let buffer = h.buffer();
    let (x, y) = find(&buffer, refusal);
    assert_eq!(buffer[(x, y)].fg, h.app.theme().danger);
    let (x, y) = find(&buffer, "⏎ confirm");
    assert_eq!(buffer[(x, y)].fg, h.app.theme().dim);
    h.keys(&["backspace"]);
    assert!(!h.screen().contains(refusal), "{}", h.screen());
    h.type_text("prod");
    insta::assert_snapshot!("config_confirm_typed_right", h.screen());
    let buffer = h.buffer();
    let (x, y) = find(&buffer, "⏎ confirm");
    assert_eq!(buffer[(x, y)].fg, h.app.theme().footer_key);
    h.keys(&["enter"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::UseEnvironment {
            environment: "prod".into(),
            by: "ana".into(),
        })]
    );
}

#[test]
fn q_types_in_the_name_instead_of_quitting() {
    let mut h = selecting("prod", prod_plan());
    h.keys(&["enter"]).type_text("q");
    assert!(!h.app.should_quit());
    h.keys(&["esc"]);
    assert_eq!(h.app.state().top_popup(), None);
}

// ---- the history --------------------------------------------------------------------------

fn history() -> Harness {
    let mut h = Harness::with((120, 20));
    h.keys(&["e", "h"]);
    h.update(Update::ConfigHistory(Ok(revisions())));
    h
}

#[test]
fn snapshot_history() {
    let mut h = Harness::with((120, 20));
    h.keys(&["e", "h"]);
    assert_eq!(h.app.state().pane, Pane::ConfigHistory);
    assert!(h.sent().contains(&Request::Config(ConfigQuery::History)));
    assert!(h.screen().contains("loading…"));
    h.update(Update::ConfigHistory(Ok(revisions())));
    let screen = h.screen();
    insta::assert_snapshot!("config_history", screen);
    assert!(screen.contains("reload"));
    h.keys(&["h"]);
    assert_eq!(h.app.state().pane, Pane::Environments);
}

#[test]
fn snapshot_revision_diff() {
    let mut h = history();
    h.sent();
    h.keys(&["j", "enter"]);
    assert_eq!(h.sent(), [Request::Config(ConfigQuery::Diff(3))]);
    assert!(h.screen().contains("loading…"));
    let diff = "--- revision 3\n+++ applied\n@@ -1,2 +1,2 @@\n-environment: prod\n+environment: staging\n workspace: hvac";
    h.update(Update::RevisionDiff {
        revision: 3,
        result: Ok(diff.into()),
    });
    insta::assert_snapshot!("config_revision_diff", h.screen());
}

#[test]
fn a_long_revision_diff_scrolls() {
    let mut h = history();
    h.keys(&["d"]);
    let diff: Vec<String> = (0..60).map(|i| format!("+line {i}")).collect();
    h.update(Update::RevisionDiff {
        revision: 4,
        result: Ok(diff.join("\n")),
    });
    assert!(h.screen().contains("1–"));
    h.keys(&["G"]);
    let screen = h.screen();
    assert!(screen.contains("+line 59"), "{screen}");
    assert!(!screen.contains("+line 0 "), "{screen}");
}

#[test]
fn r_plans_the_revert_then_asks_with_the_typed_name() {
    let mut h = history();
    h.sent();
    // The applied revision is not reverted to.
    h.keys(&["r"]);
    assert_eq!(h.status(), "revision 4 is the applied one");
    h.keys(&["j", "r"]);
    assert_eq!(h.sent(), [Request::Config(ConfigQuery::RevertPlan(3))]);
    assert_eq!(h.status(), "planning the revert to revision 3…");
    h.update(Update::RevertPlan {
        revision: 3,
        result: Ok(prod_plan()),
    });
    insta::assert_snapshot!("config_revert_confirm", h.screen());
    h.type_text("prod").keys(&["enter"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::RevertConfig {
            revision: 3,
            by: "ana".into(),
        })]
    );
}

#[test]
fn a_refused_revert_plan_is_reported() {
    let mut h = history();
    h.keys(&["j", "j", "r"]);
    h.update(Update::RevertPlan {
        revision: 2,
        result: Err("revision 2 no longer loads: services.api: unknown field".into()),
    });
    assert_eq!(h.app.state().top_popup(), None);
    assert!(
        h.status()
            .starts_with("cannot revert to revision 2: revision 2 no longer")
    );
    // A late answer for a revert nobody waits for is dropped.
    h.update(Update::RevertPlan {
        revision: 2,
        result: Ok(prod_plan()),
    });
    assert_eq!(h.app.state().top_popup(), None);
}

// ---- the pending and broken edits -----------------------------------------------------

fn pending() -> Harness {
    let config = ConfigStatus {
        pending: Some(pending_plan()),
        ..status()
    };
    Harness::on((100, 20), snapshot("staging", config))
}

#[test]
fn snapshot_pending_banner() {
    let h = pending();
    let screen = h.screen();
    insta::assert_snapshot!("config_pending_banner", screen);
    assert!(
        screen
            .contains("config edited on disk: 2 services change (api restarts) — U apply · D diff")
    );
}

#[test]
fn d_shows_the_pending_diff() {
    let mut h = pending();
    h.keys(&["D"]);
    insta::assert_snapshot!("config_pending_diff", h.screen());
}

#[test]
fn u_applies_the_pending_edit_by_its_hash() {
    let mut h = pending();
    h.sent();
    h.keys(&["U"]);
    insta::assert_snapshot!("config_confirm_apply", h.screen());
    h.keys(&["y"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::ApplyConfig {
            hash: Some(PENDING_HASH.into()),
            by: "ana".into(),
        })]
    );
    assert_eq!(h.status(), "applying the edited config…");
}

#[test]
fn without_an_edit_the_edit_keys_only_say_so() {
    let mut h = Harness::with((100, 20));
    h.keys(&["U"]);
    assert_eq!(h.app.state().top_popup(), None);
    assert_eq!(
        h.status(),
        "no edit of the config files is waiting to be applied"
    );
    assert!(!h.screen().contains("U apply"));
}

#[test]
fn the_engines_own_files_take_the_banner_before_an_edit() {
    let config = ConfigStatus {
        pending: Some(pending_plan()),
        ..status()
    };
    let mut snap = snapshot("staging", config);
    snap.storage = StorageInfo {
        dir: "/state/ws".into(),
        disk_full: Some(DiskFull {
            since: 1,
            waiting: vec!["log store".into()],
        }),
        replaced: vec![ReplacedFile {
            file: "/state/ws/heal.db".into(),
            moved_to: "/state/ws/heal.db.corrupt-1".into(),
            problem: "file is not a database".into(),
            at: 1,
        }],
    };
    let h = Harness::on((140, 20), snap);
    let screen = h.screen();
    assert!(
        screen.contains("no space left in /state/ws: log store waiting"),
        "{screen}"
    );
    assert!(screen.contains("(+1 more: uc status)"), "{screen}");
    assert!(!screen.contains("config edited on disk"));
    let buffer = h.buffer();
    let (x, y) = find(&buffer, "no space left");
    assert_eq!(buffer[(x, y)].bg, h.app.theme().danger);
}

fn broken() -> Harness {
    let config = ConfigStatus {
        errors: vec![
            "univers.yaml:12:5: unknown field `comand` (did you mean `command`?)".into(),
            "configs/environments/prod.yaml:3:1: `PORT` is not a number".into(),
            "univers.yaml:30:9: service `web` depends on `apii`, which does not exist".into(),
        ],
        ..status()
    };
    Harness::on((100, 20), snapshot("staging", config))
}

#[test]
fn snapshot_error_banner_and_list() {
    let mut h = broken();
    let screen = h.screen();
    insta::assert_snapshot!("config_error_banner", screen);
    assert!(screen.contains("config edit not applied: univers.yaml:12:5: unknown field"));
    assert!(screen.contains("(+2 more) — E show"));
    let buffer = h.buffer();
    let (x, y) = find(&buffer, "config edit not applied");
    assert_eq!(buffer[(x, y)].bg, h.app.theme().danger);
    h.keys(&["E"]);
    insta::assert_snapshot!("config_error_list", h.screen());
}

// ---- the environment's colour -----------------------------------------------------------

#[test]
fn prod_turns_the_header_red() {
    let h = Harness::on((100, 20), snapshot("prod", status()));
    let buffer = h.buffer();
    for x in [0, 50, 99] {
        assert_eq!(buffer[(x, 0)].bg, Color::Red, "column {x}");
    }
    let (x, y) = find(&buffer, "env prod");
    assert_eq!(
        (buffer[(x, y)].fg, buffer[(x, y)].bg),
        (Color::Red, Color::White)
    );
    insta::assert_snapshot!("config_prod_header", h.screen());
}

#[test]
fn the_header_follows_a_switch_and_the_environments_theme() {
    let mut h = Harness::with((100, 20));
    let buffer = h.buffer();
    assert_eq!(buffer[(0, 0)].bg, Color::Yellow);
    assert_eq!(buffer[(0, 0)].fg, Color::Black);
    h.update(Update::Event(Event::Config {
        environment: Some("prod".into()),
        config: status(),
    }));
    let buffer = h.buffer();
    assert_eq!(buffer[(0, 0)].bg, Color::Red);
    // The panes' frame takes prod's red too.
    let corner = (0..buffer.area.height)
        .find(|&y| buffer[(0, y)].symbol() == "┌")
        .expect("a pane frame");
    assert_eq!(buffer[(0, corner)].fg, Color::Red);
    // Without colours anywhere, the theme's own header stays.
    let plain = ConfigStatus {
        environments: vec![],
        ..status()
    };
    h.update(Update::Event(Event::Config {
        environment: Some("staging".into()),
        config: plain,
    }));
    assert_eq!(h.buffer()[(0, 0)].bg, h.app.theme().header_bg);
}

#[test]
fn snapshot_environments_in_help_and_footer() {
    let mut h = Harness::with((200, 40));
    assert!(h.screen().contains("e environments"));
    h.keys(&["?"]);
    let screen = h.screen();
    assert!(screen.contains("Show the environments"), "{screen}");
}

#[test]
fn a_workspace_without_environments_says_so() {
    let config = ConfigStatus {
        environments: vec![],
        ..status()
    };
    let mut h = Harness::on((100, 20), snapshot("staging", config));
    h.keys(&["e"]);
    assert_eq!(h.sent(), []);
    assert!(
        h.screen()
            .contains("The workspace declares no environments")
    );
    h.keys(&["enter"]);
    assert_eq!(h.status(), "the workspace declares no environments");
}

#[test]
fn the_history_is_asked_again_after_a_new_revision() {
    let mut h = history();
    assert_eq!(
        h.sent(),
        [
            plan_request("staging"),
            Request::Config(ConfigQuery::History)
        ]
    );
    h.update(Update::Event(Event::Config {
        environment: Some("dev".into()),
        config: ConfigStatus {
            revision: Some(5),
            ..status()
        },
    }));
    assert_eq!(h.sent(), [Request::Config(ConfigQuery::History)]);
    // The list stays on screen while the new one is on its way.
    assert!(h.screen().contains("reload"));
}
