//! TUI tests: whole-screen `TestBackend` snapshots of each pane and popup, and headless app
//! tests driven by keys and `Action`s, reading the requests the app sends on its link.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use std::path::Path;

use common::tui::{NOW, Tui, find_below_header as find, harness, service, workspace};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use univers_container::protocol::{
    Command, CommandError, Event, Health, Notice, NoticeLevel, Reply, ServiceState, ServiceStatus,
    Snapshot,
};
use univers_container::tui::state::Popup;
use univers_container::tui::{Action, Keymap, Request, Theme, Update};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Six services, one in each interesting state.
fn fixture() -> Snapshot {
    let db = ServiceStatus {
        pid: Some(4242),
        started_at: Some(NOW - (2 * 3600 + 5 * 60) * 1000),
        health: Some(Health::Healthy),
        tags: strings(&["data"]),
        ..service("db", ServiceState::Running)
    };
    let api = ServiceStatus {
        pid: Some(4310),
        started_at: Some(NOW - 192_000),
        restarts: 2,
        user_restarts: 1,
        health: Some(Health::Healthy),
        tags: strings(&["backend", "http"]),
        depends_on: strings(&["db"]),
        ..service("api", ServiceState::Running)
    };
    let web = ServiceStatus {
        reason: Some("waiting for api (healthy)".into()),
        health: Some(Health::Unknown),
        tags: strings(&["frontend"]),
        depends_on: strings(&["api"]),
        ..service("web", ServiceState::Starting)
    };
    let worker = ServiceStatus {
        exit_code: Some(1),
        started_at: Some(NOW - 60_000),
        restarts: 5,
        tags: strings(&["backend"]),
        depends_on: strings(&["db"]),
        ..service("worker", ServiceState::Exited)
    };
    let mailer = ServiceStatus {
        reason: Some("command not found: mailerd".into()),
        ..service("mailer", ServiceState::Failed)
    };
    Snapshot {
        services: vec![
            db,
            api,
            web,
            worker,
            service("cache", ServiceState::Stopped),
            mailer,
        ],
        ..workspace()
    }
}

harness! {
    /// The shared harness on a 100x20 screen.
    struct Harness;
}

impl Harness {
    fn with(keymap: Keymap, theme: Theme, snapshot: Option<Snapshot>) -> Self {
        let mut tui = Tui::with(keymap, theme, None, (100, 20), NOW);
        if let Some(snapshot) = snapshot {
            tui.snapshot(snapshot);
        }
        Self(tui)
    }

    fn new() -> Self {
        Self::with(Keymap::builtin(), Theme::default(), Some(fixture()))
    }

    fn selected(&self) -> Option<&str> {
        self.app.state().selected().map(|s| s.name.as_str())
    }

    fn rows(&self) -> Vec<&str> {
        self.app
            .state()
            .visible()
            .map(|s| s.name.as_str())
            .collect()
    }
}

fn start(services: &[&str]) -> Request {
    Request::Engine(Command::Start {
        services: strings(services),
        tags: vec![],
    })
}

fn stop(services: &[&str]) -> Request {
    Request::Engine(Command::Stop {
        services: strings(services),
    })
}

// ---- render snapshots -------------------------------------------------------------------

#[test]
fn snapshot_services() {
    let mut h = Harness::new();
    h.keys(&["j"]);
    insta::assert_snapshot!("services", h.screen());
}

#[test]
fn snapshot_empty_workspace() {
    let snapshot = Snapshot {
        services: vec![],
        environment: None,
        ..fixture()
    };
    let h = Harness::with(Keymap::builtin(), Theme::default(), Some(snapshot));
    insta::assert_snapshot!("empty_workspace", h.screen());
}

#[test]
fn snapshot_connecting() {
    let h = Harness::with(Keymap::builtin(), Theme::default(), None);
    insta::assert_snapshot!("connecting", h.screen());
}

#[test]
fn snapshot_filter_active() {
    let mut h = Harness::new();
    h.keys(&["/"]).type_text("back");
    insta::assert_snapshot!("filter_typing", h.screen());
    h.keys(&["enter"]);
    insta::assert_snapshot!("filter_kept", h.screen());
}

