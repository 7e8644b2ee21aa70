//! Counting log lines for `log_rate` and `log_match` from the logs worker's live stream
//! (`logs::live::LogsHub`): every stored line arrives once, with the source and the level
//! `logs::line::level` gave it, so a rule and the logs pane never disagree on a line.
//!
//! A line counts when it arrives, like the logs pane's lines-per-second strip: the time
//! a line carries may be hours off (a local time without its zone) or old (a file read
//! from its start). So a new engine starts with empty windows; the store is not read back,
//! since its times are the lines' own. Lines it reads late (written while it was down)
//! count as they arrive. A batch missed because the worker fell behind the broadcast
//! (~25 s of batches) is not counted: the rates undercount for a window, and the engine's
//! log says so.

use std::collections::VecDeque;
use std::sync::Arc;

use regex::Regex;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::{LogCountQuery, LogFilter};
use crate::logs::live::{Live, LogsHub};
use crate::logs::{Level, LogLine};

struct Counted {
    query: LogCountQuery,
    filter: Filter,
    /// (Unix ms a batch arrived, its matching lines) within the window, oldest first.
    hits: VecDeque<(u64, u64)>,
    /// The sum of `hits`.
    total: u64,
}

enum Filter {
    Level(Level),
    Regex(Regex),
    /// A level or pattern that cannot match (rules validation should prevent it).
    Never,
}

impl Filter {
    fn new(filter: &LogFilter) -> Self {
        match filter {
            LogFilter::Level(level) => Level::from_name(level).map_or(Self::Never, Self::Level),
            LogFilter::Regex(pattern) => {
                crate::config::values::compile(pattern).map_or(Self::Never, Self::Regex)
            }
        }
    }

    fn matches(&self, line: &LogLine) -> bool {
        match self {
            // A stack trace counts once: its frames share the record's level.
            Self::Level(level) => !line.continues && line.level == Some(*level),
            Self::Regex(regex) => regex.is_match(&line.text),
            Self::Never => false,
        }
    }
}

/// The log queries of the current rules and their counts.
pub struct LogCounter {
    /// The logs worker's stream; `None` when the engine runs no logs worker (the queries
    /// then have no reading).
    hub: Option<LogsHub>,
    /// Followed only while a rule counts lines: a follower makes the worker build a line
    /// for the stream out of every line it reads.
    live: Option<Receiver<Arc<Live>>>,
    counted: Vec<Counted>,
}

impl LogCounter {
    pub fn new(hub: Option<LogsHub>) -> Self {
        Self {
            hub,
            live: None,
            counted: Vec::new(),
        }
    }

    /// Count exactly `queries`. Counts of queries that stay are kept.
    pub fn set(&mut self, queries: &[LogCountQuery]) {
        let mut old: Vec<Counted> = std::mem::take(&mut self.counted);
        for query in queries {
            let kept = old
                .iter()
                .position(|c| &c.query == query)
                .map(|i| old.swap_remove(i));
            self.counted.push(kept.unwrap_or_else(|| Counted {
                query: query.clone(),
                filter: Filter::new(&query.filter),
                hits: VecDeque::new(),
                total: 0,
            }));
        }
        if queries.is_empty() {
            self.live = None;
        } else if self.live.is_none() {
            self.live = self.hub.as_ref().map(LogsHub::subscribe);
        }
    }

    /// The next message of the stream; never ready while nothing is followed.
    pub async fn recv(&mut self) -> Result<Arc<Live>, RecvError> {
        match &mut self.live {
            Some(live) => live.recv().await,
            None => std::future::pending().await,
        }
    }

    /// Count what [`LogCounter::recv`] answered, as arrived at `now_ms`.
    pub fn take(&mut self, received: Result<Arc<Live>, RecvError>, now_ms: u64) {
        match received {
            Ok(live) => {
                if let Live::Lines(lines) = &*live {
                    self.count_lines(lines, now_ms);
                }
            }
            Err(RecvError::Lagged(batches)) => {
                tracing::warn!(
                    "alerts fell behind the logs stream: {batches} messages not counted, \
                     log_rate and log_match undercount for their window"
                );
            }
            // The logs worker stopped (the engine is exiting).
            Err(RecvError::Closed) => self.live = None,
        }
    }

