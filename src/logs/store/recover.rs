//! Opening a source's segments again: what each closed one holds, and the newest one
//! reconciled with its index after a crash.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::UNIX_EPOCH;

use super::block::{self, BLOCK_LINES, BlockBuilder, Entry};
use super::segment::{self, SegmentPaths};
use super::{Classify, LogStoreError, at};
use crate::logs::search::trim_newline;

/// What retention needs to know of a segment.
#[derive(Debug, Clone)]
pub struct SegmentMeta {
    pub paths: SegmentPaths,
    /// Lines and index together.
    pub bytes: u64,
    /// Unix ms of its newest line.
    pub max_time: u64,
}

/// A source as found on disk.
pub struct Found {
    pub closed: Vec<SegmentMeta>,
    pub newest: Option<SegmentPaths>,
    /// The sequence number after every line its indexes know.
    pub next_seq: u64,
}

pub fn scan(dir: &Path) -> Result<Found, LogStoreError> {
    let mut all = segment::list(dir).map_err(at(dir))?;
    let newest = all.pop();
    let mut next_seq = newest.as_ref().map_or(0, |s| s.first_seq);
    let mut closed = Vec::with_capacity(all.len());
    for paths in all {
        let idx = read_or_empty(&paths.idx)?;
        let (blocks, _) = block::parse(&idx);
        let log_len = len_or_zero(&paths.log)?;
        next_seq = next_seq.max(blocks.last().map_or(0, |b| b.header.last_seq + 1));
        closed.push(SegmentMeta {
            max_time: blocks.iter().map(|b| b.header.max_time).max().unwrap_or(0),
            bytes: log_len + idx.len() as u64,
            paths,
        });
    }
    if let Some(newest) = &newest {
        let idx = read_or_empty(&newest.idx)?;
        let (blocks, _) = block::parse(&idx);
        next_seq = next_seq.max(blocks.last().map_or(0, |b| b.header.last_seq + 1));
    }
    Ok(Found {
        closed,
        newest,
        next_seq,
    })
}

/// The newest segment, open for appending.
pub struct Reopened {
    pub meta: SegmentMeta,
    pub log: File,
    pub idx: File,
    pub log_len: u64,
    pub idx_len: u64,
}

/// Opens the newest segment for appending, after making its index cover exactly its lines:
/// blocks past the end of the lines go, lines past the end of the index are indexed (with
/// fresh sequence numbers from `next_seq`), a torn last line gets its newline.
pub fn reopen(
    paths: SegmentPaths,
    classify: &dyn Classify,
    next_seq: &mut u64,
) -> Result<Reopened, LogStoreError> {
    let mut log = append(&paths.log)?;
    let mut log_len = log.metadata().map_err(at(&paths.log))?.len();
    let idx_bytes = read_or_empty(&paths.idx)?;
    let (blocks, _) = block::parse(&idx_bytes);
    let kept = blocks
        .iter()
        .take_while(|b| b.header.end() <= log_len)
        .count();
    let kept = &blocks[..kept];
    let indexed_end = kept.last().map_or(0, |b| b.header.end());
    let mut max_time = kept.iter().map(|b| b.header.max_time).max().unwrap_or(0);
    let mut idx_len = kept.last().map_or(0, |b| b.end) as u64;
    let mut idx = append(&paths.idx)?;
    idx.set_len(idx_len).map_err(at(&paths.idx))?;
    if indexed_end < log_len {
        let mut tail = read_range(&paths.log, indexed_end, log_len)?;
        if !tail.ends_with(b"\n") {
            log.write_all(b"\n").map_err(at(&paths.log))?;
            tail.push(b'\n');
            log_len += 1;
        }
        let fallback = mtime_ms(&paths.log);
        let (sealed, newest) = index_lines(&tail, indexed_end, classify, fallback, next_seq);
        idx.write_all(&sealed).map_err(at(&paths.idx))?;
        idx_len += sealed.len() as u64;
        max_time = max_time.max(newest);
    }
    Ok(Reopened {
        meta: SegmentMeta {
            bytes: log_len + idx_len,
            max_time,
            paths,
        },
        log,
        idx,
        log_len,
        idx_len,
    })
}

/// Index blocks for `lines` (whole lines starting at `offset`), and the newest time among them.
fn index_lines(
    lines: &[u8],
    mut offset: u64,
    classify: &dyn Classify,
    fallback_ms: u64,
    next_seq: &mut u64,
) -> (Vec<u8>, u64) {
    let mut builder = BlockBuilder::default();
    let mut sealed = Vec::new();
    let mut newest = 0;
    for line in lines.split_inclusive(|&b| b == b'\n') {
        let text = trim_newline(line);
        let entry = Entry {
            seq: *next_seq,
            offset,
            len: line.len() as u32,
            at: classify.time(text).unwrap_or(fallback_ms),
            level: classify.level(text),
            pattern: None,
        };
        builder.push(&entry);
        if builder.len() == BLOCK_LINES {
            builder.seal_into(&mut sealed);
        }
        newest = newest.max(entry.at);
        *next_seq += 1;
        offset += line.len() as u64;
    }
    builder.seal_into(&mut sealed);
    (sealed, newest)
}

pub fn append(path: &Path) -> Result<File, LogStoreError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(at(path))
}

fn read_or_empty(path: &Path) -> Result<Vec<u8>, LogStoreError> {
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        other => other.map_err(at(path)),
    }
}

fn len_or_zero(path: &Path) -> Result<u64, LogStoreError> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(at(path)(e)),
    }
}

fn read_range(path: &Path, from: u64, to: u64) -> Result<Vec<u8>, LogStoreError> {
    let file = File::open(path).map_err(at(path))?;
    let mut buf = vec![0; (to - from) as usize];
    file.read_exact_at(&mut buf, from).map_err(at(path))?;
    Ok(buf)
}

fn mtime_ms(path: &Path) -> u64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as u64)
}
