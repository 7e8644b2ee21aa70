//! The engine's side of the store: buffered appends, flushes, rotation and retention.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::block::{BLOCK_LINES, BlockBuilder, Entry};
use super::recover::{self, Reopened, SegmentMeta};
use super::segment::{self, SegmentPaths};
use super::{Classify, LogStoreError, StoreLimits, at};
use crate::logs::Level;

/// A source's pending lines are written once they pass this, flush or not.
const PENDING_BYTES: usize = 4 << 20;
/// Longer lines are cut: the follower already splits at 1 MiB.
const MAX_LINE: usize = 16 << 20;
/// How often `flush` looks for segments past `max_age`.
const AGE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Appends lines of many sources. One writer per store directory (the engine); readers
/// ([`super::StoreReader`]) may read the same directory at any time.
pub struct LogStore {
    dir: PathBuf,
    limits: StoreLimits,
    sources: HashMap<String, SourceLog>,
    next_seq: u64,
    last_age_check: Option<Instant>,
}

impl LogStore {
    /// Opens (or creates) the store in `dir`, repairing what a crash left (see the module
    /// docs); `classify` gives lines indexed again their level and time.
    pub fn open(
        dir: impl Into<PathBuf>,
        limits: StoreLimits,
        classify: &dyn Classify,
    ) -> Result<Self, LogStoreError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(at(&dir))?;
        let mut found = Vec::new();
        let mut next_seq = 0;
        for (name, path) in segment::sources(&dir).map_err(at(&dir))? {
            let source = recover::scan(&path)?;
            next_seq = next_seq.max(source.next_seq);
            found.push((name, path, source));
        }
        let mut sources = HashMap::with_capacity(found.len());
        for (name, path, source) in found {
            let active = match source.newest {
                Some(paths) => Some(Active::from(recover::reopen(
                    paths,
                    classify,
                    &mut next_seq,
                )?)),
                None => None,
            };
            sources.insert(name, SourceLog::new(path, source.closed.into(), active));
        }
        Ok(Self {
            dir,
            limits,
            sources,
            next_seq,
            last_age_check: None,
        })
    }

    /// Buffers one line (without its newline; newlines inside become spaces) and returns its
    /// sequence number. Writes only when the source's buffer is large or its segment is full.
    pub fn append(
        &mut self,
        source: &str,
        at_ms: u64,
        level: Option<Level>,
        pattern: Option<u32>,
        text: &[u8],
    ) -> Result<u64, LogStoreError> {
        let log = match self.sources.get_mut(source) {
            Some(log) => log,
            None => {
                let dir = self.dir.join(segment::dir_name(source));
                std::fs::create_dir_all(&dir).map_err(at(&dir))?;
                self.sources
                    .entry(source.to_owned())
                    .or_insert(SourceLog::new(dir, VecDeque::new(), None))
            }
        };
        let seq = self.next_seq;
        let text = &text[..text.len().min(MAX_LINE)];
        let rotated = log.make_room(text.len() as u64 + 1, seq, &self.limits)?;
        log.push(seq, at_ms, level, pattern, text)?;
        self.next_seq += 1;
        if rotated {
            self.retain_total()?;
        }
        Ok(seq)
    }

    /// Writes every pending line; once a minute also deletes segments past `max_age`.
    pub fn flush(&mut self) -> Result<(), LogStoreError> {
        let mut first_error = None;
        for log in self.sources.values_mut() {
            if let Err(e) = log.flush() {
                first_error.get_or_insert(e);
            }
        }
        if self
            .last_age_check
            .is_none_or(|t| t.elapsed() >= AGE_CHECK_EVERY)
        {
            self.last_age_check = Some(Instant::now());
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            if let Err(e) = self.retain(now) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Deletes closed segments past the limits, oldest first, as of `now_ms`.
    pub fn retain(&mut self, now_ms: u64) -> Result<(), LogStoreError> {
        let oldest_kept = now_ms.saturating_sub(self.limits.max_age.as_millis() as u64);
        for log in self.sources.values_mut() {
            log.retain(self.limits.max_bytes_per_source, oldest_kept)?;
        }
        self.retain_total()
    }

    /// Deletes the oldest closed segments of any source while the store is past
    /// `max_bytes_total`.
    fn retain_total(&mut self) -> Result<(), LogStoreError> {
        let Some(max) = self.limits.max_bytes_total else {
            return Ok(());
        };
        let mut total: u64 = self.sources.values().map(SourceLog::bytes).sum();
        while total > max {
            let oldest = (self.sources.values_mut())
                .filter_map(|log| log.closed.front().map(|m| m.max_time).zip(Some(log)))
                .min_by_key(|(time, _)| *time);
            let Some((_, log)) = oldest else {
                break;
            };
            total = total.saturating_sub(log.drop_oldest()?);
        }
        Ok(())
    }

    /// The sequence number the next line will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}

/// Cuts `file` back to `len` after a failed write, once: appends go to the end, so bytes
/// left past `len` would shift every later line.
fn cut_back(file: &mut std::fs::File, len: u64, torn: &mut bool) -> std::io::Result<()> {
    if *torn {
        file.set_len(len)?;
        *torn = false;
    }
    Ok(())
}

/// One source: closed segments (oldest first), the segment being written, pending lines.
struct SourceLog {
    dir: PathBuf,
    closed: VecDeque<SegmentMeta>,
    active: Option<Active>,
    text: Vec<u8>,
    block: BlockBuilder,
    sealed: Vec<u8>,
}

struct Active {
    meta: SegmentMeta,
    log: std::fs::File,
    idx: std::fs::File,
    log_len: u64,
    idx_len: u64,
    /// A failed write left bytes past `log_len` / `idx_len` that could not be cut off yet.
    log_torn: bool,
    idx_torn: bool,
}

impl From<Reopened> for Active {
    fn from(r: Reopened) -> Self {
        Self {
            meta: r.meta,
            log: r.log,
            idx: r.idx,
            log_len: r.log_len,
            idx_len: r.idx_len,
            log_torn: false,
            idx_torn: false,
        }
    }
}

impl SourceLog {
    fn new(dir: PathBuf, closed: VecDeque<SegmentMeta>, active: Option<Active>) -> Self {
        Self {
            dir,
            closed,
            active,
            text: Vec::new(),
            block: BlockBuilder::default(),
            sealed: Vec::new(),
        }
    }

    /// Closes the segment when `len` more bytes would pass the limit, and opens one when none
    /// is; true when a segment was closed.
    fn make_room(
        &mut self,
        len: u64,
        seq: u64,
        limits: &StoreLimits,
    ) -> Result<bool, LogStoreError> {
        let mut closed = false;
        if let Some(active) = &self.active {
            let used = active.log_len + self.text.len() as u64;
            if used == 0 || used + len <= limits.segment_bytes {
                return Ok(false);
            }
            closed = true;
            self.flush()?;
            if let Some(done) = self.active.take() {
                self.closed.push_back(done.meta);
            }
            self.retain(limits.max_bytes_per_source, 0)?;
        }
        let paths = SegmentPaths::new(&self.dir, seq);
        let idx = recover::append(&paths.idx)?;
        let log = recover::append(&paths.log)?;
        self.active = Some(Active {
            meta: SegmentMeta {
                paths,
                bytes: 0,
                max_time: 0,
            },
            log,
            idx,
            log_len: 0,
            idx_len: 0,
            log_torn: false,
            idx_torn: false,
        });
        Ok(closed)
    }

    /// Lines and index on disk or pending.
    fn bytes(&self) -> u64 {
        self.closed.iter().map(|m| m.bytes).sum::<u64>()
            + self.active.as_ref().map_or(0, |a| a.meta.bytes)
            + self.text.len() as u64
    }

    /// Deletes the oldest closed segment; the bytes it held.
    fn drop_oldest(&mut self) -> Result<u64, LogStoreError> {
        let Some(oldest) = self.closed.pop_front() else {
            return Ok(0);
        };
        for path in [&oldest.paths.log, &oldest.paths.idx] {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(at(path)(e)),
                _ => {}
            }
        }
        Ok(oldest.bytes)
    }

    fn push(
        &mut self,
        seq: u64,
        at_ms: u64,
        level: Option<Level>,
        pattern: Option<u32>,
        text: &[u8],
    ) -> Result<(), LogStoreError> {
        let Some(active) = &mut self.active else {
            return Ok(());
        };
        let entry = Entry {
            seq,
            offset: active.log_len + self.text.len() as u64,
            len: text.len() as u32 + 1,
            at: at_ms,
            level,
            pattern,
        };
        active.meta.max_time = active.meta.max_time.max(at_ms);
        self.block.push(&entry);
        if self.block.len() == BLOCK_LINES {
            self.block.seal_into(&mut self.sealed);
        }
        let start = self.text.len();
        self.text.extend_from_slice(text);
        for b in &mut self.text[start..] {
            if *b == b'\n' {
                *b = b' ';
            }
        }
        self.text.push(b'\n');
        if self.text.len() >= PENDING_BYTES {
            // The line is taken either way; a failure stays pending and is reported by the
            // engine's next `flush`.
            let _ = self.flush();
        }
        Ok(())
    }

    /// Lines first, then their index: a reader never finds an index entry without its line.
    /// What could not be written stays pending for the next flush (a full disk loses
    /// nothing); a half-written part is cut off again first.
    fn flush(&mut self) -> Result<(), LogStoreError> {
        self.block.seal_into(&mut self.sealed);
        let Some(active) = &mut self.active else {
            return Ok(());
        };
        if self.sealed.is_empty() {
            return Ok(());
        }
        let paths = &active.meta.paths;
        if !self.text.is_empty() {
            cut_back(&mut active.log, active.log_len, &mut active.log_torn)
                .map_err(at(&paths.log))?;
            if let Err(e) = active.log.write_all(&self.text) {
                active.log_torn = true;
                let _ = cut_back(&mut active.log, active.log_len, &mut active.log_torn);
                return Err(at(&paths.log)(e));
            }
            active.log_len += self.text.len() as u64;
            self.text.clear();
            active.meta.bytes = active.log_len + active.idx_len;
        }
        cut_back(&mut active.idx, active.idx_len, &mut active.idx_torn).map_err(at(&paths.idx))?;
        if let Err(e) = active.idx.write_all(&self.sealed) {
            // The lines are written; their index follows with the next flush (blocks carry
            // their own start, so later ones are fine).
            active.idx_torn = true;
            let _ = cut_back(&mut active.idx, active.idx_len, &mut active.idx_torn);
            return Err(at(&paths.idx)(e));
        }
        active.idx_len += self.sealed.len() as u64;
        self.sealed.clear();
        active.meta.bytes = active.log_len + active.idx_len;
        Ok(())
    }

    /// Deletes closed segments while the source is over `max_bytes` or their newest line is
    /// older than `oldest_kept` (Unix ms).
    fn retain(&mut self, max_bytes: u64, oldest_kept: u64) -> Result<(), LogStoreError> {
        let mut total: u64 = self.closed.iter().map(|m| m.bytes).sum::<u64>()
            + self.active.as_ref().map_or(0, |a| a.meta.bytes);
        while let Some(oldest) = self.closed.front() {
            if total <= max_bytes && oldest.max_time >= oldest_kept {
                break;
            }
            total -= oldest.bytes;
            for path in [&oldest.paths.log, &oldest.paths.idx] {
                match std::fs::remove_file(path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(at(path)(e)),
                    _ => {}
                }
            }
            self.closed.pop_front();
        }
        Ok(())
    }
}
