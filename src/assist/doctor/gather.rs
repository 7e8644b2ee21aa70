//! Reading what the analyzers need, once per diagnosis, off the async runtime: the snapshot
//! the engine holds and the files its workers keep.

use std::path::PathBuf;

use crate::protocol::Snapshot;

use super::{Facts, filesystems, records};

/// Where the facts are: the engine's live state and its files.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub snapshot: Snapshot,
    pub heal_db: PathBuf,
    pub alerts_db: PathBuf,
    pub deploys_db: PathBuf,
    /// The metric history, when history is kept.
    pub history: Option<PathBuf>,
    pub config_db: PathBuf,
    /// The last minutes of the series analyzers read, from the metrics worker's memory.
    pub series: super::series::Series,
    /// The mined log patterns.
    pub patterns: Vec<crate::logs::PatternInfo>,
}

/// The facts as they are now. A source that cannot be read leaves its facts empty: a
/// diagnosis from what could be read beats none.
pub fn gather(sources: &Sources, now_ms: u64) -> Facts {
    let since = now_ms.saturating_sub(records::WINDOW_MS);
    Facts {
        now_ms,
        snapshot: sources.snapshot.clone(),
        series: sources.series.clone(),
        memory_limits: records::memory_limits(&sources.config_db),
        filesystems: filesystems::read(&workspace_dirs(sources), &sources.series, now_ms),
        config_changes: records::config_changes(&sources.config_db, since),
        deploys: records::deploys(&sources.deploys_db),
        heal_events: records::heal_events(&sources.heal_db, since),
        patterns: sources.patterns.clone(),
        alert_history: records::alert_history(&sources.alerts_db, since),
    }
}

/// The workspace's directory, its state directory and the captured logs in it.
fn workspace_dirs(sources: &Sources) -> Vec<(&'static str, PathBuf)> {
    let mut dirs = Vec::new();
    let file = sources
        .snapshot
        .config_file
        .as_deref()
        .map(std::path::Path::new);
    if let Some(dir) = file.and_then(std::path::Path::parent) {
        dirs.push(("workspace", dir.to_path_buf()));
    }
    if let Some(state) = sources.heal_db.parent() {
        dirs.push(("state", state.to_path_buf()));
        dirs.push(("logs", state.join("logs")));
    }
    dirs
}
