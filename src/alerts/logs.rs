//! Counting log lines for `log_rate` and `log_match`: the service logs the supervisor
//! captures are tailed once per evaluation, and each query keeps the times of the lines it
//! matched within its window.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::LazyLock;

use regex::Regex;

use super::{LogCountQuery, LogFilter};

/// Bytes read per file per poll: a service that floods its log cannot stall evaluation;
/// lines past this are skipped (counted as absent).
const MAX_READ: u64 = 4 << 20;

/// The first level word on a line is its level (`INFO: 0 errors` is an INFO line).
static LEVEL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(trace|debug|info|notice|warning|warn|error|err|fatal|critical|crit|panic)\b",
    )
    .ok()
});

/// The canonical level of a line, upper-case: TRACE, DEBUG, INFO, WARN, ERROR or FATAL.
pub fn line_level(line: &str) -> Option<&'static str> {
    let found = LEVEL.as_ref()?.find(line)?;
    Some(match found.as_str().to_ascii_lowercase().as_str() {
        "trace" => "TRACE",
        "debug" => "DEBUG",
        "info" | "notice" => "INFO",
        "warn" | "warning" => "WARN",
        "error" | "err" => "ERROR",
        _ => "FATAL",
    })
}

/// Canonical name of a level as written in a rule (`warning` → `WARN`); `None` unless the
/// whole text is a level word.
pub fn canonical_level(level: &str) -> Option<&'static str> {
    let level = level.trim();
    let found = LEVEL.as_ref()?.find(level)?;
    (found.len() == level.len())
        .then(|| line_level(level))
        .flatten()
}

struct Counted {
    query: LogCountQuery,
    filter: Filter,
    /// Unix ms of each matching line within the window, oldest first.
    times: VecDeque<u64>,
}

enum Filter {
    Level(&'static str),
    Regex(Regex),
    /// A level or pattern that cannot match (rules validation should prevent it).
    Never,
}

impl Filter {
    fn new(filter: &LogFilter) -> Self {
        match filter {
            LogFilter::Level(level) => canonical_level(level).map_or(Self::Never, Self::Level),
            LogFilter::Regex(pattern) => {
                crate::config::values::compile(pattern).map_or(Self::Never, Self::Regex)
            }
        }
    }

    fn matches(&self, line: &str) -> bool {
        match self {
            Self::Level(level) => line_level(line) == Some(*level),
            Self::Regex(regex) => regex.is_match(line),
            Self::Never => false,
        }
    }
}

/// Where one service's log is read from, and how far.
struct Tail {
    path: PathBuf,
    file: Option<File>,
    inode: u64,
    offset: u64,
    /// An incomplete last line, finished by the next read.
    partial: String,
}

impl Tail {
    fn new(path: PathBuf) -> Self {
        let mut tail = Self {
            path,
            file: None,
            inode: 0,
            offset: 0,
            partial: String::new(),
        };
        // Lines written before the engine started have no time: count only new ones.
        tail.open(true);
        tail
    }

    fn open(&mut self, at_end: bool) {
        self.file = File::open(&self.path).ok();
        let meta = self.file.as_ref().and_then(|f| f.metadata().ok());
        self.inode = meta.as_ref().map_or(0, MetadataExt::ino);
        self.offset = if at_end {
            meta.map_or(0, |m| m.len())
        } else {
            0
        };
        self.partial.clear();
    }

