//! The logs tests' fixture: three services, log lines of every level from them, per-second
//! counts and mined patterns at a fixed clock, and a harness that drives the app by keys.

pub use crate::common::tui::NOW;
pub use crate::common::tui::find_nth as find;
use crate::common::tui::{Tui, harness, running, workspace};
use univers_container::logs::{
    Level, LevelCounts, LogLine, LogQuery, LogStreamEvent, PatternFlag, PatternInfo,
};
use univers_container::protocol::Snapshot;
use univers_container::tui::logs::WINDOW_LINES;
use univers_container::tui::{Request, Update};

pub const MIN: u64 = 60_000;

pub fn fixture() -> Snapshot {
    Snapshot {
        services: vec![running("api"), running("db"), running("worker")],
        ..workspace()
    }
}

pub fn line(seq: u64, source: &str, level: Option<Level>, text: &str) -> LogLine {
    LogLine {
        seq,
        at: NOW - 20_000 + seq * 250,
        source: source.into(),
        level,
        pattern: Some(seq as u32 % 3),
        text: text.into(),
        header: None,
        continues: false,
    }
}

/// Twelve lines from three services, every level, a JSON one and a long one.
pub fn lines() -> Vec<LogLine> {
    use Level::*;
    vec![
        line(
            1,
            "db",
            Some(Info),
            "database system is ready to accept connections",
        ),
        line(2, "api", Some(Info), "listening on 0.0.0.0:8080"),
        line(3, "api", Some(Debug), "pool: 4 idle, 0 busy"),
        line(4, "worker", None, "picked job 7781 from queue emails"),
        line(
            5,
            "api",
            Some(Warn),
            "slow query took 1.8s: SELECT * FROM readings",
        ),
        line(
            6,
            "db",
            Some(Error),
            "connection timeout after 5s (client 10.0.0.7)",
        ),
        line(
            7,
            "api",
            Some(Info),
            r#"request {"method":"GET","path":"/v1/readings","status":200,"ms":12}"#,
        ),
        line(8, "worker", Some(Trace), "heartbeat"),
        line(
            9,
            "api",
            Some(Error),
            "upstream timeout: GET http://db:5432/readings?since=2024-01-01T00:00:00Z&limit=500 \
             failed after 3 retries (last error: connection reset by peer)",
        ),
        line(
            10,
            "db",
            Some(Fatal),
            "could not write to file pg_wal/000000010000: No space left on device",
        ),
        line(11, "api", Some(Info), "GET /health 200 0.4ms"),
        line(12, "worker", Some(Warn), "job 7781 retry 2/5: smtp timeout"),
    ]
}

pub fn counts(error: u64, warn: u64, info: u64, debug: u64) -> LevelCounts {
    let mut counts = LevelCounts::default();
    counts.add(Some(Level::Error), error);
    counts.add(Some(Level::Warn), warn);
    counts.add(Some(Level::Info), info);
    counts.add(Some(Level::Debug), debug);
    counts
}

/// 90 seconds of counts: a steady stream with an error burst in the middle.
pub fn seconds() -> Vec<LogStreamEvent> {
    (0..90)
        .map(|s| {
            let burst = (40..50).contains(&s);
            let counts = counts(
                if burst { 30 } else { s % 7 / 5 },
                s % 5,
                20 + s % 11,
                if s % 3 == 0 { 8 } else { 0 },
            );
            LogStreamEvent::Second {
                at: NOW - (90 - s) * 1000,
                counts,
            }
        })
        .collect()
}

pub fn pattern(id: u32, template: &str, count: u64, first_seen: u64) -> PatternInfo {
    PatternInfo {
        id,
        template: template.into(),
        count,
        first_seen,
        last_seen: NOW - 3_000,
        examples: vec![],
        levels: counts(0, 0, count, 0),
        sources: vec!["api".into()],
        flag: None,
        // Twelve minutes of a rate that differs by pattern.
        rate: (0..12).map(|m| (id + m) % 5 * id).collect(),
        new: false,
    }
}

/// Five patterns: old and busy, new and growing, mostly errors, a quiet new one; the two
/// new ones were first seen after the latest config change.
pub fn patterns() -> Vec<PatternInfo> {
    let mut health = pattern(1, "GET /health <*> <*>ms", 48_210, NOW - 120 * MIN);
    health.examples = vec![
        "GET /health 200 0.4ms".into(),
        "GET /health 200 0.6ms".into(),
    ];
    let mut timeout = pattern(
        2,
        "connection timeout after <*> (client <*>)",
        1_204,
        NOW - 50 * MIN,
    );
    timeout.levels = counts(1_100, 0, 104, 0);
    timeout.flag = Some(PatternFlag::Errors);
    timeout.sources = vec!["db".into(), "api".into()];
    timeout.examples = vec![
        "connection timeout after 5s (client 10.0.0.7)".into(),
        "connection timeout after 5s (client 10.0.0.9)".into(),
        "connection timeout after 12s (client 10.0.0.7)".into(),
    ];
    let mut retry = pattern(3, "job <*> retry <*>: smtp timeout", 312, NOW - 4 * MIN);
    retry.levels = counts(0, 312, 0, 0);
    retry.flag = Some(PatternFlag::NewAndGrowing);
    retry.sources = vec!["worker".into()];
    retry.new = true;
    let pool = pattern(4, "pool: <*> idle, <*> busy", 9_001, NOW - 90 * MIN);
    let mut quiet = pattern(5, "cache warmed in <*>", 2, NOW - 2 * MIN);
    quiet.new = true;
    vec![pool, quiet, health, retry, timeout]
}

/// The query the pane opens its stream with when no filter is set.
pub fn default_query() -> LogQuery {
    LogQuery {
        limit: Some(WINDOW_LINES),
        follow: true,
        ..LogQuery::default()
    }
}

harness! {
    /// The shared harness with the logs' fixture.
    pub struct Harness;
}

impl Harness {
    pub fn with(size: (u16, u16)) -> Self {
        let mut tui = Tui::new(size, NOW);
        tui.snapshot(fixture());
        Self(tui)
    }

    pub fn new() -> Self {
        Self::with((100, 30))
    }

    /// The logs pane open, its stream's request taken, the fixture's lines and seconds in.
    pub fn logs() -> Self {
        Self::with_logs((100, 30))
    }

    pub fn with_logs(size: (u16, u16)) -> Self {
        let mut h = Self::with(size);
        h.keys(&["l"]);
        assert_eq!(h.sent(), [Request::Logs(default_query())]);
        h.feed(lines());
        h.log(LogStreamEvent::CaughtUp);
        for second in seconds() {
            h.log(second);
        }
        h
    }

    pub fn log(&mut self, event: LogStreamEvent) {
        self.app.on_update(Update::Log(event));
    }

    pub fn feed(&mut self, lines: Vec<LogLine>) {
        self.log(LogStreamEvent::Lines { lines });
    }

    /// The text of the line under the cursor.
    pub fn cursor_text(&self) -> String {
        let window = &self.app.state().logs.window;
        window.get(window.cursor()).unwrap().text.clone()
    }
}
