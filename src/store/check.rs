//! Is a database file usable? Asked once when the engine starts, before any writer opens
//! it: a file that is not a database, fails SQLite's `quick_check`, or has a schema version
//! but not the tables that version has, would otherwise leave its feature failing on every
//! request for as long as the engine runs.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, OpenFlags};

/// What is wrong with a database file that cannot be used as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Broken(pub String);

/// Files up to this size get `quick_check` (it reads every page: ~7 ms per MB here, warm);
/// a larger one (a long metric history) has its header, schema and each table's first page
/// read, which is what a file overwritten with something else fails.
const QUICK_CHECK_UP_TO: u64 = 32 << 20;

/// `Ok` when `path` is missing (it is created) or looks sound: readable as SQLite, its pages
/// pass `quick_check` (see [`QUICK_CHECK_UP_TO`]), and, once a schema was written
/// (`user_version` > 0), `tables` exist and can be read. Errors that say nothing about the
/// file itself (permissions, IO, a lock) are not `Broken`: the file is left for its owner to
/// report.
pub(super) fn check(path: &Path, tables: &[&str]) -> Result<(), Broken> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let thorough = meta.len() <= QUICK_CHECK_UP_TO;
    // Read-write (never created): a WAL left by a crash is recovered as the writer would.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match Connection::open_with_flags(path, flags) {
        Ok(conn) => conn,
        Err(e) => return verdict(e),
    };
    match inspect(&conn, tables, thorough) {
        Ok(None) => Ok(()),
        Ok(Some(problem)) => Err(Broken(problem)),
        Err(e) => verdict(e),
    }
}

/// The first problem found, if any.
fn inspect(conn: &Connection, tables: &[&str], thorough: bool) -> rusqlite::Result<Option<String>> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if thorough {
        let mut problems: Vec<String> = Vec::new();
        conn.pragma_query(None, "quick_check", |row| {
            let line: String = row.get(0)?;
            if line != "ok" {
                problems.push(line);
            }
            Ok(())
        })?;
        if let Some(first) = problems.into_iter().next() {
            return Ok(Some(format!("damaged: {first}")));
        }
    }
    if version == 0 {
        return Ok(None);
    }
    let mut present =
        conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?;
    for table in tables {
        if !present.exists([table])? {
            return Ok(Some(format!(
                "schema version {version} without its table `{table}`"
            )));
        }
        // Reads the table's root page (names come from the store's own constants).
        conn.prepare(&format!("SELECT 1 FROM \"{table}\" LIMIT 1"))?
            .exists([])?;
    }
    Ok(None)
}

/// A corrupt or foreign file is broken; any other failure is not this check's business.
fn verdict(e: rusqlite::Error) -> Result<(), Broken> {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Err(Broken(e.to_string())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_a_foreign_schema_and_a_sound_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        assert_eq!(check(&path, &["t"]), Ok(()), "missing is fine");

        std::fs::write(&path, vec![0x42; 8192]).unwrap();
        let broken = check(&path, &["t"]).unwrap_err();
        assert!(broken.0.contains("not a database"), "{broken}");

        std::fs::remove_file(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE other (x); PRAGMA user_version = 1;")
            .unwrap();
        drop(conn);
        let broken = check(&path, &["t"]).unwrap_err();
        assert!(broken.0.contains("without its table `t`"), "{broken}");

        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        drop(conn);
        assert_eq!(check(&path, &["t", "other"]), Ok(()));
    }
}
