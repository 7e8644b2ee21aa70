//! Building a file's sidecar on several threads. The file is cut into chunks of whole
//! lines; a worker thread reads, splits and classifies (level, time) a chunk's lines and
//! mines them with a miner of its own, started empty. The calling thread takes the chunks
//! back in file order, maps each chunk's patterns to the file's by mining the chunk's
//! templates with one more miner, and encodes the blocks. Chunks are the same whatever the
//! number of threads, so one thread builds the same index as two.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::super::block::{BLOCK_LINES, BlockBuilder, Entry};
use super::super::{Classify, LogStoreError, NewPatterns, Patterns, at};
use super::{FileIndexSummary, SidecarHeader, mtime_ms};
use crate::logs::Level;
use crate::logs::search::{SearchError, line_start_at_or_after, trim_newline};

/// Encoded blocks are written in pieces of about this size.
const WRITE_BYTES: usize = 1 << 20;
/// Bytes of the file read at a time: small enough to stay in cache while a worker splits
/// and classifies them.
const UNIT: u64 = 1 << 20;
/// Bytes of the file one miner takes: enough lines for its patterns to settle (their
/// templates widen as lines come), few enough that two threads share a file evenly.
const CHUNK_UNITS: u64 = 8;

/// One line of a chunk, classified and mined.
#[derive(Clone, Copy)]
struct Parsed {
    /// With its newline.
    len: u32,
    /// The line's own time: one without takes the previous line's, once in order.
    time: Option<u64>,
    level: Option<Level>,
    /// The chunk miner's id.
    pattern: Option<u32>,
}

/// A chunk's lines, and the templates its miner ended with.
struct Chunk {
    index: u64,
    /// Offset of its first line in the file.
    base: u64,
    lines: Vec<Parsed>,
    /// Each chunk pattern id its lines use, in order of first use, with its template.
    templates: Vec<(u32, Option<String>)>,
}

/// Indexes `file` into `sidecar` (replaced atomically) on `threads` threads, mining its
/// lines' patterns with miners `patterns` makes, when given.
pub fn index_file(
    file: &Path,
    sidecar: &Path,
    classify: &dyn Classify,
    patterns: Option<NewPatterns<'_>>,
    threads: usize,
) -> Result<FileIndexSummary, LogStoreError> {
    let data = File::open(file).map_err(at(file))?;
    let meta = data.metadata().map_err(at(file))?;
    let header = SidecarHeader::of(std::fs::canonicalize(file).map_err(at(file))?, &meta);
    if let Some(dir) = sidecar.parent() {
        std::fs::create_dir_all(dir).map_err(at(dir))?;
    }
    let tmp = sidecar.with_extension(format!("tmp{}", std::process::id()));
    let mut out = BufWriter::new(File::create(&tmp).map_err(at(&tmp))?);
    serde_json::to_writer(&mut out, &header).map_err(|e| at(&tmp)(e.into()))?;
    out.write_all(b"\n").map_err(at(&tmp))?;
    let work = Work {
        data: &data,
        len: meta.len(),
        classify,
        patterns,
    };
    let lines = index_lines(&work, threads, mtime_ms(&meta), &mut out)
        .and_then(|lines| {
            let written = out.into_inner().map_err(|e| e.into_error())?;
            Ok((lines, written))
        })
        .map_err(|e| match e {
            Failed::Read(e) => LogStoreError::from(e),
            Failed::Write(e) => at(&tmp)(e),
        });
    let (lines, written) = match lines {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let index_bytes = written.metadata().map_err(at(&tmp))?.len();
    std::fs::rename(&tmp, sidecar).map_err(at(sidecar))?;
    Ok(FileIndexSummary {
        lines,
        index_bytes,
        sidecar: sidecar.to_path_buf(),
    })
}

/// Why indexing stopped: reading `file` or writing the sidecar.
enum Failed {
    Read(SearchError),
    Write(io::Error),
}

impl From<io::Error> for Failed {
    fn from(e: io::Error) -> Self {
        Self::Write(e)
    }
}

/// What every worker reads and mines with.
struct Work<'a> {
    data: &'a File,
    len: u64,
    classify: &'a dyn Classify,
    patterns: Option<NewPatterns<'a>>,
}

impl Work<'_> {
    fn chunks(&self) -> u64 {
        self.len.div_ceil(UNIT * CHUNK_UNITS)
    }
}

/// Returns the number of lines.
fn index_lines(
    work: &Work<'_>,
    threads: usize,
    fallback_ms: u64,
    out: &mut dyn Write,
) -> Result<u64, Failed> {
    let workers = threads.clamp(1, work.chunks().max(1) as usize);
    let next = AtomicU64::new(0);
    // Chunks wait for the encoder at most two per worker: memory stays bounded.
    let (tx, rx) = sync_channel(workers);
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (tx, next) = (tx.clone(), &next);
            s.spawn(move || mine_chunks(work, next, tx));
        }
        drop(tx);
        // Returning drops the receiver, which stops the workers on an error.
        encode_in_order(rx, work.patterns, fallback_ms, out)
    })
}

/// A worker: takes the next chunk until none is left or the encoder is gone.
fn mine_chunks(work: &Work<'_>, next: &AtomicU64, tx: SyncSender<Result<Chunk, SearchError>>) {
    let mut buf = Vec::new();
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= work.chunks() {
            return;
        }
        if tx.send(mine_chunk(work, index, &mut buf)).is_err() {
            return;
        }
    }
}

