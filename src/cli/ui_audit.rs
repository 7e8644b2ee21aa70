//! The TUI's audit reads: the workspace's newest records from the engine (`GET
//! /api/v1/audit`, which merges `uc serve`'s lines about it), and the check of the files
//! they come from, as `uc audit verify` does it; in a task of their own.

use std::path::PathBuf;

use tokio::sync::mpsc;

use crate::client::Client;
use crate::paths::Paths;
use crate::store::audit::chain;
use crate::tui::Update;
use crate::tui::audit::{AuditRead, ChainCheck, KEPT};

/// The workspace's `audit.jsonl` and `uc serve`'s.
#[derive(Debug, Clone)]
pub struct Files(Vec<PathBuf>);

impl Files {
    pub fn of(paths: &Paths) -> Self {
        let own = paths.audit_log();
        let serve = (paths.dir.parent()).map(|base| base.join(".serve").join("audit.jsonl"));
        Self(serve.into_iter().chain([own]).collect())
    }

    /// Each file's check; one that does not exist yet has nothing to check.
    fn check(&self) -> Vec<ChainCheck> {
        let name = |file: &PathBuf| file.display().to_string();
        (self.0.iter())
            .filter_map(|file| match chain::verify(file) {
                Ok(Ok(lines)) => Some(ChainCheck::Intact {
                    file: name(file),
                    lines,
                }),
                Ok(Err(at)) => Some(ChainCheck::Broken(at.to_string())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => Some(ChainCheck::Unknown {
                    file: name(file),
                    error: e.to_string(),
                }),
            })
            .collect()
    }
}

pub fn read(client: &Client, files: &Files, updates: mpsc::UnboundedSender<Update>) {
    let (client, files) = (client.clone(), files.clone());
    tokio::spawn(async move {
        let records = client.audit(Some(KEPT)).await.map_err(|e| e.to_string());
        let checks = tokio::task::spawn_blocking(move || files.check())
            .await
            .unwrap_or_default();
        let _ = updates.send(Update::Audit(AuditRead { records, checks }));
    });
}
