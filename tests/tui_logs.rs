//! Logs in the TUI: render snapshots of the tail (following, paused, wrapped, searched,
//! filtered, JSON pretty-printed, empty), the search input, the histogram strip and the
//! patterns view (both sorts, with flags), at a fixed clock; and headless app tests of
//! follow mode, the bounded window, search jumps and the requests filters send.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;
#[path = "tui_logs/fixture.rs"]
mod fixture;

use fixture::*;
use univers_container::logs::{Level, LogQuery, LogStreamEvent};
use univers_container::tui::Theme;
use univers_container::tui::logs::WINDOW_LINES;
use univers_container::tui::state::{Pane, Popup};
use univers_container::tui::{Request, Update};

// ---- render snapshots -------------------------------------------------------------------

#[test]
fn snapshot_tail_following() {
    let h = Harness::logs();
    insta::assert_snapshot!("logs_following", h.screen());
}

#[test]
fn snapshot_tail_paused_with_new_lines() {
    let mut h = Harness::logs();
    h.keys(&["k", "k", "k"]);
    h.feed(vec![
        line(13, "api", Some(Level::Info), "GET /health 200 0.5ms"),
        line(14, "api", Some(Level::Info), "GET /health 200 0.3ms"),
    ]);
    insta::assert_snapshot!("logs_paused", h.screen());
}

#[test]
fn snapshot_tail_wrapped() {
    let mut h = Harness::logs();
    h.keys(&["w"]);
    insta::assert_snapshot!("logs_wrapped", h.screen());
    h.keys(&["w", "l", "l"]);
    insta::assert_snapshot!("logs_scrolled_right", h.screen());
}

#[test]
fn snapshot_search_input_and_highlight() {
    let mut h = Harness::logs();
    h.keys(&["/"]).type_text("timeout");
    insta::assert_snapshot!("logs_search_typing", h.screen());
    h.keys(&["enter"]);
    insta::assert_snapshot!("logs_search", h.screen());
    // Matches are drawn in the hit colours, the rest of the line in its level's.
    let buffer = h.buffer();
    let theme = Theme::default();
    let (x, y) = find(&buffer, "timeout", 0);
    assert_eq!(buffer[(x, y)].bg, theme.warn);
    let (x, y) = find(&buffer, "connection timeout", 0);
    assert_eq!(buffer[(x, y)].fg, theme.danger);
}

#[test]
fn snapshot_level_filter() {
    let mut h = Harness::logs();
    h.keys(&["v", "v", "v"]);
    // The old stream's lines may still arrive: the pane keeps them out too.
    h.feed(lines());
    insta::assert_snapshot!("logs_warn_and_up", h.screen());
}

#[test]
fn snapshot_pretty_json() {
    let mut h = Harness::logs();
    h.keys(&["/"]).type_text("method").keys(&["enter", "J"]);
    insta::assert_snapshot!("logs_pretty_json", h.screen());
}

#[test]
fn snapshot_empty_states() {
    let mut h = Harness::new();
    h.keys(&["l"]);
    insta::assert_snapshot!("logs_loading", h.screen());
    h.log(LogStreamEvent::CaughtUp);
    insta::assert_snapshot!("logs_empty", h.screen());
    h.keys(&["v"]);
    h.log(LogStreamEvent::CaughtUp);
    assert!(
        h.screen()
            .contains("No line matches the filter yet. Esc clears it.")
    );
}

#[test]
fn snapshot_skipped_lines_are_counted() {
    let mut h = Harness::with((100, 12));
    h.keys(&["l"]);
    h.feed(lines());
    h.log(LogStreamEvent::Skipped { count: 12_000 });
    h.log(LogStreamEvent::Skipped { count: 345 });
    insta::assert_snapshot!("logs_skipped_small", h.screen());
}

#[test]
fn snapshot_histogram_strip() {
    let h = Harness::with_logs((60, 16));
    insta::assert_snapshot!("logs_histogram", h.screen());
    let buffer = h.buffer();
    let theme = Theme::default();
    // The error burst: 30 errors of ~55 lines, at the bottom of its columns.
    let (_, y) = find(&buffer, "lines/s", 0);
    let burst_x = 1 + 60 - 2 - 45;
    assert_eq!(buffer[(burst_x, y + 3)].fg, theme.danger);
    assert_eq!(buffer[(burst_x, y + 1)].fg, theme.ok);
}