    fn count_lines(&mut self, lines: &[LogLine], now_ms: u64) {
        for counted in &mut self.counted {
            let hits = lines
                .iter()
                .filter(|l| l.source == counted.query.service && counted.filter.matches(l))
                .count() as u64;
            if hits > 0 {
                counted.hits.push_back((now_ms, hits));
                counted.total += hits;
            }
        }
    }

    /// Forget matches that left their window.
    pub fn expire(&mut self, now_ms: u64) {
        for counted in &mut self.counted {
            let horizon = now_ms.saturating_sub(counted.query.window.as_millis() as u64);
            while let Some(&(at, hits)) = counted.hits.front() {
                if at > horizon {
                    break;
                }
                counted.hits.pop_front();
                counted.total -= hits;
            }
        }
    }

    /// Matching lines within the query's window; `None` for a query not being counted or
    /// without a stream to count from.
    pub fn count(&self, query: &LogCountQuery) -> Option<f64> {
        self.hub.as_ref()?;
        self.counted
            .iter()
            .find(|c| &c.query == query)
            .map(|c| c.total as f64)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn line(seq: u64, source: &str, level: Option<Level>, text: &str) -> LogLine {
        LogLine {
            seq,
            at: 0,
            source: source.into(),
            level,
            pattern: None,
            text: text.into(),
            header: None,
            continues: false,
        }
    }

    fn query(filter: LogFilter, window: u64) -> LogCountQuery {
        LogCountQuery {
            service: "api".into(),
            filter,
            window: Duration::from_secs(window),
        }
    }

    #[tokio::test]
    async fn counts_streamed_lines_once_within_the_window() {
        let hub = LogsHub::default();
        let errors = query(LogFilter::Level("ERROR".into()), 60);
        let timeouts = query(LogFilter::Regex("time(d )?out".into()), 10);
        let mut counter = LogCounter::new(Some(hub.clone()));
        counter.set(&[errors.clone(), timeouts.clone()]);
        assert_eq!(counter.count(&errors), Some(0.0));

        hub.send(Live::Lines(vec![
            line(1, "api", Some(Level::Error), "a"),
            line(2, "api", Some(Level::Info), "b"),
            line(3, "api", Some(Level::Error), "timed out"),
            line(4, "web", Some(Level::Error), "timed out"),
        ]));
        hub.send(Live::Second {
            at: 1_000,
            sources: Vec::new(),
        });
        hub.send(Live::Lines(vec![line(5, "api", Some(Level::Error), "c")]));
        for now in [2_000, 2_000, 3_000] {
            let received = counter.recv().await;
            counter.take(received, now);
        }
        assert_eq!(counter.count(&errors), Some(3.0));
        assert_eq!(counter.count(&timeouts), Some(1.0));

        // Rules reloaded: a query that stays keeps its count.
        counter.set(std::slice::from_ref(&errors));
        assert_eq!(counter.count(&errors), Some(3.0));
        assert_eq!(counter.count(&timeouts), None);
        counter.set(&[errors.clone(), timeouts.clone()]);

        counter.expire(62_500);
        assert_eq!(counter.count(&errors), Some(1.0));
        counter.expire(63_000);
        assert_eq!(counter.count(&errors), Some(0.0));
    }

    #[test]
    fn the_stream_is_followed_only_while_a_rule_counts() {
        let hub = LogsHub::default();
        let mut counter = LogCounter::new(Some(hub.clone()));
        counter.set(&[]);
        assert!(!hub.followed());
        counter.set(&[query(LogFilter::Level("warning".into()), 60)]);
        assert!(hub.followed());
        counter.set(&[]);
        assert!(!hub.followed());

        let mut without = LogCounter::new(None);
        let errors = query(LogFilter::Level("ERROR".into()), 60);
        without.set(std::slice::from_ref(&errors));
        assert_eq!(without.count(&errors), None);
    }

    #[test]
    fn a_level_is_the_logs_panes_level() {
        let warn = Filter::new(&LogFilter::Level("WARNING".into()));
        assert!(warn.matches(&line(1, "api", Some(Level::Warn), "x")));
        let fatal = Filter::new(&LogFilter::Level("CRITICAL".into()));
        assert!(fatal.matches(&line(1, "api", Some(Level::Fatal), "x")));
        // Exactly that level, as before: an ERROR rule does not count FATAL lines.
        let error = Filter::new(&LogFilter::Level("ERROR".into()));
        assert!(!error.matches(&line(1, "api", Some(Level::Fatal), "x")));
        assert!(!error.matches(&line(1, "api", None, "error")));
    }
}