fn mine_chunk(work: &Work<'_>, index: u64, buf: &mut Vec<u8>) -> Result<Chunk, SearchError> {
    let mut miner = work.patterns.map(|make| make());
    let first = index * CHUNK_UNITS;
    let units = first..(first + CHUNK_UNITS).min(work.len.div_ceil(UNIT));
    let mut chunk = Chunk {
        index,
        base: line_start_at_or_after(work.data, first * UNIT, &(0..work.len))?,
        lines: Vec::new(),
        templates: Vec::new(),
    };
    for unit in units {
        let n = read_unit(work.data, work.len, unit, buf)?;
        split_unit(
            &buf[..n],
            work.classify,
            miner.as_deref_mut(),
            &mut chunk.lines,
        );
    }
    if let Some(miner) = &miner {
        for id in first_uses(&chunk.lines) {
            chunk.templates.push((id, miner.template(id)));
        }
    }
    Ok(chunk)
}

/// Each pattern id the lines use, once, in order of first use. A miner started empty numbers
/// its patterns from 0, at most one new one a line: a flag per line finds them without
/// hashing every line's id (a set holds any id beyond).
fn first_uses(lines: &[Parsed]) -> Vec<u32> {
    let mut seen = vec![false; lines.len()];
    let mut beyond = std::collections::HashSet::new();
    lines
        .iter()
        .filter_map(|l| l.pattern)
        .filter(|&id| match seen.get_mut(id as usize) {
            Some(seen) => !std::mem::replace(seen, true),
            None => beyond.insert(id),
        })
        .collect()
}

/// Reads the lines starting in `unit` into `buf`; how many bytes (none when the unit lies
/// inside one long line).
fn read_unit(data: &File, len: u64, unit: u64, buf: &mut Vec<u8>) -> Result<usize, SearchError> {
    let all = 0..len;
    let start = line_start_at_or_after(data, unit * UNIT, &all)?;
    let end = line_start_at_or_after(data, (unit + 1) * UNIT, &all)?.max(start);
    let n = (end - start) as usize;
    if buf.len() < n {
        buf.resize(n, 0);
    }
    data.read_exact_at(&mut buf[..n], start)?;
    Ok(n)
}

fn split_unit(
    buf: &[u8],
    classify: &dyn Classify,
    mut miner: Option<&mut (dyn Patterns + 'static)>,
    lines: &mut Vec<Parsed>,
) {
    // The miner takes text: one validation of the unit rather than one per line (a line
    // ends at a newline, so on a character boundary of valid text).
    let valid = miner
        .is_some()
        .then(|| std::str::from_utf8(buf).ok())
        .flatten();
    let mut from = 0;
    for to in memchr::memchr_iter(b'\n', buf)
        .map(|i| i + 1)
        .chain([buf.len()])
    {
        if to > from {
            let text = trim_newline(&buf[from..to]);
            let pattern = miner.as_deref_mut().and_then(|m| match valid {
                Some(unit) => m.pattern(&unit[from..from + text.len()]),
                None => m.pattern(&crate::logs::line::text(text)),
            });
            lines.push(Parsed {
                len: (to - from) as u32,
                time: classify.time(text),
                level: classify.level(text),
                pattern,
            });
            from = to;
        }
    }
}

/// Takes the chunks back in file order, maps their patterns and encodes them; returns the
/// number of lines.
fn encode_in_order(
    chunks: Receiver<Result<Chunk, SearchError>>,
    patterns: Option<NewPatterns<'_>>,
    fallback_ms: u64,
    out: &mut dyn Write,
) -> Result<u64, Failed> {
    let mut encoder = Encoder {
        builder: BlockBuilder::default(),
        sealed: Vec::with_capacity(WRITE_BYTES + (64 << 10)),
        seq: 1,
        last_time: fallback_ms,
        merged: patterns.map(|make| make()),
    };
    let mut early = BTreeMap::new();
    let mut wanted = 0;
    for chunk in chunks {
        let chunk = chunk.map_err(Failed::Read)?;
        early.insert(chunk.index, chunk);
        while let Some(chunk) = early.remove(&wanted) {
            encoder.add(&chunk, out)?;
            wanted += 1;
        }
    }
    encoder.builder.seal_into(&mut encoder.sealed);
    out.write_all(&encoder.sealed)?;
    Ok(encoder.seq - 1)
}

struct Encoder {
    builder: BlockBuilder,
    sealed: Vec<u8>,
    /// Line number of the next line.
    seq: u64,
    last_time: u64,
    /// Mines the chunks' templates into the file's patterns.
    merged: Option<Box<dyn Patterns>>,
}

impl Encoder {
    fn add(&mut self, chunk: &Chunk, out: &mut dyn Write) -> io::Result<()> {
        let ids: std::collections::HashMap<u32, u32> = match &mut self.merged {
            Some(merged) => chunk
                .templates
                .iter()
                .filter_map(|(id, t)| Some((*id, merged.pattern(t.as_deref()?)?)))
                .collect(),
            None => Default::default(),
        };
        let mut offset = chunk.base;
        for line in &chunk.lines {
            self.last_time = line.time.unwrap_or(self.last_time);
            self.builder.push(&Entry {
                seq: self.seq,
                offset,
                len: line.len,
                at: self.last_time,
                level: line.level,
                pattern: line.pattern.and_then(|id| ids.get(&id).copied()),
            });
            if self.builder.len() == BLOCK_LINES {
                self.builder.seal_into(&mut self.sealed);
                if self.sealed.len() >= WRITE_BYTES {
                    out.write_all(&self.sealed)?;
                    self.sealed.clear();
                }
            }
            self.seq += 1;
            offset += u64::from(line.len);
        }
        Ok(())
    }
}