#[test]
fn snapshot_patterns_by_count_and_new() {
    let mut h = Harness::with((120, 24));
    h.keys(&["l", "p"]);
    h.app.on_update(Update::Patterns(Ok(patterns())));
    insta::assert_snapshot!("patterns_by_count", h.screen());
    h.keys(&["s", "j", "j"]);
    insta::assert_snapshot!("patterns_new_first", h.screen());
}

#[test]
fn snapshot_patterns_empty_and_error() {
    let mut h = Harness::with((90, 16));
    h.keys(&["l", "p"]);
    insta::assert_snapshot!("patterns_loading", h.screen());
    h.app.on_update(Update::Patterns(Err(
        "engine: logs worker not running".into()
    )));
    assert!(
        h.screen()
            .contains("Cannot read the patterns: engine: logs worker not running")
    );
}

// ---- headless app tests -----------------------------------------------------------------

#[test]
fn following_pins_the_cursor_to_the_newest_line() {
    let mut h = Harness::logs();
    assert!(h.app.state().logs.window.is_following());
    assert_eq!(h.cursor_text(), "job 7781 retry 2/5: smtp timeout");
    for seq in 13..60 {
        h.feed(vec![line(seq, "api", None, &format!("line {seq}"))]);
    }
    assert_eq!(h.cursor_text(), "line 59");
    // The newest line sits on the pane's last row, above its bottom border and the
    // status and footer lines.
    let screen = h.screen();
    let last_row = screen.lines().nth(h.size.1 as usize - 4).unwrap();
    assert!(last_row.contains("line 59"), "{screen}");
    assert!(screen.contains("● following"));
}

#[test]
fn scrolling_up_pauses_and_counts_new_lines_until_g() {
    let mut h = Harness::logs();
    h.keys(&["up"]);
    assert!(!h.app.state().logs.window.is_following());
    assert_eq!(h.cursor_text(), "GET /health 200 0.4ms");
    for seq in 13..18 {
        h.feed(vec![line(seq, "api", None, &format!("new {seq}"))]);
    }
    // The view stays where the reader left it.
    assert_eq!(h.cursor_text(), "GET /health 200 0.4ms");
    assert_eq!(h.app.state().logs.window.unseen(), 5);
    assert!(h.screen().contains("⏸ PAUSED — 5 new lines · G follows"));
    // Going back down to the newest line does not resume on its own.
    h.keys(&["j", "j", "j", "j", "j", "j", "j"]);
    assert!(!h.app.state().logs.window.is_following());
    h.keys(&["G"]);
    assert!(h.app.state().logs.window.is_following());
    assert_eq!(h.cursor_text(), "new 17");
    assert!(
        h.sent().is_empty(),
        "every line was in the window: no reload"
    );
    h.keys(&["g g"]);
    assert_eq!(
        h.cursor_text(),
        "database system is ready to accept connections"
    );
    h.keys(&["end"]);
    assert!(h.app.state().logs.window.is_following());
}

#[test]
fn window_stays_bounded_under_a_flood() {
    let mut h = Harness::logs();
    for batch in 0..200u64 {
        let lines = (0..1_000)
            .map(|i| {
                let seq = 100 + batch * 1_000 + i;
                line(seq, "api", Some(Level::Info), &format!("flood {seq}"))
            })
            .collect();
        h.feed(lines);
    }
    let window = &h.app.state().logs.window;
    assert_eq!(window.len(), WINDOW_LINES);
    assert_eq!(h.cursor_text(), "flood 200099");
    let oldest = window.forward_from(0).next().unwrap().1;
    assert_eq!(
        oldest.text,
        format!("flood {}", 200_100 - WINDOW_LINES as u64)
    );
    assert!(h.screen().contains("flood 200099"));
    assert!(h.screen().contains(" 20,000 lines in memory "));
}

