//! One followed file: an open handle, how far it was read, and the unfinished last line.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::{FileId, Position};
use crate::logs::line::{self, MAX_LINE};

pub(super) struct Tail {
    pub source: Arc<str>,
    /// The name it was last seen under.
    pub path: PathBuf,
    pub id: FileId,
    file: File,
    /// Bytes read from the file (the handle's position).
    offset: u64,
    /// The last line, still without its newline.
    partial: Vec<u8>,
    /// When `partial` last grew.
    partial_since: Option<Instant>,
    /// Since when (or the last growth after which) its path names another file or none:
    /// it was rotated away or deleted, and is read until it has been quiet for a while.
    pub orphaned: Option<Instant>,
    /// An unfinished last line waits for its newline however long it takes.
    whole_lines: bool,
}

/// What one [`Tail::drain`] read.
pub(super) struct Drained {
    pub bytes: u64,
    /// It stopped at its budget, not at the end of the file.
    pub more: bool,
}

impl Tail {
    /// Follows `file`, opened from `path`, from `offset` (from 0 when the file is shorter:
    /// it was truncated since the offset was taken).
    pub fn open(
        source: Arc<str>,
        path: PathBuf,
        mut file: File,
        id: FileId,
        offset: u64,
    ) -> io::Result<Self> {
        let offset = if offset > file.metadata()?.len() {
            0
        } else {
            offset
        };
        file.seek(SeekFrom::Start(offset))?;
        Ok(Self {
            source,
            path,
            id,
            file,
            offset,
            partial: Vec::new(),
            partial_since: None,
            orphaned: None,
            whole_lines: false,
        })
    }

    pub fn whole_lines(self, whole_lines: bool) -> Self {
        Self {
            whole_lines,
            ..self
        }
    }

    /// Reads what was appended, up to `budget` bytes, handing `sink` each complete line. A
    /// file found shorter than what was read was truncated (copytruncate): it is read again
    /// from its start.
    pub fn drain(
        &mut self,
        buf: &mut [u8],
        budget: u64,
        sink: &mut dyn FnMut(&str, &[u8]),
    ) -> io::Result<Drained> {
        let mut bytes = self.read_some(buf, budget, sink)?;
        if bytes.bytes == 0 && self.file.metadata()?.len() < self.offset {
            self.finish_partial(sink);
            self.file.seek(SeekFrom::Start(0))?;
            self.offset = 0;
            bytes = self.read_some(buf, budget, sink)?;
        }
        Ok(bytes)
    }

    fn read_some(
        &mut self,
        buf: &mut [u8],
        budget: u64,
        sink: &mut dyn FnMut(&str, &[u8]),
    ) -> io::Result<Drained> {
        let mut bytes = 0;
        while bytes < budget {
            let n = match self.file.read(buf) {
                Ok(0) => return Ok(Drained { bytes, more: false }),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.offset += n as u64;
            bytes += n as u64;
            self.split(&buf[..n], sink);
            // A short read of a regular file stopped at its end: asking again would only
            // hear so (what is written later comes with its own change event or poll).
            if n < buf.len() {
                return Ok(Drained { bytes, more: false });
            }
        }
        Ok(Drained { bytes, more: true })
    }

    fn split(&mut self, mut data: &[u8], sink: &mut dyn FnMut(&str, &[u8])) {
        while let Some(newline) = memchr::memchr(b'\n', data) {
            if self.partial.is_empty() {
                emit(&self.source, &data[..newline], sink);
            } else {
                self.partial.extend_from_slice(&data[..newline]);
                emit(&self.source, &self.partial, sink);
                self.partial.clear();
                self.partial_since = None;
            }
            data = &data[newline + 1..];
        }
        if data.is_empty() {
            return;
        }
        self.partial.extend_from_slice(data);
        self.partial_since = Some(Instant::now());
        // A line without end never holds more than a piece in memory.
        while self.partial.len() > MAX_LINE {
            let len = line::piece_len(&self.partial);
            sink(&self.source, &self.partial[..len]);
            self.partial.drain(..len);
        }
    }

    /// Hands `sink` the unfinished last line if it has waited `grace` for its newline.
    pub fn flush_stale(
        &mut self,
        now: Instant,
        grace: std::time::Duration,
        sink: &mut dyn FnMut(&str, &[u8]),
    ) {
        if !self.whole_lines
            && self
                .partial_since
                .is_some_and(|since| now.duration_since(since) >= grace)
        {
            self.finish_partial(sink);
        }
    }

    /// Hands `sink` the unfinished last line as it is (the file ends or is replaced).
    pub fn finish_partial(&mut self, sink: &mut dyn FnMut(&str, &[u8])) {
        if !self.partial.is_empty() {
            emit(&self.source, &self.partial, sink);
            self.partial.clear();
        }
        self.partial_since = None;
    }

    /// Where a new follower should resume: before the unfinished line, so it is read whole.
    pub fn position(&self) -> Position {
        Position {
            source: self.source.to_string(),
            path: self.path.clone(),
            device: self.id.device,
            inode: self.id.inode,
            offset: self.offset - self.partial.len() as u64,
        }
    }
}

/// A line without its newline (nor a `\r` before it), in pieces when it is too long.
fn emit(source: &str, line: &[u8], sink: &mut dyn FnMut(&str, &[u8])) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() <= MAX_LINE {
        sink(source, line);
    } else {
        for piece in line::pieces(line) {
            sink(source, piece);
        }
    }
}
