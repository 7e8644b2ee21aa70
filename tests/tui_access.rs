//! The TUI of a user who may not act (`uc --read-only`, a `viewer`): the footer and the help
//! pane offer no key that would act, and such a key, or its `:` command, is refused on the
//! status line without a request going out.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use common::tui::{NOW, Tui, running, workspace};
use univers_container::protocol::Role;
use univers_container::tui::{App, EngineLink, Keymap, Request, Theme};

fn as_role(role: Role) -> Tui {
    let (link, _updates, requests) = EngineLink::pair();
    let mut app = App::new(link.requests, Keymap::builtin(), Theme::default()).with_role(role);
    app.on_resize(120, 30);
    app.on_tick(NOW);
    let mut tui = Tui {
        app,
        requests,
        size: (120, 30),
    };
    let mut snapshot = workspace();
    snapshot.services = vec![running("api"), running("db")];
    tui.snapshot(snapshot);
    tui
}

fn footer(tui: &Tui) -> String {
    let screen = tui.screen();
    let last = screen.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    last.to_owned()
}

#[test]
fn a_viewer_is_offered_no_key_that_acts() {
    let mut viewer = as_role(Role::Viewer);
    let footer = footer(&viewer);
    for word in ["stop", "start", "restart", "⏎ window"] {
        assert!(!footer.contains(word), "{word} in {footer}");
    }
    assert!(
        footer.contains("help") && footer.contains("logs"),
        "{footer}"
    );
    viewer.keys(&["?"]);
    let help = viewer.screen();
    assert!(help.contains("Show the logs"), "{help}");
    assert!(!help.contains("Stop the selected service"), "{help}");
    assert!(!help.contains("Deploy the selected service"), "{help}");
}

#[test]
fn a_viewer_pressing_stop_is_refused_on_the_status_line() {
    let mut viewer = as_role(Role::Viewer);
    viewer.keys(&["x"]);
    assert_eq!(viewer.status(), "permission denied: viewer may not stop");
    assert!(
        viewer
            .screen()
            .contains("permission denied: viewer may not stop")
    );
    viewer.command("stop api");
    assert_eq!(viewer.status(), "permission denied: viewer may not stop");
    let sent = viewer.sent();
    assert!(
        !sent.iter().any(|r| matches!(r, Request::Engine(_))),
        "{sent:?}"
    );
}

#[test]
fn an_operator_may_stop_but_not_deploy() {
    let mut operator = as_role(Role::Operator);
    let keys = footer(&operator);
    assert!(keys.contains("stop"), "{keys}");
    operator.keys(&["x"]);
    let sent = operator.sent();
    assert!(
        sent.iter().any(|r| matches!(r, Request::Engine(_))),
        "{sent:?}"
    );
    operator.keys(&["d"]);
    assert!(
        !footer(&operator).contains("deploy "),
        "{}",
        footer(&operator)
    );
    operator.keys(&["D"]);
    assert!(
        operator.status().starts_with("permission denied"),
        "{}",
        operator.status()
    );
}