#[test]
fn paused_reader_is_not_pushed_by_a_flood_and_g_reloads() {
    let mut h = Harness::logs();
    h.keys(&["k"]);
    for batch in 0..30u64 {
        let lines = (0..1_000)
            .map(|i| line(100 + batch * 1_000 + i, "api", None, "flood"))
            .collect();
        h.feed(lines);
    }
    assert_eq!(h.cursor_text(), "GET /health 200 0.4ms");
    assert!(h.app.state().logs.window.len() <= WINDOW_LINES);
    assert!(h.screen().contains("PAUSED — 30,000 new lines"));
    // Lines went by that the window had no room for: following reloads the newest.
    h.keys(&["G"]);
    assert_eq!(h.sent(), [Request::Logs(default_query())]);
    assert!(h.app.state().logs.window.is_empty());
}

#[test]
fn n_and_shift_n_move_between_matches() {
    let mut h = Harness::logs();
    h.keys(&["/"]).type_text("timeout").keys(&["enter"]);
    // The newest match at or above the cursor: the cursor's own line.
    assert_eq!(h.cursor_text(), "job 7781 retry 2/5: smtp timeout");
    h.keys(&["N"]);
    assert!(h.cursor_text().starts_with("upstream timeout"));
    h.keys(&["N"]);
    assert_eq!(
        h.cursor_text(),
        "connection timeout after 5s (client 10.0.0.7)"
    );
    h.keys(&["N"]);
    assert_eq!(h.status(), "no more lines matching /timeout/ above");
    assert_eq!(
        h.cursor_text(),
        "connection timeout after 5s (client 10.0.0.7)"
    );
    h.keys(&["n"]);
    assert!(h.cursor_text().starts_with("upstream timeout"));
    assert!(!h.app.state().logs.window.is_following());
    // Esc clears the search, then leaves the pane.
    h.keys(&["esc"]);
    assert!(h.app.state().logs.search.is_none());
    assert_eq!(h.pane(), Pane::Logs);
    h.keys(&["n"]);
    assert_eq!(h.status(), "no search: press / to search the lines");
    h.keys(&["esc"]);
    assert_eq!(h.pane(), Pane::Services);
    assert!(h.sent().is_empty(), "a search never reopens the stream");
}

#[test]
fn filter_changes_reopen_the_stream_with_their_query() {
    let mut h = Harness::logs();
    h.keys(&["v"]);
    let debug = LogQuery {
        level: Some(Level::Debug),
        ..default_query()
    };
    assert_eq!(h.sent(), [Request::Logs(debug.clone())]);
    assert!(h.app.state().logs.window.is_empty(), "the window restarts");
    // The services pane's selection is the service `s` narrows to.
    h.keys(&["s"]);
    let api = LogQuery {
        sources: vec!["api".into()],
        ..debug.clone()
    };
    assert_eq!(h.sent(), [Request::Logs(api.clone())]);
    h.keys(&["f"]).type_text("time(out|d)").keys(&["enter"]);
    let grep = LogQuery {
        grep: Some("time(out|d)".into()),
        ..api
    };
    assert_eq!(h.sent(), [Request::Logs(grep)]);
    assert!(
        h.screen()
            .contains("Logs · api · ≥DEBUG · grep /time(out|d)/")
    );
    h.keys(&["esc"]);
    assert_eq!(h.sent(), [Request::Logs(default_query())]);
    assert_eq!(h.pane(), Pane::Logs);
    h.keys(&[":"])
        .type_text("grep status=5\\d\\d")
        .keys(&["enter"]);
    let grep = LogQuery {
        grep: Some("status=5\\d\\d".into()),
        ..default_query()
    };
    assert_eq!(h.sent(), [Request::Logs(grep)]);
    h.keys(&[":"]).type_text("logs db").keys(&["enter"]);
    let sent = h.sent();
    let [Request::Logs(query)] = sent.as_slice() else {
        panic!("{sent:?}");
    };
    assert_eq!(query.sources, ["db"]);
}

