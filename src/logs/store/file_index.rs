//! The same per-line index for any file (`uc logs index FILE`), kept as a sidecar, and
//! searching a plain file with it when it is fresh (or without it).
//!
//! A sidecar lives in `<state>/file-index/<hash of the canonical path>-<inode>.idx`
//! (`<state>`: `UC_STATE_DIR`, else `$XDG_STATE_HOME/uc`, else `~/.local/state/uc`): one JSON
//! line saying which file, inode, size and modification time it describes, then the blocks.
//! It is used only while the file still has that inode, size and time. Sequence numbers in a
//! file index are line numbers (from 1); a line without a time of its own gets the time of
//! the line before it (the file's modification time before the first time).

mod build;

use std::collections::VecDeque;
use std::fs::{File, Metadata};
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::block;
use super::select::{self, Filter};
use super::{Classify, LogStoreError, at};
use crate::logs::search::{self, trim_newline};
use crate::logs::{Level, LogQuery};

pub use build::index_file;

/// What `uc logs index` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIndexSummary {
    pub lines: u64,
    /// Size of the sidecar (header included).
    pub index_bytes: u64,
    pub sidecar: PathBuf,
}

/// A line of a plain file, as a search yields it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLine<'a> {
    /// Byte offset in the file.
    pub offset: u64,
    /// Unix ms (see the module docs); 0 when neither the line nor the ones before carry a time.
    pub at: u64,
    pub level: Option<Level>,
    pub pattern: Option<u32>,
    /// Without its newline.
    pub text: &'a [u8],
}

/// Which file a sidecar describes, as it was when indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SidecarHeader {
    version: u32,
    path: PathBuf,
    inode: u64,
    size: u64,
    mtime_ns: i128,
}

const VERSION: u32 = 1;

impl SidecarHeader {
    fn of(path: PathBuf, meta: &Metadata) -> Self {
        Self {
            version: VERSION,
            path,
            inode: meta.ino(),
            size: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        }
    }
}

/// Where the sidecar index of `file` lives under `state_base`.
pub fn sidecar_path(state_base: &Path, file: &Path) -> Result<PathBuf, LogStoreError> {
    let canonical = std::fs::canonicalize(file).map_err(at(file))?;
    let inode = std::fs::metadata(&canonical).map_err(at(file))?.ino();
    let hash = canonical
        .as_os_str()
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    Ok(state_base
        .join("file-index")
        .join(format!("{hash:016x}-{inode}.idx")))
}

/// The blocks of `sidecar` if it describes `meta`'s file as it is now.
fn load_fresh(sidecar: &Path, meta: &Metadata) -> Result<Option<Vec<u8>>, LogStoreError> {
    let file = match File::open(sidecar) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(at(sidecar)(e)),
    };
    let mut reader = BufReader::new(file);
    let mut first = String::new();
    reader.read_line(&mut first).map_err(at(sidecar))?;
    let Ok(header) = serde_json::from_str::<SidecarHeader>(&first) else {
        return Ok(None);
    };
    let now = SidecarHeader::of(header.path.clone(), meta);
    if header != now {
        return Ok(None);
    }
    let mut blocks = Vec::new();
    reader.read_to_end(&mut blocks).map_err(at(sidecar))?;
    Ok(Some(blocks))
}

