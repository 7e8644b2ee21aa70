//! Building a file's sidecar: the file is cut into units of whole lines that worker threads
//! (one per core) read, split and classify (level, time) in parallel; the calling thread takes
//! them back in order, runs the pattern miner (which must see lines one at a time, in order),
//! and encodes the blocks.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use super::super::block::{BLOCK_LINES, BlockBuilder, Entry};
use super::super::{Classify, LogStoreError, Patterns, at};
use super::{FileIndexSummary, SidecarHeader, mtime_ms};
use crate::logs::Level;
use crate::logs::search::{SearchError, line_start_at_or_after, trim_newline};

/// Encoded blocks are written in pieces of about this size.
const WRITE_BYTES: usize = 1 << 20;
/// Bytes of the file per parsing task: small enough to stay in cache while a worker splits
/// and classifies it, large enough that handing it over costs nothing per line.
const UNIT: u64 = 1 << 20;

/// The lines of one unit, split and classified by a worker.
#[derive(Default)]
struct Batch {
    unit: u64,
    buf: Vec<u8>,
    /// Offset of `buf` in the file.
    base: u64,
    lines: Vec<Parsed>,
}

#[derive(Clone, Copy)]
struct Parsed {
    /// Where the line ends in `Batch::buf`.
    end: usize,
    /// The line's own time: one without takes the previous line's, once in order.
    time: Option<u64>,
    level: Option<Level>,
}

/// Indexes `file` into `sidecar` (replaced atomically), with `patterns` when given.
pub fn index_file(
    file: &Path,
    sidecar: &Path,
    classify: &dyn Classify,
    patterns: Option<&mut dyn Patterns>,
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
    let lines = index_lines(
        &data,
        meta.len(),
        classify,
        patterns,
        mtime_ms(&meta),
        &mut out,
    )
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

/// Returns the number of lines.
fn index_lines(
    data: &File,
    len: u64,
    classify: &dyn Classify,
    patterns: Option<&mut dyn Patterns>,
    fallback_ms: u64,
    out: &mut dyn Write,
) -> Result<u64, Failed> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(len.div_ceil(UNIT).max(1) as usize);
    let next = AtomicU64::new(0);
    let (parsed_tx, parsed_rx) = sync_channel(2 * workers);
    let (free_tx, free_rx) = channel();
    let free_rx = Mutex::new(free_rx);
    std::thread::scope(|s| {
        for _ in 0..workers {
            let parsed = parsed_tx.clone();
            let (next, free) = (&next, &free_rx);
            s.spawn(move || parse_units(data, len, classify, next, free, parsed));
        }
        drop(parsed_tx);
        // Returning drops the receiver, which stops the workers on an error.
        encode_in_order(parsed_rx, free_tx, patterns, fallback_ms, out)
    })
}

/// A worker: takes the next unit until none is left or the encoder is gone.
fn parse_units(
    data: &File,
    len: u64,
    classify: &dyn Classify,
    next: &AtomicU64,
    free: &Mutex<Receiver<Batch>>,
    parsed: SyncSender<Result<Batch, SearchError>>,
) {
    loop {
        let unit = next.fetch_add(1, Ordering::Relaxed);
        if unit * UNIT >= len {
            return;
        }
        let recycled = free.lock().ok().and_then(|rx| rx.try_recv().ok());
        let batch = parse_unit(data, len, unit, classify, recycled.unwrap_or_default());
        if parsed.send(batch).is_err() {
            return;
        }
    }
}

/// The lines starting in `unit`: a unit inside one long line has none, and still counts.
fn parse_unit(
    data: &File,
    len: u64,
    unit: u64,
    classify: &dyn Classify,
    mut batch: Batch,
) -> Result<Batch, SearchError> {
    let all = 0..len;
    let start = line_start_at_or_after(data, unit * UNIT, &all)?;
    let end = line_start_at_or_after(data, (unit + 1) * UNIT, &all)?.max(start);
    let n = (end - start) as usize;
    if batch.buf.len() < n {
        batch.buf.resize(n, 0);
    }
    data.read_exact_at(&mut batch.buf[..n], start)?;
    batch.unit = unit;
    batch.base = start;
    batch.lines.clear();
    let buf = &batch.buf[..n];
    let mut from = 0;
    for to in memchr::memchr_iter(b'\n', buf).map(|i| i + 1).chain([n]) {
        if to > from {
            let text = trim_newline(&buf[from..to]);
            let (time, level) = (classify.time(text), classify.level(text));
            batch.lines.push(Parsed {
                end: to,
                time,
                level,
            });
            from = to;
        }
    }
    Ok(batch)
}

/// Takes the units back in file order, mines and encodes them; returns the number of lines.
fn encode_in_order(
    parsed: Receiver<Result<Batch, SearchError>>,
    free: Sender<Batch>,
    mut patterns: Option<&mut dyn Patterns>,
    fallback_ms: u64,
    out: &mut dyn Write,
) -> Result<u64, Failed> {
    let mut encoder = Encoder {
        builder: BlockBuilder::default(),
        sealed: Vec::with_capacity(WRITE_BYTES + (64 << 10)),
        seq: 1,
        last_time: fallback_ms,
    };
    let mut early = BTreeMap::new();
    let mut wanted = 0;
    for batch in parsed {
        let batch = batch.map_err(Failed::Read)?;
        early.insert(batch.unit, batch);
        while let Some(batch) = early.remove(&wanted) {
            encoder.add(&batch, patterns.as_deref_mut(), out)?;
            wanted += 1;
            // The workers may be done already; the buffer is then simply dropped.
            let _ = free.send(batch);
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
}

impl Encoder {
    fn add<'p>(
        &mut self,
        batch: &Batch,
        mut patterns: Option<&mut (dyn Patterns + 'p)>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut start = 0;
        for p in &batch.lines {
            let line = &batch.buf[start..p.end];
            let pattern = patterns
                .as_deref_mut()
                .and_then(|m| m.pattern(&String::from_utf8_lossy(trim_newline(line))));
            self.last_time = p.time.unwrap_or(self.last_time);
            self.builder.push(&Entry {
                seq: self.seq,
                offset: batch.base + start as u64,
                len: line.len() as u32,
                at: self.last_time,
                level: p.level,
                pattern,
            });
            if self.builder.len() == BLOCK_LINES {
                self.builder.seal_into(&mut self.sealed);
                if self.sealed.len() >= WRITE_BYTES {
                    out.write_all(&self.sealed)?;
                    self.sealed.clear();
                }
            }
            self.seq += 1;
            start = p.end;
        }
        Ok(())
    }
}
