//! What the logs worker tells frontends: lines, patterns, per-second counts. These travel
//! over the engine's protocol (`GET /api/v1/logs`, `GET /api/v1/logs/patterns`) as JSON.

use serde::{Deserialize, Serialize};

/// A line's severity, parsed from the line (`ERROR`, `warn`, `E`, JSON `"level"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    pub const ALL: [Self; 6] = [
        Self::Trace,
        Self::Debug,
        Self::Info,
        Self::Warn,
        Self::Error,
        Self::Fatal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
            Self::Fatal => "FATAL",
        }
    }

    /// The level a user or a rule names (`warning`, `err`, `crit`, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        // Compared in place: header detection asks this of a token on every line.
        const NAMES: [(&str, Level); 14] = [
            ("trace", Level::Trace),
            ("debug", Level::Debug),
            ("info", Level::Info),
            ("notice", Level::Info),
            ("warn", Level::Warn),
            ("warning", Level::Warn),
            ("error", Level::Error),
            ("err", Level::Error),
            ("fatal", Level::Fatal),
            ("critical", Level::Fatal),
            ("crit", Level::Fatal),
            ("panic", Level::Fatal),
            ("emerg", Level::Fatal),
            ("alert", Level::Fatal),
        ];
        let name = name.trim();
        NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|&(_, level)| level)
    }

    /// Position in [`LevelCounts`] (0 is reserved for lines without a level).
    pub fn slot(self) -> usize {
        self as usize + 1
    }
}

/// Lines per level; slot 0 counts lines without a level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LevelCounts(pub [u64; 7]);

impl LevelCounts {
    pub fn add(&mut self, level: Option<Level>, n: u64) {
        self.0[level.map_or(0, Level::slot)] += n;
    }

    pub fn get(&self, level: Option<Level>) -> u64 {
        self.0[level.map_or(0, Level::slot)]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Lines at ERROR or FATAL.
    pub fn errors(&self) -> u64 {
        self.get(Some(Level::Error)) + self.get(Some(Level::Fatal))
    }

    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
}

/// One line as frontends see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Position in the engine's merged stream (monotonic; gaps mean lines a slow client
    /// missed, never lines the engine dropped).
    pub seq: u64,
    /// Unix ms: parsed from the line when it carries a time, else when it was read.
    pub at: u64,
    /// The service (or declared file source) it came from.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The pattern the miner put it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<u32>,
    pub text: String,
    /// Where the source's own header fields and the message sit in `text`, once the
    /// source's header is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<LineHeader>,
    /// The line continues the record before it (a stack trace's frame): it shares that
    /// record's time, level and pattern.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continues: bool,
}

/// A byte range of a line's text, `[start, end)`.
pub type Span = [u32; 2];

/// A line's header as its source's learned format reads it: byte ranges of `text`, not
/// copies, so a line carries it for a few bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineHeader {
    /// Byte offset in `text` where the message starts.
    pub message: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Span>,
}

impl LogLine {
    /// The message alone when the header is known (else the whole text).
    pub fn message(&self) -> &str {
        let start = self.header.map_or(0, |h| h.message as usize);
        self.text.get(start..).unwrap_or(&self.text)
    }

    /// The source's own fields shown as columns (host, process, pid, thread, component),
    /// empty where the line has none.
    pub fn own_fields(&self) -> [&str; 5] {
        let Some(h) = self.header else {
            return [""; 5];
        };
        [h.host, h.process, h.pid, h.thread, h.component].map(|span| self.field(span).unwrap_or(""))
    }

    /// The line's level: the one stored with it, else the one its header names (a stored
    /// line read before the engine learned its level keeps it in the text).
    pub fn shown_level(&self) -> Option<Level> {
        self.level
            .or_else(|| Level::from_name(self.field(self.header?.level)?))
    }

    /// The text of one header field.
    pub fn field(&self, span: Option<Span>) -> Option<&str> {
        let [start, end] = span?;
        self.text.get(start as usize..end as usize)
    }
}

/// Why a pattern deserves attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PatternFlag {
    /// Most of its lines are ERROR or FATAL.
    Errors,
    /// First seen after its service started, and its rate is growing.
    NewAndGrowing,
    /// Its lines of the current minute are ten times its usual rate or more.
    Surging,
}

/// A mined pattern: a template with `<*>` where lines differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PatternInfo {
    pub id: u32,
    pub template: String,
    pub count: u64,
    /// Unix ms.
    pub first_seen: u64,
    pub last_seen: u64,
    /// Up to three lines as they were written.
    pub examples: Vec<String>,
    /// Lines per level: without one, then TRACE, DEBUG, INFO, WARN, ERROR, FATAL.
    #[schema(value_type = [u64])]
    pub levels: LevelCounts,
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<PatternFlag>,
    /// Lines per minute over the last minutes, oldest first, ending with the current one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate: Vec<u32>,
    /// First seen after the latest change to what runs (a config applied, switched or
    /// reverted), with lines of before that change to compare with.
    #[serde(default)]
    pub new: bool,
}

/// Which lines a frontend wants: the same filter for a search, a backfill and a live follow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    /// Sources to include (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Lowest level to include; lines without a level are excluded when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// A regex the line's text must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grep: Option<String>,
    /// Only lines of this pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<u32>,
    /// Unix ms; only lines at or after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// At most this many stored lines (the newest) before following.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Keep the stream open and send new lines as they arrive.
    #[serde(default)]
    pub follow: bool,
}

/// What a log stream (`GET /api/v1/logs?follow=true`) carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogStreamEvent {
    /// Matching lines, oldest first (stored ones first, then live ones in batches).
    Lines { lines: Vec<LogLine> },
    /// Every stored line before this was sent; live lines follow.
    CaughtUp,
    /// Exact per-level counts of one second of matching lines (the histogram strip), sent
    /// even when the client skipped lines.
    Second { at: u64, counts: LevelCounts },
    /// The client fell behind and this many matching lines were not sent to it (they are
    /// stored and counted).
    Skipped { count: u64 },
}