/// In the logs pane `/` searches and `w` wraps: the footer offers no second meaning the
/// key cannot have there (the services filter, the graphs' time window).
#[test]
fn the_footer_offers_each_key_once() {
    let h = Harness::with_logs((300, 30));
    let screen = h.screen();
    let footer = screen.lines().last().unwrap_or_default().trim_matches('"');
    for key in ["/", "w"] {
        let offered = footer
            .split("  ")
            .filter(|hint| hint.trim_start().starts_with(&format!("{key} ")))
            .count();
        assert_eq!(offered, 1, "`{key}` in {footer}");
    }
    assert!(
        footer.contains("/ search") && footer.contains("w wrap"),
        "{footer}"
    );
}

#[test]
fn bad_grep_keeps_the_input_open() {
    let mut h = Harness::logs();
    h.keys(&["f"]).type_text("(unclosed").keys(&["enter"]);
    assert!(matches!(h.app.state().top_popup(), Some(Popup::Grep(_))));
    assert!(
        h.status() == "invalid regex `(unclosed`: unclosed group",
        "{}",
        h.status()
    );
    assert!(h.sent().is_empty());
    // The prompt covers the status line: the refusal shows on the prompt itself, until
    // the text changes.
    let screen = h.screen();
    let prompt = screen
        .lines()
        .find(|l| l.contains("grep (unclosed"))
        .unwrap_or_else(|| panic!("no prompt:\n{screen}"));
    assert!(
        prompt.contains("✗ invalid regex `(unclosed`: unclosed group"),
        "{screen}"
    );
    h.type_text(")");
    assert!(!h.screen().contains("✗ invalid regex"), "{}", h.screen());
    h.keys(&["esc"]);
    assert!(h.app.state().popups.is_empty());
    assert!(h.app.state().logs.filter.is_empty());
}

#[test]
fn enter_on_a_pattern_shows_its_lines() {
    let mut h = Harness::logs();
    h.keys(&["p"]);
    assert_eq!(h.pane(), Pane::Patterns);
    assert_eq!(h.sent(), [Request::Patterns]);
    h.app.on_update(Update::Patterns(Ok(patterns())));
    h.keys(&["j"]);
    assert_eq!(h.app.state().patterns.selected().unwrap().id, 4);
    h.keys(&["enter"]);
    assert_eq!(h.pane(), Pane::Logs);
    let query = LogQuery {
        pattern: Some(4),
        ..default_query()
    };
    assert_eq!(h.sent(), [Request::Logs(query)]);
    assert!(h.screen().contains("· pattern #4 "));
    // Esc clears the pattern filter.
    h.keys(&["esc"]);
    assert_eq!(h.sent(), [Request::Logs(default_query())]);
}

#[test]
fn patterns_refresh_about_once_a_second_while_shown() {
    let mut h = Harness::logs();
    h.app.on_tick(NOW + 5_000);
    assert!(h.sent().is_empty(), "not asked while the logs show");
    h.keys(&["p"]);
    assert_eq!(h.sent(), [Request::Patterns]);
    // The tick also runs before every frame: at most one request a second.
    for ms in [30, 300, 900] {
        h.app.on_tick(NOW + 5_000 + ms);
    }
    assert!(h.sent().is_empty());
    h.app.on_tick(NOW + 6_000);
    assert_eq!(h.sent(), [Request::Patterns]);
    h.keys(&["esc"]);
    assert_eq!(h.pane(), Pane::Logs);
    h.app.on_tick(NOW + 9_000);
    assert!(h.sent().is_empty());
}

#[test]
fn tab_cycles_services_host_logs_alerts() {
    let mut h = Harness::new();
    let mut panes = vec![];
    for _ in 0..4 {
        h.keys(&["tab"]);
        panes.push(h.pane());
    }
    assert_eq!(
        panes,
        [Pane::Host, Pane::Logs, Pane::Alerts, Pane::Services]
    );
    // The stream opened once, when the logs first showed.
    assert_eq!(h.sent(), [Request::Logs(default_query())]);
    h.keys(&["tab", "tab"]);
    assert!(h.sent().is_empty());
    h.keys(&[":"]).type_text("patterns").keys(&["enter"]);
    assert_eq!(h.pane(), Pane::Patterns);
    assert_eq!(h.sent(), [Request::Patterns]);
}

