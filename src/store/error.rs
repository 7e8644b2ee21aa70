//! Every store error names the database file: a user with several workspaces needs to know
//! which one is broken.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[error("{}: {fault}", path.display())]
pub struct StoreError {
    pub path: PathBuf,
    #[source]
    pub fault: Fault,
}

/// What went wrong, without the path.
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    #[error("cannot create its directory: {0}")]
    Dir(#[source] std::io::Error),
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("schema version {found} is newer than this uc knows ({known}); use a newer uc")]
    TooNew { found: i64, known: i64 },
    #[error("schema version {found}, expected {known}; the writer upgrades it when it opens")]
    Outdated { found: i64, known: i64 },
    #[error("journal mode is `{0}`, not WAL; the filesystem may not support it")]
    NoWal(String),
    #[error(
        "more than {} series; the raw tier numbers them with 16 bits",
        u16::MAX
    )]
    TooManySeries,
    #[error("cannot encode a row: {0}")]
    Encode(#[from] serde_json::Error),
}

impl StoreError {
    /// Whether it failed for lack of space (the disk or the user's quota is full).
    pub fn is_disk_full(&self) -> bool {
        match &self.fault {
            Fault::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            Fault::Dir(e) => crate::protocol::is_full(e),
            _ => false,
        }
    }

    pub(super) fn at(path: &std::path::Path) -> impl Fn(Fault) -> Self + '_ {
        move |fault| Self {
            path: path.to_path_buf(),
            fault,
        }
    }
}
