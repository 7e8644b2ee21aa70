//! Building a file's sidecar on two threads: one reads, splits lines and parses their level
//! and time; the other runs the pattern miner (which sees lines one at a time, in order) and
//! encodes the blocks.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use super::super::block::{BLOCK_LINES, BlockBuilder, Entry};
use super::super::{Classify, Patterns, StoreError, at};
use super::{FileIndexSummary, SidecarHeader, mtime_ms};
use crate::logs::Level;
use crate::logs::search::{ChunkReader, SearchError, trim_newline};

/// Encoded blocks are written in pieces of about this size.
const WRITE_BYTES: usize = 1 << 20;

/// Lines of one chunk, split and parsed by the reading thread.
#[derive(Default)]
struct Batch {
    buf: Vec<u8>,
    base: u64,
    lines: Vec<Parsed>,
}

#[derive(Clone, Copy)]
struct Parsed {
    /// Where the line ends in `Batch::buf`.
    end: usize,
    at: u64,
    level: Option<Level>,
}

/// Indexes `file` into `sidecar` (replaced atomically), with `patterns` when given.
pub fn index_file(
    file: &Path,
    sidecar: &Path,
    classify: &dyn Classify,
    patterns: Option<&mut dyn Patterns>,
) -> Result<FileIndexSummary, StoreError> {
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
    let lines = two_threads(
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
        Failed::Read(e) => StoreError::from(e),
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

/// Why the two threads stopped: reading `file` or writing the sidecar.
enum Failed {
    Read(SearchError),
    Write(io::Error),
}

impl From<io::Error> for Failed {
    fn from(e: io::Error) -> Self {
        Self::Write(e)
    }
}

fn two_threads(
    data: &File,
    len: u64,
    classify: &dyn Classify,
    patterns: Option<&mut dyn Patterns>,
    fallback_ms: u64,
    out: &mut dyn Write,
) -> Result<u64, Failed> {
    let (full_tx, full_rx) = sync_channel(2);
    let (free_tx, free_rx) = channel();
    std::thread::scope(|s| {
        let reader =
            s.spawn(move || read_batches(data, len, classify, fallback_ms, full_tx, free_rx));
        let encoded = encode_batches(full_rx, free_tx, patterns, out);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("index reader panicked").into()));
        read.map_err(Failed::Read)?;
        Ok(encoded?)
    })
}

fn read_batches(
    data: &File,
    len: u64,
    classify: &dyn Classify,
    fallback_ms: u64,
    full: SyncSender<Batch>,
    free: Receiver<Batch>,
) -> Result<(), SearchError> {
    let mut chunks = ChunkReader::new(data, 0..len);
    let mut last_time = fallback_ms;
    loop {
        let mut batch = free.try_recv().unwrap_or_default();
        let Some((base, n)) = chunks.fill(&mut batch.buf)? else {
            return Ok(());
        };
        batch.base = base;
        batch.lines.clear();
        let buf = &batch.buf[..n];
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', buf).map(|i| i + 1).chain([n]) {
            if end == start {
                continue;
            }
            let text = trim_newline(&buf[start..end]);
            last_time = classify.time(text).unwrap_or(last_time);
            let level = classify.level(text);
            batch.lines.push(Parsed {
                end,
                at: last_time,
                level,
            });
            start = end;
        }
        if full.send(batch).is_err() {
            // The encoder stopped on an error; it reports it.
            return Ok(());
        }
    }
}

/// Returns the number of lines.
fn encode_batches(
    full: Receiver<Batch>,
    free: Sender<Batch>,
    mut patterns: Option<&mut dyn Patterns>,
    out: &mut dyn Write,
) -> io::Result<u64> {
    let mut builder = BlockBuilder::default();
    let mut sealed = Vec::with_capacity(WRITE_BYTES + (64 << 10));
    let mut seq = 1;
    for batch in full {
        let mut start = 0;
        for p in &batch.lines {
            let line = &batch.buf[start..p.end];
            let pattern = patterns
                .as_deref_mut()
                .and_then(|m| m.pattern(&String::from_utf8_lossy(trim_newline(line))));
            builder.push(&Entry {
                seq,
                offset: batch.base + start as u64,
                len: line.len() as u32,
                at: p.at,
                level: p.level,
                pattern,
            });
            if builder.len() == BLOCK_LINES {
                builder.seal_into(&mut sealed);
                if sealed.len() >= WRITE_BYTES {
                    out.write_all(&sealed)?;
                    sealed.clear();
                }
            }
            seq += 1;
            start = p.end;
        }
        // The reader may have finished already; the buffer is then simply dropped.
        let _ = free.send(batch);
    }
    builder.seal_into(&mut sealed);
    out.write_all(&sealed)?;
    Ok(seq - 1)
}
