//! The overview of the projects file's workspaces: a render snapshot of the table (a
//! running workspace with a firing alert and a deploy, one stopped, one unreachable), and
//! headless tests of opening, switching with `:ctx` and `W`, and of what a switch keeps.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use common::tui::{NOW, Tui, find, running, workspace};
use univers_container::protocol::{NoticeLevel, QuotaStatus, Usage, WorkspaceRow, WorkspaceState};
use univers_container::tui::state::Pane;
use univers_container::tui::theme::Theme;
use univers_container::tui::{Request, Update};

fn rows() -> Vec<WorkspaceRow> {
    let workbench = WorkspaceRow {
        environment: Some("staging".into()),
        running: 9,
        services: 10,
        firing: 2,
        cpu_pct: 12.5,
        rss: 350 * 1024 * 1024,
        deploying: vec!["api".into()],
        quota: quota(),
        ..WorkspaceRow::idle("workbench", "/w/univers.yaml", WorkspaceState::Running)
    };
    let operation = WorkspaceRow::idle("operation", "/o/univers.yaml", WorkspaceState::Stopped);
    let gone = WorkspaceRow::idle(
        "lab",
        "/l/univers.yaml",
        WorkspaceState::Unreachable("no workspace file at /l/univers.yaml".into()),
    );
    vec![workbench, operation, gone]
}

/// Services at the limit's edge, memory a third used, CPU nearly idle; no log quota shown.
fn quota() -> QuotaStatus {
    let usage = |used: f64, limit: f64| {
        Some(Usage {
            used,
            limit,
            at: "univers.yaml:3:5".into(),
        })
    };
    QuotaStatus {
        services: usage(9.0, 10.0),
        memory: usage(350.0 * 1024.0 * 1024.0, 1024.0 * 1024.0 * 1024.0),
        cpu: usage(0.125, 2.0),
        log_retention: usage(1.0, 2.0),
        ..QuotaStatus::default()
    }
}

/// The overview as `uc` opens it on a projects file, its rows in.
fn overview() -> Tui {
    let mut h = Tui::new((100, 12), NOW);
    let app = std::mem::replace(&mut h.app, Tui::new((1, 1), NOW).app);
    h.app = app.with_overview();
    h.update(Update::Workspaces(rows()));
    h
}

#[test]
fn snapshot_the_overview() {
    let h = overview();
    assert_eq!(h.pane(), Pane::Overview);
    insta::assert_snapshot!("overview", h.screen());
    let screen = h.screen();
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap()
            .to_string()
    };
    let workbench = row("workbench");
    for cell in ["staging", "9/10", "2", "12.5%", "350M", "api"] {
        assert!(workbench.contains(cell), "{cell} in {workbench}");
    }
    assert!(
        workbench.contains("svc ████ mem ██░░ cpu █░░░"),
        "{workbench}"
    );
    assert!(row("operation").contains("stopped"));
    assert!(row("lab").contains("unreachable"));
    assert!(h.header().contains("3 workspaces"), "{}", h.header());
}

#[test]
fn quota_bars_turn_danger_at_the_limit_and_the_row_says_the_usage() {
    let mut h = overview();
    h.keys(&["j"]); // the selection's colours would cover the bars'
    let buffer = h.buffer();
    let theme = Theme::default();
    let (x, y) = find(&buffer, "svc ████");
    assert_eq!(buffer[(x + 4, y)].fg, theme.danger, "9 of 10 services");
    let (x, y) = find(&buffer, "mem ██");
    assert_eq!(buffer[(x + 4, y)].fg, theme.ok, "a third of the memory");
    let row = &h.app.state().workspaces.rows[0];
    assert_eq!(row.quota_cell(), "services 9/10 memory 34% cpu 6%");
    assert_eq!(h.app.state().workspaces.rows[1].quota_cell(), "-");
}

#[test]
fn enter_opens_the_selected_workspace_and_the_screen_starts_afresh() {
    let mut h = overview();
    h.keys(&["j", "enter"]);
    assert_eq!(h.sent(), [Request::OpenWorkspace("operation".into())]);
    assert_eq!(h.status(), "opening operation…");

    h.update(Update::Opened(Ok("operation".into())));
    let mut snapshot = workspace();
    snapshot.workspace = "operation".into();
    snapshot.services = vec![running("db")];
    h.snapshot(snapshot);
    assert_eq!(h.pane(), Pane::Services);
    assert!(h.header().contains("operation"), "{}", h.header());
    assert!(h.screen().contains("db"));

    // Back to the overview: the open workspace is marked, its rows kept across the switch.
    h.keys(&["W"]);
    assert_eq!(h.pane(), Pane::Overview);
    assert!(h.screen().contains("operation ●"), "{}", h.screen());
    assert_eq!(h.app.state().workspaces.rows.len(), 3);
}

#[test]
fn ctx_switches_by_name_and_refuses_an_unknown_one() {
    let mut h = overview();
    h.update(Update::Opened(Ok("workbench".into())));
    h.snapshot(workspace());
    h.command("ctx operation");
    assert_eq!(h.sent(), [Request::OpenWorkspace("operation".into())]);

    // The open one is shown at once, without asking the glue.
    h.command("ctx workbench");
    assert!(h.sent().is_empty());
    assert_eq!(h.pane(), Pane::Services);

    h.command("ctx nope");
    assert!(h.sent().is_empty());
    assert_eq!(
        h.status(),
        "no workspace `nope` (listed: workbench, operation, lab)"
    );

    h.command("ctx");
    assert_eq!(h.pane(), Pane::Overview);
}

#[test]
fn a_failed_open_says_why_and_a_single_workspace_has_no_overview() {
    let mut h = overview();
    h.keys(&["enter"]);
    h.update(Update::Opened(Err("cannot open workbench: no tmux".into())));
    let status = h.app.state().status.as_ref().unwrap();
    assert_eq!(status.level, NoticeLevel::Error);
    assert_eq!(status.text, "cannot open workbench: no tmux");
    assert_eq!(h.pane(), Pane::Overview);

    let mut single = Tui::new((100, 12), NOW);
    single.snapshot(workspace());
    single.keys(&["W"]);
    assert_eq!(single.pane(), Pane::Services);
    assert!(
        single.status().starts_with("no overview"),
        "{}",
        single.status()
    );
    assert!(single.sent().is_empty());
}

#[test]
fn the_selected_workspace_s_file_and_why_it_cannot_be_asked_show_below() {
    let mut h = overview();
    assert!(h.screen().contains("└ /w/univers.yaml "));
    h.keys(&["G"]);
    let screen = h.screen();
    assert!(
        screen.contains("/l/univers.yaml: no workspace file at /l/univers.yaml"),
        "{screen}"
    );
}
