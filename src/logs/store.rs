//! What the engine keeps of every ingested line (issue 5 item 7), and the same index for
//! arbitrary files (`uc logs index FILE`).
//!
//! ## On disk
//! ```text
//! <dir>/<source>/<first seq, 16 hex digits>.log   the lines, one per line, as written
//! <dir>/<source>/<first seq, 16 hex digits>.idx   their index (see `block`)
//! ```
//! A source's directory name is its name with bytes outside `[A-Za-z0-9_.-]` written `%XX`.
//! A segment is closed once it would pass `StoreLimits::segment_bytes`; the oldest closed
//! segments of a source are deleted once the source passes `max_bytes_per_source` or their
//! newest line is older than `max_age`.
//!
//! ## Sequence numbers
//! Every stored line gets the next value of one counter per store (`LogLine::seq`), kept
//! across restarts: it orders lines of all sources as they were appended, and `append`
//! returns it, so the engine can use it as its stream position and a follower knows which
//! live lines a stored query already returned.
//!
//! ## Crash safety
//! `flush` writes a source's pending lines to its segment, then their index block; a reader
//! only trusts index blocks (each checksummed) and so only lines that are fully written. At
//! `open`, the newest segment of each source is reconciled: index blocks past the segment's
//! end are dropped, lines past the index's end are indexed again (level and time parsed,
//! else the segment's modification time; no pattern), a torn last line is ended with a
//! newline. What `flush` returned from survives a crash of the process (not of the machine:
//! nothing is fsynced). A flush that fails (a full disk) cuts off what it half wrote and keeps
//! the lines pending for the next one: nothing `append` accepted is dropped.

mod block;
mod file_index;
mod reader;
mod recover;
mod scan;
mod segment;
mod select;
mod writer;

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::logs::Level;
use crate::logs::search::SearchError;

pub use file_index::{
    FileIndexSummary, FileLine, count_file, index_file, search_file, sidecar_path,
};
pub use reader::{MinuteCounts, SourceMinutes, StoreReader};
pub use writer::LogStore;

/// What the store and the file index ask of the line parsers (`logs::line`). Called from
/// several threads at once.
pub trait Classify: Sync {
    fn level(&self, line: &[u8]) -> Option<Level>;
    /// Unix ms of the time the line carries, if any.
    fn time(&self, line: &[u8]) -> Option<u64>;
}

/// What the file index asks of the pattern miner (`logs::mine`): one line at a time, in order.
pub trait Patterns: Send {
    fn pattern(&mut self, line: &str) -> Option<u32>;
    /// The template pattern `id` has now (widened, or the pattern it was merged into);
    /// `None` once it is gone. Mining it again gives the pattern (see [`NewPatterns`]).
    fn template(&self, id: u32) -> Option<String>;
}

/// Makes an empty miner: the file index mines each part of a file with its own, then
/// merges their patterns by mining each part's templates, in file order, with one more.
pub type NewPatterns<'a> = &'a (dyn Fn() -> Box<dyn Patterns> + Sync);

/// How much a store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// A segment is closed before it grows past this.
    pub segment_bytes: u64,
    /// Lines and index of one source together; the oldest segments go first.
    pub max_bytes_per_source: u64,
    /// Segments whose newest line is older than this are deleted.
    pub max_age: Duration,
    /// Every source together (`quotas.log_retention`): past it, the oldest closed segment
    /// of any source goes first.
    pub max_bytes_total: Option<u64>,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            segment_bytes: 32 << 20,
            max_bytes_per_source: 256 << 20,
            max_age: Duration::from_secs(7 * 24 * 3600),
            max_bytes_total: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogStoreError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("--pattern needs the file's index: run `uc logs index {}` first", .0.display())]
    NoIndex(PathBuf),
}

/// Maps an IO error to one naming `path`.
fn at(path: &Path) -> impl FnOnce(io::Error) -> LogStoreError + '_ {
    move |source| LogStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}
