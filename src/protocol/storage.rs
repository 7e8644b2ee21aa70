//! What the engine's own files need from the user: a full disk that writes are waiting on,
//! and state files found broken at start and replaced. Kept in the snapshot
//! (`Snapshot.storage`), shown by the TUI's banner and `uc status`, read by the built-in
//! `DiskFull` rule (`disk_full`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageInfo {
    /// The workspace's state directory.
    #[serde(default)]
    pub dir: String,
    /// Set while writes to the state directory wait for space.
    #[serde(default)]
    pub disk_full: Option<DiskFull>,
    /// State files found unreadable when the engine started, moved aside and started afresh.
    #[serde(default)]
    pub replaced: Vec<ReplacedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskFull {
    /// Unix ms since when.
    pub since: u64,
    /// What waits for space, in the user's words: `log store`, `notifications`,
    /// `the file system` (nearly no space left, whoever writes next).
    pub waiting: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacedFile {
    pub file: String,
    /// Where the broken file was moved (kept for a post-mortem).
    pub moved_to: String,
    /// What was wrong with it.
    pub problem: String,
    /// Unix ms.
    pub at: u64,
}

impl StorageInfo {
    pub fn new(dir: &std::path::Path) -> Self {
        Self {
            dir: dir.display().to_string(),
            ..Self::default()
        }
    }

    /// `what` waits for space (`full`), or no longer does. Returns whether anything changed.
    pub fn set_waiting(&mut self, what: &str, full: bool, now_ms: u64) -> bool {
        match (&mut self.disk_full, full) {
            (Some(disk), true) if disk.waiting.iter().any(|w| w == what) => false,
            (Some(disk), true) => {
                disk.waiting.push(what.to_owned());
                true
            }
            (None, true) => {
                self.disk_full = Some(DiskFull {
                    since: now_ms,
                    waiting: vec![what.to_owned()],
                });
                true
            }
            (Some(disk), false) => {
                let before = disk.waiting.len();
                disk.waiting.retain(|w| w != what);
                let changed = disk.waiting.len() != before;
                if disk.waiting.is_empty() {
                    self.disk_full = None;
                }
                changed
            }
            (None, false) => false,
        }
    }

    /// One line per problem, for people (the TUI's banner, `uc status`).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(disk) = &self.disk_full {
            out.push(format!(
                "no space left in {}: {} waiting; free some space (nothing is lost meanwhile)",
                self.dir,
                disk.waiting.join(", ")
            ));
        }
        for r in &self.replaced {
            out.push(format!(
                "{} was unreadable ({}): moved to {} and started empty",
                r.file, r.problem, r.moved_to
            ));
        }
        out
    }
}

/// Whether an IO error means the disk (or the user's quota) is full.
pub fn is_full(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disk_is_full_while_anything_waits() {
        let mut info = StorageInfo::new(std::path::Path::new("/state/ws"));
        assert!(info.set_waiting("log store", true, 5));
        assert!(!info.set_waiting("log store", true, 6), "said once");
        assert!(info.set_waiting("notifications", true, 7));
        let disk = info.disk_full.clone().expect("full");
        assert_eq!((disk.since, disk.waiting.len()), (5, 2));
        assert!(info.set_waiting("log store", false, 8));
        assert!(info.disk_full.is_some(), "notifications still wait");
        assert!(info.set_waiting("notifications", false, 9));
        assert_eq!(info.disk_full, None);
        assert!(!info.set_waiting("notifications", false, 9));
    }

    #[test]
    fn full_means_no_space_or_no_quota() {
        assert!(is_full(&std::io::Error::from_raw_os_error(28)));
        assert!(is_full(&std::io::Error::from_raw_os_error(122)));
        assert!(!is_full(&std::io::Error::from_raw_os_error(13)));
    }
}
