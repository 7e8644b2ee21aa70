//! Embedded SQLite storage. One module per table family.

pub mod check;
mod error;
pub mod heal;
pub mod history;
pub mod journal;
pub(crate) mod migrate;
pub mod revisions;

pub use error::{Fault, StoreError};
pub use heal::{HealLog, HealQuery};
pub use history::{DiskUsage, History, Retention, TableUsage};
pub use journal::Journal;
pub use revisions::{NewRevision, Revisions};

/// How long a writer waits for another connection's lock before failing.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens `path` for writing (creating it and its directory) in WAL mode, so readers on other
/// connections never block the writer, with the given `synchronous` level.
pub(crate) fn open_wal(
    path: &std::path::Path,
    synchronous: &str,
) -> Result<rusqlite::Connection, Fault> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Fault::Dir)?;
    }
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Fault::NoWal(mode));
    }
    conn.pragma_update(None, "synchronous", synchronous)?;
    Ok(conn)
}
