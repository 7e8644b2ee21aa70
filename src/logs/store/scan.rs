//! Every stored line a query keeps, oldest first, read as it is asked for (what
//! `uc logs --since 30d` streams). Sources are merged by sequence number; each holds the
//! index of its current segment, the kept entries of one block and at most [`READ_AHEAD`]
//! bytes of lines, so memory does not grow with the store.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::block::{self, Entry};
use super::segment::{self, SegmentPaths};
use super::select::{self, Filter};
use super::{LogStoreError, at};
use crate::logs::LogLine;
use crate::logs::search::trim_newline;

/// Lines read from a segment at a time (one line more when it is longer).
const READ_AHEAD: u64 = 256 << 10;
/// Lines this far apart or closer are read with one system call.
const MAX_GAP: u64 = 64 << 10;

pub struct Scan {
    cursors: Vec<Cursor>,
    filter: Filter,
}

impl Scan {
    /// `sources`: (name, directory) of each source to read.
    pub fn new(sources: Vec<(String, PathBuf)>, filter: Filter) -> Result<Self, LogStoreError> {
        let mut cursors = Vec::with_capacity(sources.len());
        for (source, dir) in sources {
            cursors.push(Cursor {
                source,
                segments: segment::list(&dir).map_err(at(&dir))?.into(),
                segment: None,
                entries: VecDeque::new(),
                lines: VecDeque::new(),
            });
        }
        Ok(Self { cursors, filter })
    }

    /// The next line, by sequence number; `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<LogLine>, LogStoreError> {
        let mut first: Option<(u64, usize)> = None;
        for (i, cursor) in self.cursors.iter_mut().enumerate() {
            if let Some(seq) = cursor.head(&self.filter)?
                && first.is_none_or(|(s, _)| seq < s)
            {
                first = Some((seq, i));
            }
        }
        match first {
            Some((_, i)) => self.cursors[i].take(),
            None => Ok(None),
        }
    }
}

/// Where one source is read.
struct Cursor {
    source: String,
    /// Segments not opened yet, oldest first.
    segments: VecDeque<SegmentPaths>,
    segment: Option<Segment>,
    /// Entries of the current block the filter keeps, not read yet.
    entries: VecDeque<Entry>,
    /// Lines read, not taken yet.
    lines: VecDeque<LogLine>,
}

struct Segment {
    paths: SegmentPaths,
    data: File,
    idx: Vec<u8>,
    /// Byte ranges in `idx` of the blocks the filter may keep, and the next to read.
    blocks: Vec<(usize, usize)>,
    next: usize,
}

impl Segment {
    /// `None` when retention deleted it meanwhile.
    fn open(paths: SegmentPaths, filter: &Filter) -> Result<Option<Self>, LogStoreError> {
        let idx = match std::fs::read(&paths.idx) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(at(&paths.idx)(e)),
        };
        let data = match File::open(&paths.log) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(at(&paths.log)(e)),
        };
        let mut blocks = Vec::new();
        let mut start = 0;
        for block in block::parse(&idx).0 {
            if filter.keeps_block(&block.header) {
                blocks.push((start, block.end));
            }
            start = block.end;
        }
        Ok(Some(Self {
            paths,
            data,
            idx,
            blocks,
            next: 0,
        }))
    }
}

impl Cursor {
    /// The sequence number of the next line kept, loading entries as needed.
    fn head(&mut self, filter: &Filter) -> Result<Option<u64>, LogStoreError> {
        if let Some(line) = self.lines.front() {
            return Ok(Some(line.seq));
        }
        self.load_entries(filter)?;
        Ok(self.entries.front().map(|e| e.seq))
    }

    /// The next line; [`Cursor::head`] said there is one.
    fn take(&mut self) -> Result<Option<LogLine>, LogStoreError> {
        if self.lines.is_empty() {
            self.read_lines()?;
        }
        Ok(self.lines.pop_front())
    }

    /// Fills `entries` from the next block that keeps any, unless the source is done.
    fn load_entries(&mut self, filter: &Filter) -> Result<(), LogStoreError> {
        while self.entries.is_empty() {
            let Some(segment) = self.segment.as_mut() else {
                let Some(paths) = self.segments.pop_front() else {
                    return Ok(());
                };
                self.segment = Segment::open(paths, filter)?;
                continue;
            };
            let Some(&(start, end)) = segment.blocks.get(segment.next) else {
                self.segment = None;
                continue;
            };
            segment.next += 1;
            let (blocks, _) = block::parse(&segment.idx[start..end]);
            match &filter.grep {
                None => self.entries.extend(select::kept(&blocks, filter)),
                Some(_) => {
                    let entries = &mut self.entries;
                    select::visit(&segment.data, &blocks, filter, &mut |e, _| {
                        entries.push_back(*e);
                        true
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Reads the lines of the next entries, nearby ones with one read, up to
    /// [`READ_AHEAD`] bytes.
    fn read_lines(&mut self) -> Result<(), LogStoreError> {
        let Some(segment) = &self.segment else {
            return Ok(());
        };
        let Some(first) = self.entries.front().copied() else {
            return Ok(());
        };
        let mut count = 0;
        let mut end = first.offset;
        for e in &self.entries {
            let span = e.offset + u64::from(e.len) - first.offset;
            if count > 0 && (e.offset.saturating_sub(end) > MAX_GAP || span > READ_AHEAD) {
                break;
            }
            end = e.offset + u64::from(e.len);
            count += 1;
        }
        let mut buf = vec![0; usize::try_from(end - first.offset).unwrap_or(0)];
        segment
            .data
            .read_exact_at(&mut buf, first.offset)
            .map_err(at(&segment.paths.log))?;
        for e in self.entries.drain(..count) {
            let from = usize::try_from(e.offset - first.offset).unwrap_or(0);
            let line = &buf[from..from + e.len as usize];
            self.lines.push_back(LogLine {
                seq: e.seq,
                at: e.at,
                source: self.source.clone(),
                level: e.level,
                pattern: e.pattern,
                text: crate::logs::line::text(trim_newline(line)).into_owned(),
                header: None,
                continues: false,
            });
        }
        Ok(())
    }
}
