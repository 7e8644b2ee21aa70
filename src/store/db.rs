//! Every SQLite file `uc` keeps (metric history, alert journal, outbox, heal history, config
//! revisions) is opened here, the same way: WAL so readers never block the writer, a busy
//! timeout, the file's durability, its migrations, and errors that name the file. Files are
//! private through the process umask (077, see [`crate::paths::private_umask`]): SQLite
//! gives its `-wal` and `-shm` the database's mode.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use super::check::{self, Broken};
use super::{Fault, StoreError, migrate};

/// How long a statement waits for another connection's lock (a checkpoint, a migration,
/// the other process at start) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What a file is: its schema's history, the tables the newest version has, and what its
/// writer needs.
#[derive(Debug)]
pub struct Schema {
    /// One entry per version (`PRAGMA user_version` counts those run); never edit a released
    /// entry, append a new one.
    pub migrations: &'static [&'static str],
    /// What the start-up check ([`Schema::check`]) looks for once a version was written.
    pub tables: &'static [&'static str],
    pub durability: Durability,
    /// Set on the writing connection before it migrates: `(pragma, value)`.
    pub writer_pragmas: &'static [(&'static str, i64)],
}

/// When a commit reaches the disk (SQLite's `synchronous`, in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// At checkpoints: a crash of the machine can lose the last commits but never corrupts
    /// the file, and a commit costs no fsync.
    Normal,
    /// At every commit: what was committed survives a power cut.
    Full,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

impl Schema {
    /// The version this build writes.
    pub const fn version(&self) -> i64 {
        self.migrations.len() as i64
    }

    /// Whether the file at `path` can be used as it is (see [`check::check`]); asked once
    /// when the engine starts, before a writer opens it.
    pub fn check(&self, path: &Path) -> Result<(), Broken> {
        check::check(path, self.tables)
    }
}

/// One connection to one file.
#[derive(Debug)]
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl Db {
    /// Opens `path` for writing, creating it and its directory, and upgrades it to the
    /// newest version.
    pub fn open(path: impl AsRef<Path>, schema: &Schema) -> Result<Self, StoreError> {
        let path = path.as_ref();
        open_writer(path, schema)
            .map(|conn| Self::new(conn, path))
            .map_err(StoreError::at(path))
    }

    /// A connection that only reads, for queries on another thread while the writer writes
    /// (WAL). The file must exist and be at this build's version: only a writer upgrades.
    pub fn open_read_only(path: impl AsRef<Path>, schema: &Schema) -> Result<Self, StoreError> {
        let path = path.as_ref();
        open_reader(path, schema)
            .map(|conn| Self::new(conn, path))
            .map_err(StoreError::at(path))
    }

    fn new(conn: Connection, path: &Path) -> Self {
        Self {
            conn,
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// `fault`, naming this file.
    pub fn error(&self, fault: impl Into<Fault>) -> StoreError {
        StoreError::at(&self.path)(fault.into())
    }

    /// Runs `f` on the connection (each statement its own transaction).
    pub fn run<T, E: Into<Fault>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        f(&self.conn).map_err(|e| self.error(e))
    }

    /// Runs `f` in one immediate transaction, committed when `f` succeeds. Immediate: the
    /// write lock is taken first, so a transaction never fails halfway for another writer.
    pub fn transaction<T, E: Into<Fault>>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        let written = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx).map_err(Into::into)?;
            tx.commit()?;
            Ok::<_, Fault>(value)
        })();
        written.map_err(|e| self.error(e))
    }
}

fn open_writer(path: &Path, schema: &Schema) -> Result<Connection, Fault> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(Fault::Dir)?;
    }
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Fault::NoWal(mode));
    }
    conn.pragma_update(None, "synchronous", schema.durability.pragma())?;
    for (pragma, value) in schema.writer_pragmas {
        conn.pragma_update(None, pragma, value)?;
    }
    migrate::migrate(&mut conn, schema.migrations)?;
    Ok(conn)
}

fn open_reader(path: &Path, schema: &Schema) -> Result<Connection, Fault> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let found = migrate::version(&conn)?;
    let known = schema.version();
    match found.cmp(&known) {
        std::cmp::Ordering::Equal => Ok(conn),
        std::cmp::Ordering::Greater => Err(Fault::TooNew { found, known }),
        std::cmp::Ordering::Less => Err(Fault::Outdated { found, known }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: Schema = Schema {
        migrations: &["CREATE TABLE t (x INTEGER);"],
        tables: &["t"],
        durability: Durability::Full,
        writer_pragmas: &[("cache_size", -64)],
    };

    #[test]
    fn a_writer_makes_the_file_and_a_reader_follows_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("x.db");
        let reader = Db::open_read_only(&path, &SCHEMA).unwrap_err();
        assert!(reader.to_string().starts_with(&path.display().to_string()));

        let mut db = Db::open(&path, &SCHEMA).unwrap();
        let pragma = |name: &str| -> String {
            db.conn()
                .pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma("synchronous"), "Integer(2)", "FULL");
        assert_eq!(pragma("cache_size"), "Integer(-64)");
        db.transaction(|tx| tx.execute("INSERT INTO t VALUES (1)", []))
            .unwrap();
        let failed = db.transaction(|tx| {
            tx.execute("INSERT INTO t VALUES (2)", [])?;
            tx.execute("INSERT INTO nowhere VALUES (3)", [])
        });
        assert!(failed.unwrap_err().to_string().contains("nowhere"));

        let reader = Db::open_read_only(&path, &SCHEMA).unwrap();
        let count: i64 = reader
            .run(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(count, 1, "the failed transaction left nothing");
        assert_eq!(SCHEMA.check(&path), Ok(()));
    }
}
