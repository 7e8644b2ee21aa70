//! Links with other workspaces in the TUI: the details of a service show what it needs
//! elsewhere and who elsewhere needs it; stopping it confirms first, listing them.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use common::tui::{NOW, Tui, harness, running, workspace};
use univers_container::protocol::{Command, Dependent, ServiceStatus, Snapshot};
use univers_container::tui::Request;
use univers_container::tui::state::Popup;

harness! {
    struct Harness;
}

/// hvac: api needs operation/db and cache here; db is needed by billing/worker (running)
/// and billing/report (not running).
fn services() -> Vec<ServiceStatus> {
    let api = ServiceStatus {
        depends_on: vec!["operation/db".into(), "cache".into()],
        ..running("api")
    };
    let cache = running("cache");
    let db = ServiceStatus {
        needed_by: vec![
            Dependent {
                service: "billing/worker".into(),
                active: true,
            },
            Dependent {
                service: "billing/report".into(),
                active: false,
            },
        ],
        ..running("db")
    };
    vec![api, cache, db]
}

impl Harness {
    fn new() -> Self {
        let mut tui = Tui::new((120, 24), NOW);
        tui.snapshot(Snapshot {
            services: services(),
            ..workspace()
        });
        Self(tui)
    }
}

#[test]
fn details_show_the_links_with_other_workspaces() {
    let mut h = Harness::new();
    h.keys(&["i"]);
    let screen = h.screen();
    assert!(screen.contains("depends on operation/db"), "{screen}");
    insta::assert_snapshot!("xdeps_details_depends_on", screen);
    h.keys(&["j", "j"]);
    let screen = h.screen();
    assert!(
        screen.contains("needed by billing/worker, billing/report (not running)"),
        "{screen}"
    );
    insta::assert_snapshot!("xdeps_details_needed_by", screen);
}

#[test]
fn stopping_a_service_another_workspace_needs_confirms_listing_it() {
    let mut h = Harness::new();
    h.keys(&["j", "j", "x"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().top_popup() else {
        panic!("no confirm dialog");
    };
    assert_eq!(
        confirm.message,
        "Services of other workspaces depend on it:"
    );
    assert_eq!(
        confirm.items,
        ["billing/worker depends on db (workspace billing keeps it running)"]
    );
    insta::assert_snapshot!("xdeps_stop_confirm", h.screen());
    assert!(h.sent().is_empty());
    h.keys(&["y"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Stop {
            services: vec!["db".into()]
        })]
    );
}

#[test]
fn stopping_all_lists_what_other_workspaces_lose() {
    let mut h = Harness::new();
    h.keys(&["X"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().top_popup() else {
        panic!("no confirm dialog");
    };
    assert_eq!(
        confirm.items,
        [
            "api",
            "cache",
            "db",
            "billing/worker depends on db (workspace billing keeps it running)"
        ]
    );
}

#[test]
fn a_service_nobody_elsewhere_needs_stops_at_once() {
    let mut h = Harness::new();
    h.keys(&["j", "x"]);
    // api depends on cache here, so that one confirms; api itself stops at once.
    assert!(h.app.state().top_popup().is_some());
    h.keys(&["n", "k", "x"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Stop {
            services: vec!["api".into()]
        })]
    );
}
