//! What the logs worker shares with the engine's HTTP handlers and the alerting worker:
//! live batches of lines and per-second counts (a broadcast), the pattern list and the
//! flagged patterns and each source's learned header format (refreshed once a second).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use super::header::Format;
use super::{LevelCounts, LogLine, LogQuery, PatternFlag, PatternInfo};

/// Batches a slow follower may fall behind by before it is told what it skipped.
const BACKLOG: usize = 256;

/// One broadcast message: lines read within one ~100 ms cycle, or one second's counts.
#[derive(Debug, Clone)]
pub enum Live {
    /// Lines with consecutive `seq`s, oldest first.
    Lines(Vec<LogLine>),
    /// Exact lines per level of one second (Unix ms of its start), per source.
    Second {
        at: u64,
        sources: Vec<(String, LevelCounts)>,
    },
}

/// A pattern the worker flagged, as the alert rules' `log_pattern_flagged` sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Flagged {
    pub id: u32,
    pub flag: PatternFlag,
    pub template: String,
    pub sources: Vec<String>,
    /// Lines of the pattern so far.
    pub count: u64,
}

impl Flagged {
    /// The alert label: `api [errors] Connection to <*> refused`, at most ~120 characters.
    pub fn label(&self) -> String {
        let flag = match self.flag {
            PatternFlag::Errors => "errors",
            PatternFlag::NewAndGrowing => "new",
            PatternFlag::Surging => "surging",
        };
        let mut label = format!("{} [{flag}] {}", self.sources.join(","), self.template);
        if label.len() > 120 {
            let mut end = 119;
            while !label.is_char_boundary(end) {
                end -= 1;
            }
            label.truncate(end);
            label.push('…');
        }
        label
    }
}

#[derive(Clone)]
pub struct LogsHub {
    inner: Arc<Inner>,
}

struct Inner {
    live: broadcast::Sender<Arc<Live>>,
    patterns: Mutex<Vec<PatternInfo>>,
    flagged: Mutex<Vec<Flagged>>,
    formats: Mutex<HashMap<String, Format>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each value is replaced whole, so a panic elsewhere cannot leave it half-written.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Default for LogsHub {
    fn default() -> Self {
        let (live, _) = broadcast::channel(BACKLOG);
        Self {
            inner: Arc::new(Inner {
                live,
                patterns: Mutex::default(),
                flagged: Mutex::default(),
                formats: Mutex::default(),
            }),
        }
    }
}

impl LogsHub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Live>> {
        self.inner.live.subscribe()
    }

    /// Whether anyone follows: lines are only turned into [`LogLine`]s for followers.
    pub fn followed(&self) -> bool {
        self.inner.live.receiver_count() > 0
    }

    pub fn send(&self, live: Live) {
        let _ = self.inner.live.send(Arc::new(live));
    }

    pub fn patterns(&self) -> Vec<PatternInfo> {
        lock(&self.inner.patterns).clone()
    }

    pub fn set_patterns(&self, patterns: Vec<PatternInfo>) {
        *lock(&self.inner.patterns) = patterns;
    }

    pub fn flagged(&self) -> Vec<Flagged> {
        lock(&self.inner.flagged).clone()
    }

    pub fn set_flagged(&self, flagged: Vec<Flagged>) {
        *lock(&self.inner.flagged) = flagged;
    }

    /// The header format learned for each source (those still learning are left out).
    pub fn formats(&self) -> HashMap<String, Format> {
        lock(&self.inner.formats).clone()
    }

    pub fn set_formats(&self, formats: HashMap<String, Format>) {
        *lock(&self.inner.formats) = formats;
    }
}

/// A query compiled once per stream: what a live line must satisfy.
pub struct LiveFilter {
    query: LogQuery,
    grep: Option<regex::Regex>,
}

impl LiveFilter {
    pub fn new(query: LogQuery) -> Result<Self, regex::Error> {
        let grep = query.grep.as_deref().map(regex::Regex::new).transpose()?;
        Ok(Self { query, grep })
    }

    pub fn source(&self, source: &str) -> bool {
        self.query.sources.is_empty() || self.query.sources.iter().any(|s| s == source)
    }

    pub fn matches(&self, line: &LogLine) -> bool {
        self.source(&line.source)
            && self
                .query
                .level
                .is_none_or(|min| line.level.is_some_and(|l| l >= min))
            && self.query.pattern.is_none_or(|p| line.pattern == Some(p))
            && self.query.since.is_none_or(|since| line.at >= since)
            && self.grep.as_ref().is_none_or(|re| re.is_match(&line.text))
    }

    /// One second's counts of the sources and levels this query follows. (A regex or
    /// pattern filter cannot be applied to counts; they stay per level.)
    pub fn counts(&self, sources: &[(String, LevelCounts)]) -> LevelCounts {
        let mut sum = LevelCounts::default();
        for (_, counts) in sources.iter().filter(|(s, _)| self.source(s)) {
            sum.merge(counts);
        }
        if let Some(min) = self.query.level {
            sum.0[0] = 0;
            for level in super::Level::ALL.iter().filter(|l| **l < min) {
                sum.0[level.slot()] = 0;
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::Level;

    fn line(source: &str, level: Option<Level>, text: &str) -> LogLine {
        LogLine {
            seq: 1,
            at: 1000,
            source: source.into(),
            level,
            pattern: Some(3),
            text: text.into(),
            header: None,
            continues: false,
        }
    }

    #[test]
    fn filter_applies_every_field() {
        let query = LogQuery {
            sources: vec!["api".into()],
            level: Some(Level::Warn),
            grep: Some("time(d)? ?out".into()),
            ..LogQuery::default()
        };
        let filter = LiveFilter::new(query).expect("regex");
        assert!(filter.matches(&line("api", Some(Level::Error), "timed out")));
        assert!(!filter.matches(&line("web", Some(Level::Error), "timed out")));
        assert!(!filter.matches(&line("api", Some(Level::Info), "timed out")));
        assert!(!filter.matches(&line("api", None, "timed out")));
        assert!(!filter.matches(&line("api", Some(Level::Warn), "fine")));
        let pattern = LiveFilter::new(LogQuery {
            pattern: Some(4),
            ..LogQuery::default()
        })
        .expect("no regex");
        assert!(!pattern.matches(&line("api", None, "x")));
    }

    #[test]
    fn counts_keep_followed_sources_and_levels() {
        let mut api = LevelCounts::default();
        api.add(Some(Level::Error), 2);
        api.add(Some(Level::Info), 5);
        api.add(None, 1);
        let mut web = LevelCounts::default();
        web.add(Some(Level::Error), 7);
        let sources = vec![("api".to_owned(), api), ("web".to_owned(), web)];
        let filter = LiveFilter::new(LogQuery {
            sources: vec!["api".into()],
            level: Some(Level::Warn),
            ..LogQuery::default()
        })
        .expect("filter");
        let counts = filter.counts(&sources);
        assert_eq!(counts.total(), 2);
        assert_eq!(counts.errors(), 2);
    }
}
