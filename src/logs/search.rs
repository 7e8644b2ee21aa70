//! Fast line search in big files, with ripgrep's own searcher: regex literal prefilters over
//! large buffers instead of a line at a time. Files are read with `pread` in chunks that end at
//! a line boundary (no memory maps: `unsafe` is forbidden here), so counting splits a file
//! between threads and a store reader scans a segment while the engine appends to it.

mod chunks;

use std::fs::File;
use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use grep_matcher::Matcher;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{Searcher, SearcherBuilder, Sink, SinkMatch};

pub use chunks::{ChunkReader, line_start_at_or_after};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("bad regex: {0}")]
    Regex(#[from] grep_regex::Error),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A compiled `--grep` regex; it never matches across a newline.
#[derive(Debug, Clone)]
pub struct Grep {
    matcher: RegexMatcher,
}

impl Grep {
    pub fn new(pattern: &str) -> Result<Self, SearchError> {
        let matcher = RegexMatcherBuilder::new()
            .line_terminator(Some(b'\n'))
            .build(pattern)?;
        Ok(Self { matcher })
    }

    /// Whether one line (with or without its newline) matches.
    pub fn is_match(&self, line: &[u8]) -> bool {
        self.matcher.is_match(line).unwrap_or(false)
    }
}

/// Bytes each counting task takes at a time: big enough that a task's overhead (one aligning
/// read, one search setup) is noise, small enough that two threads finish together.
const COUNT_UNIT: u64 = 16 << 20;

/// How many lines of `range` in `file` match.
pub fn count(file: &File, range: Range<u64>, grep: &Grep) -> Result<u64, SearchError> {
    let units = range.end.saturating_sub(range.start).div_ceil(COUNT_UNIT) as usize;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(units);
    if threads <= 1 {
        return count_range(file, range, grep);
    }
    let next = AtomicUsize::new(0);
    let total = AtomicU64::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| count_units(file, &range, grep, &next, &total)))
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| Err(io::Error::other("search thread panicked").into()))
        })
    })?;
    Ok(total.into_inner())
}

fn count_units(
    file: &File,
    range: &Range<u64>,
    grep: &Grep,
    next: &AtomicUsize,
    total: &AtomicU64,
) -> Result<(), SearchError> {
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed) as u64;
        let from = range.start + i * COUNT_UNIT;
        if from >= range.end {
            return Ok(());
        }
        let to = (from + COUNT_UNIT).min(range.end);
        let start = line_start_at_or_after(file, from, range)?;
        let end = line_start_at_or_after(file, to, range)?;
        if start < end {
            total.fetch_add(count_range(file, start..end, grep)?, Ordering::Relaxed);
        }
    }
}

fn count_range(file: &File, range: Range<u64>, grep: &Grep) -> Result<u64, SearchError> {
    let mut n = 0;
    each_match(file, range, grep, |_, _| {
        n += 1;
        true
    })?;
    Ok(n)
}

/// Calls `f(offset, line)` for each matching line of `range` (which starts at a line start),
/// in order, until it returns false. `line` keeps its newline.
pub fn each_match(
    file: &File,
    range: Range<u64>,
    grep: &Grep,
    mut f: impl FnMut(u64, &[u8]) -> bool,
) -> Result<(), SearchError> {
    let mut searcher = SearcherBuilder::new().line_number(false).build();
    let mut reader = ChunkReader::new(file, range);
    let mut buf = Vec::new();
    while let Some((base, len)) = reader.fill(&mut buf)? {
        let mut sink = Matches {
            base,
            f: &mut f,
            stopped: false,
        };
        searcher.search_slice(&grep.matcher, &buf[..len], &mut sink)?;
        if sink.stopped {
            break;
        }
    }
    Ok(())
}

struct Matches<'f, F> {
    base: u64,
    f: &'f mut F,
    stopped: bool,
}

impl<F: FnMut(u64, &[u8]) -> bool> Sink for Matches<'_, F> {
    type Error = io::Error;

    fn matched(&mut self, _: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, io::Error> {
        let go_on = (self.f)(self.base + mat.absolute_byte_offset(), mat.bytes());
        self.stopped = !go_on;
        Ok(go_on)
    }
}