#[test]
fn json_pretty_print_is_on_demand() {
    let mut h = Harness::logs();
    h.keys(&["J"]);
    assert_eq!(h.status(), "the selected line holds no JSON");
    h.keys(&["/"]).type_text("method").keys(&["enter", "J"]);
    let pretty = h.app.state().logs.pretty.clone().unwrap();
    assert_eq!(pretty.lead, "request");
    assert_eq!(pretty.lines[1], r#"  "method": "GET","#);
    h.keys(&["J"]);
    assert!(h.app.state().logs.pretty.is_none());
}

#[test]
fn service_filter_needs_a_selection() {
    let mut h = Harness::new();
    h.app
        .on_update(Update::Event(univers_container::protocol::Event::Snapshot(
            Box::new(univers_container::protocol::Snapshot {
                services: vec![],
                ..fixture()
            }),
        )));
    h.keys(&["l"]);
    h.sent();
    h.keys(&["s"]);
    assert_eq!(
        h.status(),
        "no service is selected (pick one in the services pane)"
    );
    assert!(h.sent().is_empty());
}

#[test]
fn log_views_draw_at_every_size() {
    let views: [&[&str]; 5] = [&["w"], &["k", "J"], &["/", "t"], &["p"], &["v"]];
    for keys in views {
        let mut h = Harness::logs();
        h.keys(keys);
        h.app.on_update(Update::Patterns(Ok(patterns())));
        for width in [1, 2, 8, 16, 30, 47, 60, 80, 139, 200] {
            for height in [1, 2, 5, 9, 12, 24, 50] {
                h.size = (width, height);
                h.app.on_resize(width, height);
                h.screen();
            }
        }
    }
}

#[test]
fn help_and_footer_show_the_log_keys() {
    let mut h = Harness::with((100, 206));
    h.keys(&["?"]);
    let screen = h.screen();
    for text in [
        "Logs",
        "G, end             Follow: pin to the newest line (scrolling up pauses)",
        "v                  Lowest level shown: all, debug, info, warn, error",
        "Log patterns",
        "p, esc             Back to the logs",
        ":grep [REGEX]",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    let mut h = Harness::logs();
    let footer = h.screen().lines().last().unwrap().to_string();
    assert!(footer.contains("G follow"), "{footer}");
    assert!(footer.contains("/ search"), "{footer}");
    assert!(footer.contains("? help"), "{footer}");
    h.keys(&["/"]);
    let footer = h.screen().lines().last().unwrap().to_string();
    assert!(footer.contains("⏎ go to match"), "{footer}");
}

/// Once a source's header is known, its lines show the source's own fields (here thread and
/// component) in aligned columns, then the message alone; `r` shows them as written. A
/// stack trace's frame follows its record without a level of its own.
#[test]
fn snapshot_fields_in_columns_and_raw() {
    use univers_container::logs::header::Format;
    let texts = [
        (
            Level::Info,
            "2024-05-01 10:00:01,001 INFO [main] app.Server: listening on 8080",
        ),
        (
            Level::Warn,
            "2024-05-01 10:00:02,001 WARN [pool-1] app.Db: slow query 1.8s",
        ),
        (
            Level::Error,
            "2024-05-01 10:00:03,001 ERROR [worker-12] app.Jobs: job 7781 failed",
        ),
        (Level::Error, "\tat app.Jobs.run(Jobs.java:42)"),
        (
            Level::Info,
            "2024-05-01 10:00:04,001 INFO [main] app.Server: GET /health 200",
        ),
    ];
    let format = Format::learn(&texts.map(|(_, t)| t));
    let lines = texts
        .iter()
        .enumerate()
        .map(|(i, &(level, text))| {
            let mut line = line(20 + i as u64, "java", Some(level), text);
            line.header = format.header(text);
            line.continues = format.continues(text);
            line
        })
        .collect();
    let mut h = Harness::logs();
    h.feed(lines);
    insta::assert_snapshot!("logs_fields", h.screen());
    h.keys(&["r"]);
    insta::assert_snapshot!("logs_fields_raw", h.screen());
}