    /// New complete lines since the last read. A replaced or truncated file is read from
    /// its start.
    fn read_lines(&mut self) -> Vec<String> {
        let current = std::fs::metadata(&self.path).ok();
        let replaced = current.as_ref().map(MetadataExt::ino) != Some(self.inode);
        let truncated = current.as_ref().is_some_and(|m| m.len() < self.offset);
        if self.file.is_none() || replaced || truncated {
            self.open(false);
        }
        let (Some(file), Some(meta)) = (self.file.as_mut(), current) else {
            return Vec::new();
        };
        let len = meta.len();
        if len <= self.offset {
            return Vec::new();
        }
        if len - self.offset > MAX_READ {
            self.offset = len - MAX_READ;
            self.partial.clear();
        }
        let mut bytes = Vec::new();
        let read = file
            .seek(SeekFrom::Start(self.offset))
            .and_then(|_| file.take(len - self.offset).read_to_end(&mut bytes));
        if read.is_err() {
            return Vec::new();
        }
        self.offset += bytes.len() as u64;
        self.partial.push_str(&String::from_utf8_lossy(&bytes));
        let Some(end) = self.partial.rfind('\n') else {
            return Vec::new();
        };
        let complete: String = self.partial.drain(..=end).collect();
        complete.lines().map(str::to_owned).collect()
    }
}

/// The log queries of the current rules and their counts.
#[derive(Default)]
pub struct LogCounter {
    tails: HashMap<String, Tail>,
    counted: Vec<Counted>,
}

impl LogCounter {
    /// Count exactly `queries`; `log_path` gives a service's captured log. Counts of
    /// queries that stay are kept.
    pub fn set(&mut self, queries: &[LogCountQuery], log_path: impl Fn(&str) -> PathBuf) {
        let mut old: Vec<Counted> = std::mem::take(&mut self.counted);
        for query in queries {
            let kept = old
                .iter()
                .position(|c| &c.query == query)
                .map(|i| old.swap_remove(i));
            self.counted.push(kept.unwrap_or_else(|| Counted {
                query: query.clone(),
                filter: Filter::new(&query.filter),
                times: VecDeque::new(),
            }));
        }
        self.tails
            .retain(|service, _| queries.iter().any(|q| &q.service == service));
        for query in queries {
            self.tails
                .entry(query.service.clone())
                .or_insert_with(|| Tail::new(log_path(&query.service)));
        }
    }

    /// Read what the services logged since the last poll and age out old matches.
    pub fn poll(&mut self, now_ms: u64) {
        for (service, tail) in &mut self.tails {
            let lines = tail.read_lines();
            for counted in self
                .counted
                .iter_mut()
                .filter(|c| &c.query.service == service)
            {
                let hits = lines.iter().filter(|l| counted.filter.matches(l)).count();
                counted.times.extend(std::iter::repeat_n(now_ms, hits));
            }
        }
        for counted in &mut self.counted {
            let horizon = now_ms.saturating_sub(counted.query.window.as_millis() as u64);
            while counted.times.front().is_some_and(|&t| t <= horizon) {
                counted.times.pop_front();
            }
        }
    }

    /// Matching lines within the query's window; `None` for a query not being counted.
    pub fn count(&self, query: &LogCountQuery) -> Option<f64> {
        self.counted
            .iter()
            .find(|c| &c.query == query)
            .map(|c| c.times.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_first_level_word_is_the_level() {
        assert_eq!(
            line_level("12:00:01 ERROR checksum mismatch"),
            Some("ERROR")
        );
        assert_eq!(line_level("[warning] disk at 91%"), Some("WARN"));
        assert_eq!(line_level("INFO: 0 errors"), Some("INFO"));
        assert_eq!(line_level("level=err msg=boom"), Some("ERROR"));
        assert_eq!(line_level("panic: runtime error"), Some("FATAL"));
        assert_eq!(line_level("interior information"), None);
        assert_eq!(canonical_level("warning"), Some("WARN"));
        assert_eq!(canonical_level("loud"), None);
    }

    #[test]
    fn counts_new_lines_within_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.log");
        std::fs::write(&path, "old ERROR before the engine started\n").unwrap();
        let errors = LogCountQuery {
            service: "api".into(),
            filter: LogFilter::Level("ERROR".into()),
            window: Duration::from_secs(60),
        };
        let timeouts = LogCountQuery {
            service: "api".into(),
            filter: LogFilter::Regex("time(d )?out".into()),
            window: Duration::from_secs(10),
        };
        let mut counter = LogCounter::default();
        counter.set(&[errors.clone(), timeouts.clone()], |_| path.clone());
        counter.poll(1_000);
        assert_eq!(counter.count(&errors), Some(0.0));

        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        write!(file, "ERROR a\nINFO b\nERROR timed out\nERROR hal").unwrap();
        counter.poll(2_000);
        assert_eq!(counter.count(&errors), Some(2.0));
        assert_eq!(counter.count(&timeouts), Some(1.0));
        writeln!(file, "f line").unwrap();
        counter.poll(3_000);
        assert_eq!(counter.count(&errors), Some(3.0));

        counter.poll(12_500);
        assert_eq!(counter.count(&timeouts), Some(0.0));
        assert_eq!(counter.count(&errors), Some(3.0));
        counter.poll(63_000);
        assert_eq!(counter.count(&errors), Some(0.0));

        // Truncated (a restarted service whose log was reset): read from the start.
        std::fs::write(&path, "ERROR again\n").unwrap();
        counter.poll(64_000);
        assert_eq!(counter.count(&errors), Some(1.0));
    }
}