/// Calls `f(offset, line)` for every line of `range`, in order, until it returns false.
pub fn each_line(
    file: &File,
    range: Range<u64>,
    mut f: impl FnMut(u64, &[u8]) -> bool,
) -> Result<(), SearchError> {
    let mut reader = ChunkReader::new(file, range);
    let mut buf = Vec::new();
    while let Some((base, len)) = reader.fill(&mut buf)? {
        let buf = &buf[..len];
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', buf).map(|i| i + 1).chain([len]) {
            if end > start && !f(base + start as u64, &buf[start..end]) {
                return Ok(());
            }
            start = end;
        }
    }
    Ok(())
}

/// A line without its line terminator.
pub fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A file of `n` lines crossing chunk and counting-unit boundaries, one of them longer
    /// than a chunk, the last without its newline.
    fn sample(n: usize) -> (tempfile::NamedTempFile, Vec<Vec<u8>>) {
        let mut lines = Vec::with_capacity(n);
        for i in 0..n {
            let mut line = format!(
                "{i:09} level={} status={} padding to make lines longer",
                ["INFO", "ERROR"][(i % 13 == 0) as usize],
                200 + i % 400
            )
            .into_bytes();
            if i == n / 3 {
                line.extend(std::iter::repeat_n(b'x', 9 << 20));
                line.extend_from_slice(b" ERROR at the end");
            }
            lines.push(line);
        }
        let mut f = tempfile::NamedTempFile::new().unwrap();
        for (i, line) in lines.iter().enumerate() {
            f.write_all(line).unwrap();
            if i + 1 < n {
                f.write_all(b"\n").unwrap();
            }
        }
        (f, lines)
    }

    #[test]
    fn counts_and_matches_agree_with_a_line_by_line_regex() {
        let (f, lines) = sample(700_000);
        let file = File::open(f.path()).unwrap();
        let len = file.metadata().unwrap().len();
        assert!(len > 2 * COUNT_UNIT, "spans several counting units");
        let starts: Vec<u64> = lines
            .iter()
            .scan(0, |at, l| {
                let here = *at;
                *at += l.len() as u64 + 1;
                Some(here)
            })
            .collect();
        for pattern in [
            "ERROR",
            "status=5[0-9]{2}",
            "^0000000[0-9]{2} ",
            "ERROR at the end$",
            "nothing",
        ] {
            let re = regex::bytes::Regex::new(pattern).unwrap();
            let want: Vec<usize> = (0..lines.len())
                .filter(|&i| re.is_match(&lines[i]))
                .collect();
            let grep = Grep::new(pattern).unwrap();
            assert_eq!(
                count(&file, 0..len, &grep).unwrap(),
                want.len() as u64,
                "{pattern}"
            );
            let mut got = Vec::new();
            each_match(&file, 0..len, &grep, |offset, line| {
                got.push((offset, trim_newline(line).to_vec()));
                true
            })
            .unwrap();
            assert_eq!(got.len(), want.len(), "{pattern}");
            for ((offset, line), &i) in got.iter().zip(&want) {
                assert_eq!(line, &lines[i], "{pattern}");
                assert_eq!(*offset, starts[i], "{pattern}");
            }
        }
    }

    #[test]
    fn every_line_is_visited_once_and_a_range_starts_mid_file() {
        let (f, lines) = sample(300_000);
        let file = File::open(f.path()).unwrap();
        let len = file.metadata().unwrap().len();
        let mut seen = 0;
        each_line(&file, 0..len, |_, line| {
            assert_eq!(trim_newline(line), &lines[seen][..]);
            seen += 1;
            true
        })
        .unwrap();
        assert_eq!(seen, lines.len());
        let start = line_start_at_or_after(&file, 1_000_000, &(0..len)).unwrap();
        let mut at = 0;
        let first = lines
            .iter()
            .position(|l| {
                let here = at;
                at += l.len() as u64 + 1;
                here >= 1_000_000
            })
            .unwrap();
        let mut from_start = Vec::new();
        each_line(&file, start..len, |_, line| {
            from_start.push(trim_newline(line).to_vec());
            from_start.len() < 2
        })
        .unwrap();
        assert_eq!(from_start.len(), 2, "stops when asked");
        assert_eq!(from_start[0], lines[first]);
    }

    #[test]
    fn a_bad_regex_is_an_error() {
        assert!(matches!(Grep::new("(unclosed"), Err(SearchError::Regex(_))));
    }
}
