//! Reading a store while the engine writes it: queries, counts, per-minute totals.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::block::{self, Block, Entry};
use super::scan::Scan;
use super::segment::{self, SegmentPaths};
use super::select::{self, Filter};
use super::{LogStoreError, at};
use crate::logs::search::trim_newline;
use crate::logs::{LevelCounts, LogLine, LogQuery};

/// Reads the store in a directory; cheap to create, safe to use from any thread while a
/// [`super::LogStore`] appends (it sees every line flushed before the call).
#[derive(Debug, Clone)]
pub struct StoreReader {
    dir: PathBuf,
}

/// Lines and bytes of one minute of one source, per level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteCounts {
    /// Unix ms of the minute's start.
    pub minute: u64,
    pub lines: LevelCounts,
    /// Bytes of the lines' text, newlines included.
    pub bytes: LevelCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMinutes {
    pub source: String,
    /// Oldest first; minutes without lines are left out.
    pub minutes: Vec<MinuteCounts>,
}

impl StoreReader {
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The sources with stored lines, by name.
    pub fn sources(&self) -> Result<Vec<String>, LogStoreError> {
        Ok(self
            .selected(&[])?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// The stored lines `q` asks for (`follow` is not the store's business), oldest first;
    /// with `limit`, the newest that many.
    pub fn query(&self, q: &LogQuery) -> Result<Vec<LogLine>, LogStoreError> {
        let mut lines = Vec::new();
        self.stream(q, &mut |line| {
            lines.push(line);
            true
        })?;
        Ok(lines)
    }

    /// Hands `f` the lines [`StoreReader::query`] would return, one at a time, until it
    /// returns false. Without a `limit` they are read as they are handed out (memory does
    /// not grow with the store, see `scan`); with one, the newest `limit` are gathered first.
    pub fn stream(
        &self,
        q: &LogQuery,
        f: &mut dyn FnMut(LogLine) -> bool,
    ) -> Result<(), LogStoreError> {
        let filter = Filter::new(q)?;
        let Some(n) = q.limit else {
            let mut scan = Scan::new(self.selected(&q.sources)?, filter)?;
            while let Some(line) = scan.next_line()? {
                if !f(line) {
                    break;
                }
            }
            return Ok(());
        };
        let mut lines = Vec::new();
        for (name, dir) in self.selected(&q.sources)? {
            let segments = segment::list(&dir).map_err(at(&dir))?;
            let mut source_lines = Vec::new();
            newest(&segments, &filter, n, &name, &mut source_lines)?;
            lines.append(&mut source_lines);
        }
        lines.sort_unstable_by_key(|l| l.seq);
        let older = lines.len().saturating_sub(n);
        for line in lines.into_iter().skip(older) {
            if !f(line) {
                break;
            }
        }
        Ok(())
    }

    /// How many stored lines `q` matches (`limit` ignored); from the indexes alone unless
    /// it has a regex.
    pub fn count(&self, q: &LogQuery) -> Result<u64, LogStoreError> {
        let filter = Filter::new(q)?;
        let mut total = 0;
        for (_, dir) in self.selected(&q.sources)? {
            for paths in segment::list(&dir).map_err(at(&dir))? {
                total += with_segment(&paths, |data, blocks| select::count(data, blocks, &filter))?
                    .unwrap_or(0);
            }
        }
        Ok(total)
    }

    /// Lines and bytes per level per minute of each source (all when `sources` is empty)
    /// since `since_ms`, from the indexes alone.
    pub fn minutes(
        &self,
        sources: &[String],
        since_ms: u64,
    ) -> Result<Vec<SourceMinutes>, LogStoreError> {
        let mut out = Vec::new();
        for (source, dir) in self.selected(sources)? {
            let mut minutes: BTreeMap<u64, MinuteCounts> = BTreeMap::new();
            for paths in segment::list(&dir).map_err(at(&dir))? {
                let Some(idx) = read_if_present(&paths.idx)? else {
                    continue;
                };
                let (blocks, _) = block::parse(&idx);
                let recent = blocks.iter().filter(|b| b.header.max_time >= since_ms);
                for e in recent.flat_map(Block::entries).filter(|e| e.at >= since_ms) {
                    let minute = e.at - e.at % 60_000;
                    let m = minutes.entry(minute).or_insert_with(|| MinuteCounts {
                        minute,
                        lines: LevelCounts::default(),
                        bytes: LevelCounts::default(),
                    });
                    m.lines.add(e.level, 1);
                    m.bytes.add(e.level, u64::from(e.len));
                }
            }
            out.push(SourceMinutes {
                source,
                minutes: minutes.into_values().collect(),
            });
        }
        Ok(out)
    }

    fn selected(&self, names: &[String]) -> Result<Vec<(String, PathBuf)>, LogStoreError> {
        let mut all = segment::sources(&self.dir).map_err(at(&self.dir))?;
        if !names.is_empty() {
            all.retain(|(name, _)| names.contains(name));
        }
        Ok(all)
    }
}

/// The newest `n` lines of one source kept by `filter`, from its newest segment back.
fn newest(
    segments: &[SegmentPaths],
    filter: &Filter,
    n: usize,
    source: &str,
    out: &mut Vec<LogLine>,
) -> Result<(), LogStoreError> {
    for paths in segments.iter().rev() {
        if out.len() >= n {
            break;
        }
        let mut older = Vec::new();
        with_segment(paths, |data, blocks| {
            select::visit_newest(data, blocks, filter, n - out.len(), &mut |e, line| {
                older.push(log_line(source, e, line));
                true
            })
        })?;
        older.append(out);
        *out = older;
    }
    Ok(())
}

fn log_line(source: &str, e: &Entry, line: &[u8]) -> LogLine {
    LogLine {
        seq: e.seq,
        at: e.at,
        source: source.to_owned(),
        level: e.level,
        pattern: e.pattern,
        text: crate::logs::line::text(trim_newline(line)).into_owned(),
        header: None,
        continues: false,
    }
}

/// Runs `f` on a segment's lines and parsed index; None when retention deleted it meanwhile.
fn with_segment<T>(
    paths: &SegmentPaths,
    f: impl FnOnce(&File, &[Block<'_>]) -> Result<T, crate::logs::search::SearchError>,
) -> Result<Option<T>, LogStoreError> {
    let Some(idx) = read_if_present(&paths.idx)? else {
        return Ok(None);
    };
    let data = match File::open(&paths.log) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(at(&paths.log)(e)),
    };
    let (blocks, _) = block::parse(&idx);
    Ok(Some(f(&data, &blocks)?))
}

fn read_if_present(path: &std::path::Path) -> Result<Option<Vec<u8>>, LogStoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(at(path)(e)),
    }
}
