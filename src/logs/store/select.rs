//! Picking lines out of one indexed file: a store segment, or a file with its sidecar index.
//! The index answers level, pattern and time filters; a regex is run over the lines' text with
//! the fast searcher, restricted to the blocks the index keeps.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::block::{Block, Entry, Header};
use crate::logs::search::{self, Grep, SearchError};
use crate::logs::{Level, LogQuery};

/// Lines this far apart or closer are read with one system call.
const MAX_GAP: u64 = 64 << 10;
/// The most one read takes (unless one line is longer).
const MAX_READ: u64 = 4 << 20;

/// A query's filters, the regex compiled.
#[derive(Debug, Clone)]
pub struct Filter {
    pub level: Option<Level>,
    pub pattern: Option<u32>,
    pub since: Option<u64>,
    pub grep: Option<Grep>,
}

impl Filter {
    pub fn new(q: &LogQuery) -> Result<Self, SearchError> {
        Ok(Self {
            level: q.level,
            pattern: q.pattern,
            since: q.since,
            grep: q.grep.as_deref().map(Grep::new).transpose()?,
        })
    }

    /// Whether a filter other than the regex is set: only those need an index.
    pub fn uses_index(&self) -> bool {
        self.level.is_some() || self.pattern.is_some() || self.since.is_some()
    }

    pub fn keeps_block(&self, h: &Header) -> bool {
        self.since.is_none_or(|s| h.max_time >= s)
            && self.level.is_none_or(|l| h.has_level_at_least(l))
    }

    /// Level, time and pattern (not the regex).
    pub fn keeps(&self, at: u64, level: Option<Level>, pattern: Option<u32>) -> bool {
        self.since.is_none_or(|s| at >= s)
            && self.level.is_none_or(|min| level.is_some_and(|l| l >= min))
            && self.pattern.is_none_or(|p| pattern == Some(p))
    }
}

/// The entries the index keeps, in order (the regex not applied).
pub fn kept<'a>(blocks: &'a [Block<'a>], filter: &'a Filter) -> impl Iterator<Item = Entry> + 'a {
    blocks
        .iter()
        .filter(|b| filter.keeps_block(&b.header))
        .flat_map(Block::entries)
        .filter(|e| filter.keeps(e.at, e.level, e.pattern))
}

/// Calls `f(entry, line)` (the line with its newline) for each line kept, in order, until it
/// returns false; returns whether it went to the end.
pub fn visit(
    data: &File,
    blocks: &[Block<'_>],
    filter: &Filter,
    f: &mut dyn FnMut(&Entry, &[u8]) -> bool,
) -> Result<bool, SearchError> {
    match &filter.grep {
        None => Ok(read_entries(data, kept(blocks, filter), f)?),
        Some(grep) => grep_entries(data, blocks, filter, grep, f),
    }
}

/// Like [`visit`], for the newest `n` lines kept only.
pub fn visit_newest(
    data: &File,
    blocks: &[Block<'_>],
    filter: &Filter,
    n: usize,
    f: &mut dyn FnMut(&Entry, &[u8]) -> bool,
) -> Result<bool, SearchError> {
    if n == 0 {
        return Ok(true);
    }
    if filter.grep.is_none() {
        let skip = kept(blocks, filter).count().saturating_sub(n);
        return Ok(read_entries(data, kept(blocks, filter).skip(skip), f)?);
    }
    let mut newest = VecDeque::new();
    visit(data, blocks, filter, &mut |e, line| {
        if newest.len() == n {
            newest.pop_front();
        }
        newest.push_back((*e, line.to_vec()));
        true
    })?;
    Ok(newest.iter().all(|(e, line)| f(e, line)))
}

/// How many lines are kept; from the index alone unless there is a regex.
pub fn count(data: &File, blocks: &[Block<'_>], filter: &Filter) -> Result<u64, SearchError> {
    match &filter.grep {
        None => Ok(kept(blocks, filter).count() as u64),
        Some(grep) if !filter.uses_index() => {
            let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
                return Ok(0);
            };
            search::count(data, first.header.start..last.header.end(), grep)
        }
        Some(_) => {
            let mut n = 0;
            visit(data, blocks, filter, &mut |_, _| {
                n += 1;
                true
            })?;
            Ok(n)
        }
    }
}

/// Searches the span of the blocks kept, then keeps the matches whose entry passes.
fn grep_entries(
    data: &File,
    blocks: &[Block<'_>],
    filter: &Filter,
    grep: &Grep,
    f: &mut dyn FnMut(&Entry, &[u8]) -> bool,
) -> Result<bool, SearchError> {
    let kept_blocks: Vec<&Block<'_>> = blocks
        .iter()
        .filter(|b| filter.keeps_block(&b.header))
        .collect();
    let (Some(first), Some(last)) = (kept_blocks.first(), kept_blocks.last()) else {
        return Ok(true);
    };
    let mut entries = kept_blocks.iter().flat_map(|b| b.entries()).peekable();
    let mut go_on = true;
    search::each_match(
        data,
        first.header.start..last.header.end(),
        grep,
        |offset, line| {
            while entries.next_if(|e| e.offset < offset).is_some() {}
            if let Some(e) = entries.next_if(|e| e.offset == offset)
                && filter.keeps(e.at, e.level, e.pattern)
            {
                go_on = f(&e, line);
            }
            go_on
        },
    )?;
    Ok(go_on)
}

/// Reads the entries' lines, nearby ones with one read.
fn read_entries(
    data: &File,
    entries: impl Iterator<Item = Entry>,
    f: &mut dyn FnMut(&Entry, &[u8]) -> bool,
) -> io::Result<bool> {
    let mut group: Vec<Entry> = Vec::new();
    let mut buf = Vec::new();
    for e in entries {
        if let (Some(first), Some(last)) = (group.first(), group.last()) {
            let gap = e.offset.saturating_sub(last.offset + u64::from(last.len));
            let span = e.offset + u64::from(e.len) - first.offset;
            if gap > MAX_GAP || span > MAX_READ {
                if !read_group(data, &group, &mut buf, f)? {
                    return Ok(false);
                }
                group.clear();
            }
        }
        group.push(e);
    }
    read_group(data, &group, &mut buf, f)
}

fn read_group(
    data: &File,
    group: &[Entry],
    buf: &mut Vec<u8>,
    f: &mut dyn FnMut(&Entry, &[u8]) -> bool,
) -> io::Result<bool> {
    let (Some(first), Some(last)) = (group.first(), group.last()) else {
        return Ok(true);
    };
    let start = first.offset;
    let len = (last.offset + u64::from(last.len) - start) as usize;
    if buf.len() < len {
        buf.resize(len, 0);
    }
    data.read_exact_at(&mut buf[..len], start)?;
    for e in group {
        let from = (e.offset - start) as usize;
        if !f(e, &buf[from..from + e.len as usize]) {
            return Ok(false);
        }
    }
    Ok(true)
}