/// Calls `f` for each line of `path` that `q` keeps, in order (the newest `q.limit` only),
/// until it returns false. Level, time and pattern come from the fresh sidecar index when
/// there is one (a pattern filter needs it), else from `classify`.
pub fn search_file(
    path: &Path,
    q: &LogQuery,
    sidecar: &Path,
    classify: &dyn Classify,
    f: &mut dyn FnMut(&FileLine<'_>) -> bool,
) -> Result<(), LogStoreError> {
    let filter = Filter::new(q)?;
    let (file, meta) = open(path)?;
    if filter.uses_index()
        && let Some(bytes) = load_fresh(sidecar, &meta)?
    {
        let (blocks, _) = block::parse(&bytes);
        let mut g = |e: &block::Entry, line: &[u8]| {
            f(&FileLine {
                offset: e.offset,
                at: e.at,
                level: e.level,
                pattern: e.pattern,
                text: trim_newline(line),
            })
        };
        match q.limit {
            Some(n) => select::visit_newest(&file, &blocks, &filter, n, &mut g),
            None => select::visit(&file, &blocks, &filter, &mut g),
        }?;
        return Ok(());
    }
    if filter.pattern.is_some() {
        return Err(LogStoreError::NoIndex(path.to_path_buf()));
    }
    let fallback = mtime_ms(&meta);
    match q.limit {
        None => scan(&file, meta.len(), &filter, classify, fallback, f),
        Some(n) => {
            let mut newest = VecDeque::new();
            scan(&file, meta.len(), &filter, classify, fallback, &mut |l| {
                if newest.len() == n {
                    newest.pop_front();
                }
                newest.push_back((l.offset, l.at, l.level, l.text.to_vec()));
                true
            })?;
            for (offset, at, level, text) in &newest {
                let line = FileLine {
                    offset: *offset,
                    at: *at,
                    level: *level,
                    pattern: None,
                    text,
                };
                if !f(&line) {
                    break;
                }
            }
            Ok(())
        }
    }
}

/// How many lines of `path` `q` keeps (`limit` ignored): the regex alone is counted by the
/// parallel searcher, the index's filters from a fresh sidecar without reading the file.
pub fn count_file(
    path: &Path,
    q: &LogQuery,
    sidecar: &Path,
    classify: &dyn Classify,
) -> Result<u64, LogStoreError> {
    let filter = Filter::new(q)?;
    let (file, meta) = open(path)?;
    if !filter.uses_index()
        && let Some(grep) = &filter.grep
    {
        return Ok(search::count(&file, 0..meta.len(), grep)?);
    }
    if filter.uses_index()
        && let Some(bytes) = load_fresh(sidecar, &meta)?
    {
        let (blocks, _) = block::parse(&bytes);
        return Ok(select::count(&file, &blocks, &filter)?);
    }
    let mut n = 0;
    let q = LogQuery {
        limit: None,
        ..q.clone()
    };
    search_file(path, &q, sidecar, classify, &mut |_| {
        n += 1;
        true
    })?;
    Ok(n)
}

fn open(path: &Path) -> Result<(File, Metadata), LogStoreError> {
    let file = File::open(path).map_err(at(path))?;
    let meta = file.metadata().map_err(at(path))?;
    Ok((file, meta))
}

/// Every line classified on the way. A line without a time takes the one before it; with a
/// time filter every line is read for that, else a regex picks the lines first.
fn scan(
    file: &File,
    len: u64,
    filter: &Filter,
    classify: &dyn Classify,
    fallback_ms: u64,
    f: &mut dyn FnMut(&FileLine<'_>) -> bool,
) -> Result<(), LogStoreError> {
    let every_line = filter.since.is_some();
    let mut last_time = fallback_ms;
    let mut visit = |offset: u64, line: &[u8]| {
        let text = trim_newline(line);
        last_time = classify.time(text).unwrap_or(last_time);
        let level = classify.level(text);
        let grep_ok = || !every_line || filter.grep.as_ref().is_none_or(|g| g.is_match(text));
        if !filter.keeps(last_time, level, None) || !grep_ok() {
            return true;
        }
        f(&FileLine {
            offset,
            at: last_time,
            level,
            pattern: None,
            text,
        })
    };
    match &filter.grep {
        Some(grep) if !every_line => search::each_match(file, 0..len, grep, &mut visit)?,
        _ => search::each_line(file, 0..len, &mut visit)?,
    }
    Ok(())
}

pub(super) fn mtime_ms(meta: &Metadata) -> u64 {
    (meta.mtime().max(0) as u64) * 1000 + (meta.mtime_nsec().max(0) as u64) / 1_000_000
}
