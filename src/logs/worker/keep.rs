//! The store as the worker sees it: lines go in and get their sequence number, or, while
//! the store cannot write (a full disk, most often), wait in memory in order. While any
//! line waits, the worker reads nothing more and saves no follow position: what is still
//! in the source files stays there, and a crash re-reads it from the last position saved.
//! Writes are tried again after 100 ms, then up to every 5 s.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::Shown;
use crate::logs::Level;
use crate::logs::store::{Classify, LogStore, LogStoreError, StoreLimits};

const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// A line classified but not stored yet.
#[derive(Debug)]
pub struct Line {
    pub source: String,
    pub at: u64,
    pub level: Option<Level>,
    pub pattern: u32,
    pub text: Vec<u8>,
    pub shown: Shown,
}

/// A line as the worker has it at hand.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    pub source: &'a str,
    pub at: u64,
    pub level: Option<Level>,
    pub pattern: u32,
    pub text: &'a [u8],
    pub shown: Shown,
}

impl LineRef<'_> {
    fn to_owned(self) -> Line {
        Line {
            source: self.source.to_owned(),
            at: self.at,
            level: self.level,
            pattern: self.pattern,
            text: self.text.to_vec(),
            shown: self.shown,
        }
    }
}

impl Line {
    pub fn as_ref(&self) -> LineRef<'_> {
        LineRef {
            source: &self.source,
            at: self.at,
            level: self.level,
            pattern: self.pattern,
            text: &self.text,
            shown: self.shown,
        }
    }
}

/// What happened to the store, for the engine to tell the user.
#[derive(Debug)]
pub enum Change {
    /// Writes began to fail.
    Failed(LogStoreError),
    /// Writes work again; `lines` lines had waited in memory.
    Recovered { lines: usize },
}

pub struct Keep {
    dir: PathBuf,
    limits: StoreLimits,
    store: Option<LogStore>,
    waiting: VecDeque<Line>,
    /// Set while writes fail: when to try again, and the current wait.
    retry: Option<(Instant, Duration)>,
}

impl Keep {
    pub fn new(dir: PathBuf, limits: StoreLimits) -> Self {
        Self {
            dir,
            limits,
            store: None,
            waiting: VecDeque::new(),
            retry: None,
        }
    }

    /// The last write failed and lines wait (or will): read nothing more.
    pub fn blocked(&self) -> bool {
        self.retry.is_some()
    }

    /// How long until writes are tried again (zero when due or not blocked).
    pub fn wait(&self) -> Duration {
        self.retry.map_or(Duration::ZERO, |(at, _)| {
            at.saturating_duration_since(Instant::now())
        })
    }

    /// Opens the store; a failure is retried like a failed write.
    pub fn open(&mut self, classify: &dyn Classify) -> Option<Change> {
        match self.try_open(classify) {
            Ok(()) => None,
            Err(e) => self.failed(e),
        }
    }

    /// Stores `line` and returns its sequence number, or keeps a copy waiting behind the
    /// lines already waiting (`Err`, with the change to report if this is the first
    /// failure).
    pub fn append(&mut self, line: LineRef<'_>) -> Result<u64, Option<Change>> {
        if self.blocked() {
            self.waiting.push_back(line.to_owned());
            return Err(None);
        }
        match self.store_line(line) {
            Ok(seq) => Ok(seq),
            Err(e) => {
                self.waiting.push_back(line.to_owned());
                Err(self.failed(e))
            }
        }
    }

    /// When a retry is due: opens the store if needed, writes what it holds, then stores
    /// the waiting lines in order, `stored` getting each with its sequence number.
    pub fn retry(
        &mut self,
        classify: &dyn Classify,
        stored: &mut dyn FnMut(Line, u64),
    ) -> Option<Change> {
        if !self.blocked() || !self.wait().is_zero() {
            return None;
        }
        let lines = self.waiting.len();
        match self.write_waiting(classify, stored) {
            Ok(()) => {
                self.retry = None;
                Some(Change::Recovered { lines })
            }
            Err(e) => self.failed(e),
        }
    }

    fn write_waiting(
        &mut self,
        classify: &dyn Classify,
        stored: &mut dyn FnMut(Line, u64),
    ) -> Result<(), LogStoreError> {
        self.try_open(classify)?;
        self.flush_store()?;
        while let Some(line) = self.waiting.pop_front() {
            match self.store_line(line.as_ref()) {
                Ok(seq) => stored(line, seq),
                Err(e) => {
                    self.waiting.push_front(line);
                    return Err(e);
                }
            }
        }
        self.flush_store()
    }

    /// Writes the lines taken so far (while blocked, the retry does).
    pub fn flush(&mut self) -> Option<Change> {
        if self.blocked() {
            return None;
        }
        match self.flush_store() {
            Ok(()) => None,
            Err(e) => self.failed(e),
        }
    }

    fn try_open(&mut self, classify: &dyn Classify) -> Result<(), LogStoreError> {
        if self.store.is_none() {
            self.store = Some(LogStore::open(&self.dir, self.limits, classify)?);
        }
        Ok(())
    }

    fn flush_store(&mut self) -> Result<(), LogStoreError> {
        self.store.as_mut().map_or(Ok(()), LogStore::flush)
    }

    fn store_line(&mut self, line: LineRef<'_>) -> Result<u64, LogStoreError> {
        let Some(store) = self.store.as_mut() else {
            return Err(LogStoreError::Io {
                path: self.dir.clone(),
                source: std::io::Error::other("the store is not open"),
            });
        };
        let pattern = Some(line.pattern);
        store.append(line.source, line.at, line.level, pattern, line.text)
    }

    /// Schedules the next try; the first failure of a run is reported.
    fn failed(&mut self, error: LogStoreError) -> Option<Change> {
        let first = self.retry.is_none();
        let delay = self
            .retry
            .map_or(RETRY_FIRST, |(_, d)| (d * 2).min(RETRY_MAX));
        self.retry = Some((Instant::now() + delay, delay));
        first.then_some(Change::Failed(error))
    }
}