#[test]
fn snapshot_help_popup() {
    let mut h = Harness::new();
    h.keys(&["?"]);
    insta::assert_snapshot!("help", h.screen());
    h.keys(&["G"]);
    insta::assert_snapshot!("help_scrolled", h.screen());
}

#[test]
fn snapshot_command_line() {
    let mut h = Harness::new();
    h.keys(&[":"]).type_text("restart ap");
    insta::assert_snapshot!("command_line", h.screen());
}

#[test]
fn snapshot_confirm_lists_dependents() {
    let mut h = Harness::new();
    h.keys(&["x"]);
    insta::assert_snapshot!("confirm_dependents", h.screen());
}

#[test]
fn snapshot_status_error() {
    let mut h = Harness::new();
    h.keys(&[":"]).type_text("start nope").keys(&["enter"]);
    h.app.on_tick(NOW + 5_000);
    insta::assert_snapshot!("status_error", h.screen());
}

#[test]
fn snapshot_disconnected() {
    let mut h = Harness::new();
    h.app
        .on_update(Update::Disconnected("connection refused".into()));
    insta::assert_snapshot!("disconnected", h.screen());
}

#[test]
fn snapshot_narrow_footer_truncates() {
    let h = Harness::new();
    let mut terminal = Terminal::new(TestBackend::new(48, 12)).unwrap();
    terminal.draw(|frame| h.app.draw(frame)).unwrap();
    insta::assert_snapshot!("narrow", terminal.backend().to_string());
}

#[test]
fn every_theme_colours_its_slots() {
    for name in Theme::builtin_names() {
        let theme = Theme::builtin(name).unwrap();
        let h = Harness::with(Keymap::builtin(), theme.clone(), Some(fixture()));
        let buffer = h.buffer();
        assert_eq!(buffer[(0, 0)].bg, theme.header_bg, "{name}: header");
        assert_eq!(buffer[(0, 0)].fg, theme.header_fg, "{name}: header");
        let (x, y) = find(&buffer, "db ");
        assert_eq!(buffer[(x, y)].bg, theme.selection_bg, "{name}: selection");
        let (x, y) = find(&buffer, "running");
        let (x2, y2) = find(&buffer, "starting");
        let (x3, y3) = find(&buffer, "exited 1");
        let (x4, y4) = find(&buffer, "failed");
        // The first "running" is on the selected row; look at api's.
        assert_eq!(
            buffer[(x, y + 1)].fg,
            theme.state_running,
            "{name}: running"
        );
        assert_eq!(
            buffer[(x2, y2)].fg,
            theme.state_starting,
            "{name}: starting"
        );
        assert_eq!(buffer[(x3, y3)].fg, theme.state_exited, "{name}: exited");
        assert_eq!(buffer[(x4, y4)].fg, theme.state_failed, "{name}: failed");
        let (x, y) = find(&buffer, "┌");
        assert_eq!(buffer[(x, y)].fg, theme.border_focus, "{name}: border");
        let (x, y) = find(&buffer, " ? help");
        assert_eq!(
            buffer[(x + 1, y)].fg,
            theme.footer_key,
            "{name}: footer key"
        );
    }
    let hc = Theme::builtin("high-contrast").unwrap();
    assert_eq!(hc.bg, Color::Rgb(0, 0, 0));
}

// ---- headless app tests -----------------------------------------------------------------

#[test]
fn keys_move_the_selection() {
    let mut h = Harness::new();
    assert_eq!(h.selected(), Some("db"));
    h.keys(&["j", "down"]);
    assert_eq!(h.selected(), Some("web"));
    h.keys(&["k"]);
    assert_eq!(h.selected(), Some("api"));
    h.keys(&["G"]);
    assert_eq!(h.selected(), Some("mailer"));
    h.keys(&["g g"]);
    assert_eq!(h.selected(), Some("db"));
    h.app.dispatch(Action::PageDown);
    assert_eq!(h.selected(), Some("mailer"));
    h.app.dispatch(Action::Up);
    assert_eq!(h.selected(), Some("cache"));
}

