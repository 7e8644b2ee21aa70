//! Marks across workspaces in the overview: `right` lists a workspace's services, `space`
//! marks them in any workspace, `x` asks once with each workspace's plan in dependency
//! order and the dependents not marked, and the confirmation sends each part to its own
//! workspace's engine (`Request::Batches`). Render snapshots of the marked overview and of
//! the confirmation.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use common::tui::{NOW, Tui, running};
use univers_container::protocol::{
    Command, Dependent, ServiceStatus, WorkspaceRow, WorkspaceState,
};
use univers_container::tui::state::Pane;
use univers_container::tui::{Request, Update};

fn needing(name: &str, deps: &[&str], needed_by: &[&str]) -> ServiceStatus {
    ServiceStatus {
        depends_on: deps.iter().map(|d| d.to_string()).collect(),
        needed_by: (needed_by.iter())
            .map(|d| Dependent {
                service: d.to_string(),
                active: true,
            })
            .collect(),
        ..running(name)
    }
}

/// workbench: db ← api ← web, and report; operation: queue, and sync that needs
/// workbench/report (so report lists it as needed by `operation/sync`).
fn rows() -> Vec<WorkspaceRow> {
    let workbench = WorkspaceRow {
        running: 4,
        services: 4,
        members: vec![
            needing("db", &[], &[]),
            needing("api", &["db"], &[]),
            needing("web", &["api"], &[]),
            needing("report", &[], &["operation/sync"]),
        ],
        ..WorkspaceRow::idle("workbench", "/w/univers.yaml", WorkspaceState::Running)
    };
    let operation = WorkspaceRow {
        running: 2,
        services: 2,
        members: vec![needing("queue", &[], &[]), needing("sync", &[], &[])],
        ..WorkspaceRow::idle("operation", "/o/univers.yaml", WorkspaceState::Running)
    };
    vec![workbench, operation]
}

fn overview() -> Tui {
    let mut h = Tui::new((100, 16), NOW);
    let app = std::mem::replace(&mut h.app, Tui::new((1, 1), NOW).app);
    h.app = app.with_overview();
    h.update(Update::Workspaces(rows()));
    h
}

/// Mark workbench's api and report, and operation's queue.
fn marked() -> Tui {
    let mut h = overview();
    // workbench's services, then api (the second) and report (the fourth).
    h.keys(&["right", "j", "j", "space", "j", "space"]);
    // operation's row, its services, then queue.
    h.keys(&["j", "right", "j", "space"]);
    h
}

#[test]
fn right_lists_a_workspace_s_services_and_left_folds_them() {
    let mut h = overview();
    h.keys(&["right"]);
    let screen = h.screen();
    for name in ["db", "api", "web", "report", "operation"] {
        assert!(screen.contains(name), "{name} in {screen}");
    }
    assert!(!screen.contains("queue"));
    h.keys(&["j", "j", "left"]);
    assert!(!h.screen().contains("report"));
    assert_eq!(h.app.state().workspaces.selected, 0);

    // Space on a workspace's row says how to list its services.
    h.keys(&["space"]);
    assert_eq!(h.status(), "→ lists a workspace's services to mark");
}

#[test]
fn snapshot_the_marked_overview() {
    let h = marked();
    assert_eq!(h.pane(), Pane::Overview);
    let marks = &h.app.state().workspaces.marks;
    assert_eq!(marks.len(), 3, "{marks:?}");
    assert!(
        h.status().starts_with("3 marked in 2 workspaces"),
        "{}",
        h.status()
    );
    insta::assert_snapshot!("overview_marked", h.screen());
    // What a stop of report takes from another workspace shows on its line.
    let report = h
        .screen()
        .lines()
        .find(|l| l.contains("report"))
        .unwrap()
        .to_string();
    assert!(report.contains("needed by operation/sync"), "{report}");
}

#[test]
fn one_confirmation_lists_each_workspace_s_part_and_sends_each_to_its_engine() {
    let mut h = marked();
    h.keys(&["x"]);
    let screen = h.screen();
    insta::assert_snapshot!("overview_marks_confirm", screen);
    assert!(
        screen.contains("Stop 4 services in 2 workspaces?"),
        "{screen}"
    );
    // web is not marked, but stops before api (the engine stops dependents first).
    assert!(screen.contains("workbench/web is not marked"), "{screen}");
    // sync, in operation, keeps running without report: warned, not stopped.
    assert!(
        screen.contains("operation/sync depends on report"),
        "{screen}"
    );
    let web = screen.find("stop web").unwrap();
    assert!(web < screen.find("stop api").unwrap(), "{screen}");
    assert!(screen.find("workbench:").unwrap() < screen.find("operation:").unwrap());

    h.keys(&["enter"]);
    let stop = |names: &[&str]| Command::Stop {
        services: names.iter().map(|n| n.to_string()).collect(),
    };
    assert_eq!(
        h.sent(),
        [Request::Batches(vec![
            ("workbench".into(), stop(&["api", "report"])),
            ("operation".into(), stop(&["queue"])),
        ])]
    );
    assert!(h.app.state().workspaces.marks.is_empty());
}

#[test]
fn a_marked_service_of_another_workspace_is_not_warned_about() {
    let mut h = marked();
    // Mark operation's sync too: it stops with the batch, so it is not left stranded.
    h.keys(&["space"]);
    h.keys(&["x"]);
    assert!(
        !h.screen().contains("operation/sync depends on"),
        "{}",
        h.screen()
    );
    h.keys(&["esc"]);
    assert!(h.sent().is_empty());
    assert_eq!(h.app.state().workspaces.marks.len(), 4);
    // Esc again, nothing open: the marks go.
    h.keys(&["esc"]);
    assert!(h.app.state().workspaces.marks.is_empty());
}

#[test]
fn without_marks_the_keys_say_how_to_mark() {
    let mut h = overview();
    h.keys(&["x"]);
    assert!(h.sent().is_empty());
    assert!(
        h.status().starts_with("no service is marked"),
        "{}",
        h.status()
    );
}

#[test]
fn the_selection_stays_on_its_service_when_the_lines_above_change() {
    let mut h = overview();
    h.keys(&["right", "G", "right", "j"]);
    let at = |h: &Tui| {
        let screen = h.screen();
        screen
            .lines()
            .find(|l| l.contains('›'))
            .unwrap()
            .to_string()
    };
    assert!(at(&h).contains("queue"), "{}", h.screen());
    let mut rows = rows();
    rows[0].members.push(running("cache"));
    h.update(Update::Workspaces(rows));
    assert!(at(&h).contains("queue"), "{}", h.screen());
}
