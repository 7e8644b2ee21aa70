//! Reading the record back: one workspace's (or every) `audit.jsonl`, with the rows of the
//! SQLite `audit.db` kept before it, filtered and merged by time.

use std::path::{Path, PathBuf};

use super::{AuditLog, AuditRecord, chain};

/// Where one party keeps its record: an engine's state dir, or `uc serve`'s.
#[derive(Debug, Clone)]
pub struct AuditFiles {
    pub chain: PathBuf,
    pub legacy: PathBuf,
}

impl AuditFiles {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            chain: dir.join("audit.jsonl"),
            legacy: dir.join("audit.db"),
        }
    }

    /// The chain's records, with the old SQLite file's before them.
    pub fn read(&self) -> std::io::Result<Vec<AuditRecord>> {
        let mut records = Vec::new();
        if self.legacy.exists() {
            let old = AuditLog::open_read_only(&self.legacy)
                .and_then(|log| log.since(0))
                .map_err(std::io::Error::other)?;
            records.extend(old.into_iter().map(AuditRecord::from));
        }
        match chain::read(&self.chain) {
            Ok(chained) => records.extend(chained),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(records)
    }
}

/// Which records to show.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Unix ms; older ones are left out.
    pub since: u64,
    pub actor: Option<String>,
    pub workspace: Option<String>,
    /// The newest this many.
    pub limit: Option<usize>,
}

impl AuditQuery {
    /// The records of `files` this query asks for, oldest first.
    pub fn run(&self, files: &[AuditFiles]) -> std::io::Result<Vec<AuditRecord>> {
        let mut records = Vec::new();
        for files in files {
            records.extend(files.read()?);
        }
        records.retain(|r| {
            r.at_ms() >= self.since
                && self.actor.as_ref().is_none_or(|a| *a == r.actor)
                && self
                    .workspace
                    .as_ref()
                    .is_none_or(|w| r.workspace.as_ref() == Some(w))
        });
        records.sort_by_key(AuditRecord::at_ms);
        if let Some(limit) = self.limit {
            records.drain(..records.len().saturating_sub(limit));
        }
        Ok(records)
    }
}
