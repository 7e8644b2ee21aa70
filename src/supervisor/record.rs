//! What the engine remembers of running services in the state dir, so that the next engine
//! (after a crash or `kill -9`) adopts them instead of starting duplicates.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::procfs::process::ProcId;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    #[serde(default)]
    pub services: BTreeMap<String, ServiceRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub pane_id: String,
    pub window_id: String,
    /// The pane's process when it was started.
    #[serde(default)]
    pub root: Option<ProcId>,
    /// Unix ms of the current run's start.
    #[serde(default)]
    pub started_at: Option<u64>,
    pub instance: String,
    #[serde(default)]
    pub restarts: u32,
    #[serde(default)]
    pub user_restarts: u32,
    #[serde(default)]
    pub tracked: Vec<ProcId>,
}

impl Records {
    /// Missing or unreadable records mean "nothing to adopt from the file"; tmux and /proc
    /// are still consulted.
    pub fn load(path: &Path) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Write atomically (temp file + rename) so a crash mid-write never leaves half a file.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::paths::write_private(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("services.json");
        assert_eq!(Records::load(&path), Records::default());
        let mut records = Records::default();
        records.services.insert(
            "api".into(),
            ServiceRecord {
                pane_id: "%1".into(),
                window_id: "@1".into(),
                root: Some(ProcId {
                    pid: 42,
                    start_ticks: 7,
                }),
                started_at: Some(1000),
                instance: "x".into(),
                restarts: 2,
                user_restarts: 1,
                tracked: vec![],
            },
        );
        records.save(&path).expect("save");
        assert_eq!(Records::load(&path), records);
    }
}