#[test]
fn s_starts_the_selected_service() {
    let mut h = Harness::new();
    h.keys(&["j", "s"]);
    assert_eq!(h.sent(), [start(&["api"])]);
    assert_eq!(h.status(), "starting api…");
    h.app.on_update(Update::CommandDone(Ok(Reply {
        message: "started db, api".into(),
        services: strings(&["db", "api"]),
        seq: 0,
    })));
    // Both run already (the fixture's engine is quick): the status line says so.
    assert_eq!(h.status(), "db, api running");
    h.app.on_update(Update::CommandDone(Err(CommandError::field(
        "services", "no",
    ))));
    assert_eq!(h.status(), "services: no");
}

#[test]
fn r_restarts_and_a_starts_all() {
    let mut h = Harness::new();
    h.keys(&["r", "a"]);
    assert_eq!(
        h.sent(),
        [
            Request::Engine(Command::Restart {
                services: strings(&["db"])
            }),
            start(&[]),
        ]
    );
}

#[test]
fn x_confirms_when_dependents_would_stop() {
    let mut h = Harness::new();
    h.keys(&["j", "x"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().top_popup() else {
        panic!("no confirm dialog");
    };
    assert_eq!(confirm.items, ["web"]);
    assert!(h.sent().is_empty());
    h.keys(&["n"]);
    assert!(h.app.state().popups.is_empty());
    assert!(h.sent().is_empty());
    h.keys(&["x", "q"]); // keys outside the dialog's layer do nothing but quit
    assert!(h.app.should_quit());
    let mut h = Harness::new();
    h.keys(&["j", "x", "j", "s", "y"]);
    assert_eq!(h.sent(), [stop(&["api"])]);
    assert!(h.app.state().popups.is_empty());
}

#[test]
fn x_without_active_dependents_stops_at_once() {
    let mut h = Harness::new();
    h.keys(&["j", "j", "x"]);
    assert_eq!(h.sent(), [stop(&["web"])]);
}

/// The status line follows a stop to its end: "stopping…", the engine's reply, then
/// "stopped" once the service is, whether its events come before the reply or after.
#[test]
fn x_ends_with_stopped_on_the_status_line() {
    let reply = |services: &[&str]| {
        Update::CommandDone(Ok(Reply {
            message: format!("stopping {}", services.join(", ")),
            services: strings(services),
            seq: 0,
        }))
    };
    let event = |state| Update::Event(Event::Service(service("web", state)));
    let mut h = Harness::new();
    h.keys(&["j", "j", "x"]);
    assert_eq!(h.status(), "stopping web…");
    h.app.on_update(reply(&["web"]));
    assert_eq!(h.status(), "stopping web");
    h.app.on_update(event(ServiceState::Stopping));
    assert_eq!(h.status(), "stopping web");
    // A reply to something else (an ack) moves no service.
    h.app.on_update(reply(&[]));
    h.app.on_update(event(ServiceState::Stopped));
    assert_eq!(h.status(), "web stopped");

    let mut h = Harness::new();
    h.keys(&["j", "j", "x"]);
    h.app.on_update(event(ServiceState::Stopped));
    h.app.on_update(reply(&["web"]));
    assert_eq!(h.status(), "web stopped");
}

#[test]
fn stop_all_and_down_always_confirm() {
    let mut h = Harness::new();
    h.keys(&["X"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().top_popup() else {
        panic!("no confirm dialog");
    };
    assert_eq!(confirm.items, ["db", "api", "web"]);
    h.keys(&["enter"]);
    assert_eq!(h.sent(), [stop(&[])]);
    h.keys(&[":"]).type_text("down").keys(&["enter"]);
    assert!(h.sent().is_empty());
    h.keys(&["y"]);
    assert_eq!(h.sent(), [Request::Engine(Command::Down)]);
}

#[test]
fn command_line_sends_commands() {
    let mut h = Harness::new();
    h.keys(&[":"]).type_text("restart api").keys(&["enter"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Restart {
            services: strings(&["api"])
        })]
    );
    h.keys(&[":"]).type_text("start api web").keys(&["enter"]);
    assert_eq!(h.sent(), [start(&["api", "web"])]);
    h.keys(&[":"]).type_text("stop db").keys(&["enter"]);
    assert!(matches!(h.app.state().top_popup(), Some(Popup::Confirm(_))));
    h.keys(&["esc"]);
    h.keys(&[":"]).type_text("wo").keys(&["tab"]);
    assert!(matches!(
        h.app.state().top_popup(),
        Some(Popup::CommandLine(_))
    ));
    h.keys(&["esc", ":"])
        .type_text("res")
        .keys(&["tab"])
        .type_text("wo");
    h.keys(&["tab", "enter"]);
    assert_eq!(
        h.sent(),
        [Request::Engine(Command::Restart {
            services: strings(&["worker"])
        })]
    );
    h.keys(&[":"]).type_text("quit").keys(&["enter"]);
    assert!(h.app.should_quit());
}

#[test]
fn command_line_errors_suggest() {
    let mut h = Harness::new();
    h.keys(&[":"]).type_text("start nope").keys(&["enter"]);
    assert_eq!(
        h.status(),
        "no service `nope` (services: db, api, web, worker, cache, mailer)"
    );
    assert_eq!(
        h.app.state().status.as_ref().unwrap().level,
        NoticeLevel::Error
    );
    h.keys(&[":"]).type_text("start apii").keys(&["enter"]);
    assert_eq!(h.status(), "no service `apii` (did you mean `api`?)");
    h.keys(&[":"]).type_text("strat api").keys(&["enter"]);
    assert_eq!(
        h.status(),
        "unknown command `strat` (did you mean `start`?)"
    );
    assert!(h.sent().is_empty());
}

#[test]
fn typing_in_the_command_line_does_not_trigger_keys() {
    let mut h = Harness::new();
    h.keys(&[":"]).type_text("q?s/x");
    assert!(!h.app.should_quit());
    assert!(h.sent().is_empty());
    h.keys(&["ctrl-c"]);
    assert!(h.app.should_quit());
}

#[test]
fn filter_narrows_rows_live() {
    let mut h = Harness::new();
    h.keys(&["/"]).type_text("ba");
    assert_eq!(h.rows(), ["api", "worker"]);
    h.type_text("ck");
    assert_eq!(h.rows(), ["api", "worker"]);
    h.keys(&["down"]);
    assert_eq!(h.selected(), Some("worker"));
    h.keys(&["enter"]);
    assert_eq!(h.app.state().filter, "back");
    assert!(h.app.state().popups.is_empty());
    h.keys(&["s"]);
    assert_eq!(h.sent(), [start(&["worker"])]);
    h.keys(&["esc"]);
    assert_eq!(h.rows().len(), 6);
    assert_eq!(h.selected(), Some("worker"));
    h.keys(&["/"]).type_text("web").keys(&["esc"]);
    assert_eq!(h.rows().len(), 6);
}

#[test]
fn enter_shows_the_window() {
    let mut h = Harness::new();
    h.keys(&["j", "enter"]);
    assert_eq!(h.sent(), [Request::ShowService("api".into())]);
    h.app.on_update(Update::ShowFailed("no tmux server".into()));
    assert_eq!(h.status(), "cannot show the window: no tmux server");
}

#[test]
fn user_keymap_rebinds_s() {
    let mut keymap = Keymap::builtin();
    keymap
        .merge_str(
            "services:\n  restart: s\n  start: S\n",
            Path::new("keymap.yaml"),
        )
        .unwrap();
    let mut h = Harness::with(keymap, Theme::default(), Some(fixture()));
    h.keys(&["s", "S", "r"]);
    assert_eq!(
        h.sent(),
        [
            Request::Engine(Command::Restart {
                services: strings(&["db"])
            }),
            start(&["db"]),
        ]
    );
    let footer = h.screen().lines().nth(19).unwrap().to_string();
    assert!(footer.contains("S start"), "{footer}");
    assert!(footer.contains("s restart"), "{footer}");
}

#[test]
fn events_update_the_table() {
    let mut h = Harness::new();
    h.keys(&["G"]);
    let killed = ServiceStatus {
        signal: Some("SIGKILL".into()),
        ..service("worker", ServiceState::Exited)
    };
    h.app.on_update(Update::Event(Event::Service(killed)));
    assert_eq!(h.rows().len(), 6);
    assert!(h.screen().contains("killed SIGKILL"));
    h.app.on_update(Update::Event(Event::Service(service(
        "batch",
        ServiceState::Stopped,
    ))));
    assert_eq!(h.rows().len(), 7);
    assert_eq!(h.selected(), Some("mailer"));
    h.app.on_update(Update::Event(Event::Notice(Notice {
        level: NoticeLevel::Warn,
        text: "exited with code 1".into(),
        service: Some("worker".into()),
        at: NOW,
    })));
    assert_eq!(h.status(), "worker: exited with code 1");
}

#[test]
fn disconnect_is_shown_and_does_not_quit() {
    let mut h = Harness::new();
    h.app.on_update(Update::Event(Event::Shutdown));
    assert!(!h.app.state().connected);
    assert!(!h.app.should_quit());
    assert!(h.screen().contains("ENGINE DISCONNECTED"));
    h.app
        .on_update(Update::Event(Event::Snapshot(Box::new(fixture()))));
    assert!(h.app.state().connected);
    assert_eq!(h.status(), "reconnected to the engine");
}

#[test]
fn help_toggles_and_scrolls() {
    let mut h = Harness::new();
    h.keys(&["?"]);
    assert!(matches!(
        h.app.state().top_popup(),
        Some(Popup::Help { scroll: 0 })
    ));
    h.keys(&["j", "j"]);
    assert!(matches!(
        h.app.state().top_popup(),
        Some(Popup::Help { scroll: 2 })
    ));
    assert_eq!(h.selected(), Some("db"));
    h.keys(&["q"]);
    assert!(h.app.state().popups.is_empty());
    assert!(!h.app.should_quit());
    h.keys(&["q"]);
    assert!(h.app.should_quit());
}

/// Tab on a word it cannot complete alone lists what it could be, in the footer, until the
/// line changes.
#[test]
fn tab_on_an_ambiguous_word_lists_the_candidates() {
    let mut h = Harness::new();
    let footer = |h: &Harness| {
        let screen = h.screen();
        screen.lines().last().unwrap_or_default().to_string()
    };
    h.keys(&[":"]).type_text("s").keys(&["tab"]);
    let shown = footer(&h);
    for command in ["start", "stop", "silence", "services"] {
        assert!(shown.contains(command), "{command}: {shown}");
    }
    h.type_text("to");
    assert!(!footer(&h).contains("silence"), "{}", footer(&h));
    h.keys(&["tab"]);
    assert!(h.screen().contains(":stop"), "{}", h.screen());
    let shown = footer(&h);
    assert!(
        shown.contains("stop-all") && !shown.contains("silence"),
        "{shown}"
    );
    // Service names too: `web` and `worker` after `stop w`.
    h.type_text(" w").keys(&["tab"]);
    let shown = footer(&h);
    assert!(shown.contains("web") && shown.contains("worker"), "{shown}");
}

/// A page is what the popup shows (16 lines on a 20-row screen), not the table's page;
/// `ctrl-d` / `ctrl-u` page as everywhere else.
#[test]
fn help_pages_a_screenful() {
    let mut h = Harness::new();
    h.keys(&["?"]);
    assert!(h.screen().contains(" 1-16 of "), "{}", h.screen());
    h.keys(&["pgdown"]);
    assert!(h.screen().contains(" 17-32 of "), "{}", h.screen());
    h.keys(&["ctrl-d"]);
    assert!(h.screen().contains(" 33-48 of "), "{}", h.screen());
    h.keys(&["ctrl-u", "pgup"]);
    assert!(h.screen().contains(" 1-16 of "), "{}", h.screen());
    assert_eq!(
        h.selected(),
        Some("db"),
        "paging the help moves no selection"
    );
}

#[test]
fn actions_without_a_selection_explain() {
    let snapshot = Snapshot {
        services: vec![],
        ..fixture()
    };
    let mut h = Harness::with(Keymap::builtin(), Theme::default(), Some(snapshot));
    h.app.dispatch(Action::Start);
    assert!(h.sent().is_empty());
    assert_eq!(h.status(), "no service is selected");
}
