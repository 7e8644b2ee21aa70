//! Reading what the analyzers need, once per diagnosis, off the async runtime: the snapshot
//! the engine holds and the files its workers keep.

use std::path::PathBuf;

use crate::protocol::Snapshot;

use super::Facts;

/// Where the facts are: the engine's live state and its files.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub snapshot: Snapshot,
    pub heal_db: PathBuf,
    pub alerts_db: PathBuf,
    pub deploys_db: PathBuf,
    /// The metric history, when history is kept.
    pub history: Option<PathBuf>,
}

/// The facts as they are now. A source that cannot be read leaves its facts empty: a
/// diagnosis from what could be read beats none.
pub fn gather(sources: &Sources, now_ms: u64) -> Facts {
    Facts {
        now_ms,
        snapshot: sources.snapshot.clone(),
    }
}
