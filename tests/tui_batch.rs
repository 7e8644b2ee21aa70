//! Batch operations in the TUI: `space` marks services, start / stop / restart act on every
//! marked one after one confirmation listing the plan in order; `esc` or `backspace` clears them.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use common::tui::{NOW, Tui, harness, running, service, workspace};
use univers_container::protocol::{Command, Dependent, ServiceState, ServiceStatus, Snapshot};
use univers_container::tui::Request;
use univers_container::tui::state::Popup;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn needs(status: ServiceStatus, deps: &[&str]) -> ServiceStatus {
    ServiceStatus {
        depends_on: strings(deps),
        ..status
    }
}

/// db ← api ← web, db ← worker, cache alone, mailer stopped.
fn fixture() -> Snapshot {
    Snapshot {
        services: vec![
            running("db"),
            running("cache"),
            needs(running("api"), &["db"]),
            needs(running("worker"), &["db"]),
            needs(running("web"), &["api"]),
            service("mailer", ServiceState::Stopped),
        ],
        ..workspace()
    }
}

harness! {
    /// The shared harness on a 100x22 screen.
    struct Harness;
}

impl Harness {
    fn new() -> Self {
        let mut tui = Tui::new((100, 22), NOW);
        tui.snapshot(fixture());
        Self(tui)
    }

    /// Mark `rows` (0-based, top to bottom) with space.
    fn mark(&mut self, rows: &[usize]) -> &mut Self {
        for &row in rows {
            self.app.dispatch(univers_container::tui::Action::Top);
            for _ in 0..row {
                self.keys(&["j"]);
            }
            self.keys(&["space"]);
        }
        self
    }

    fn marked(&self) -> Vec<String> {
        let state = self.app.state();
        (state.services().iter())
            .filter(|s| state.marks.contains(&s.name))
            .map(|s| s.name.clone())
            .collect()
    }
}

#[test]
fn snapshot_marked_rows() {
    let mut h = Harness::new();
    h.mark(&[0, 2, 5]);
    assert_eq!(h.marked(), ["db", "api", "mailer"]);
    assert_eq!(
        h.status(),
        "3 marked: s x r act on every mark, backspace clears"
    );
    insta::assert_snapshot!("batch_marked", h.screen());
}

#[test]
fn snapshot_one_confirmation_lists_the_plan_in_order() {
    let mut h = Harness::new();
    // db, cache, api: web and worker are not marked and depend on them.
    h.mark(&[0, 1, 2]).keys(&["x"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().top_popup() else {
        panic!("no confirmation");
    };
    assert_eq!(
        confirm.items,
        [
            "stop web (depends on api)",
            "stop worker (depends on db)",
            "stop api",
            "stop cache",
            "stop db",
        ]
    );
    assert!(confirm.message.contains("web, worker are not marked"));
    insta::assert_snapshot!("batch_confirm", h.screen());
    assert!(h.sent().is_empty(), "nothing is sent before the yes");
    h.keys(&["y"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Stop {
            services: strings(&["db", "cache", "api"])
        })]
    );
    assert!(h.marked().is_empty(), "a confirmed batch clears the marks");
}

#[test]
fn start_and_restart_act_on_every_mark() {
    let mut h = Harness::new();
    h.mark(&[4, 5]).keys(&["r", "y"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Restart {
            services: strings(&["web", "mailer"])
        })]
    );
    h.mark(&[5]).keys(&["s"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().top_popup() else {
        panic!("no confirmation");
    };
    assert_eq!(confirm.items, ["start mailer"]);
}

#[test]
fn esc_or_backspace_clears_the_marks_and_cancel_keeps_them() {
    let mut h = Harness::new();
    h.mark(&[0, 1]).keys(&["x", "esc"]);
    assert_eq!(
        h.marked(),
        ["db", "cache"],
        "a cancelled batch keeps its marks"
    );
    assert!(h.sent().is_empty());
    h.keys(&["esc"]);
    assert!(h.marked().is_empty());
    h.mark(&[3]).keys(&["backspace"]);
    assert!(h.marked().is_empty());
    // Unmarked again, a key acts on the selected service alone.
    h.mark(&[1, 1]).keys(&["k", "x"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Stop {
            services: strings(&["cache"])
        })]
    );
}

#[test]
fn a_batch_stop_names_other_workspaces_services_that_lose_a_dependency() {
    let mut h = Harness::new();
    let mut snapshot = fixture();
    snapshot.services[1].needed_by = vec![Dependent {
        service: "ops/report".into(),
        active: true,
    }];
    h.snapshot(snapshot);
    h.mark(&[1, 5]).keys(&["x"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().top_popup() else {
        panic!("no confirmation");
    };
    assert_eq!(
        confirm.items,
        [
            "stop cache",
            "ops/report depends on cache (workspace ops keeps it running)",
        ]
    );
}
