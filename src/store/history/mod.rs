//! Metric history: every tick at 1 s for a day, minute min/avg/max for 30 days, hour
//! min/avg/max for a year, in one SQLite file per workspace.
//!
//! One writer (the engine's store worker) calls [`History::write`] once per tick and
//! [`History::maintain`] about once a minute; readers on other threads open their own
//! [`History::open_read_only`] connection and [`History::query`] while it writes.

mod agg;
mod maintain;
mod packed;
mod query;
mod schema;
mod usage;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

pub use maintain::Retention;
pub use schema::TABLES;
pub use usage::{DiskUsage, TableUsage};

use super::{Fault, StoreError, migrate};
use crate::metrics::series::{Metric, SeriesKey};

/// Page cache of the writing connection (SQLite reads a negative size as KiB).
const WRITER_CACHE_KIB: i64 = -256;
/// How long a statement waits for another connection's lock (a checkpoint, a migration)
/// before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Caps the WAL file left behind after a large transaction (a long-overdue `maintain`).
const WAL_SIZE_LIMIT: i64 = 8 << 20;

pub struct History {
    conn: Connection,
    path: PathBuf,
    retention: Retention,
    /// Every series of the file, so a tick needs no lookup.
    ids: HashMap<SeriesKey, u16>,
    /// The packed tick, reused between writes.
    buf: Vec<u8>,
}

impl History {
    /// The schema version this build writes (`PRAGMA user_version`).
    pub const SCHEMA_VERSION: i64 = schema::MIGRATIONS.len() as i64;

    /// Opens (creating it and its directory if needed) and upgrades the file for writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        Self::open_writer(path).map_err(StoreError::at(path))
    }

    /// A second connection for queries on another thread, which never blocks the writer
    /// (WAL). The file must exist and have been upgraded by a writer.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        Self::open_reader(path).map_err(StoreError::at(path))
    }

    /// Keeps tiers for other periods than the defaults (tests, or a user setting).
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_writer(path: &Path) -> Result<Self, Fault> {
        // In WAL mode, NORMAL syncs only at checkpoints: a crash of the process (or of the
        // machine) can lose the last transactions but never corrupts the file, and a tick
        // costs no fsync. Losing a few seconds of metrics on power loss is acceptable.
        let mut conn = super::open_wal(path, "NORMAL")?;
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        // The writer appends at the end of `raw` and folds recent minutes: it needs a few
        // hot pages, not SQLite's default 2 MB cache, which would sit in the engine's memory.
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        migrate::migrate(&mut conn, schema::MIGRATIONS)?;
        let mut history = Self::new(conn, path);
        history.ids = history
            .load_series()?
            .into_iter()
            .map(|(id, key)| (key, id))
            .collect();
        Ok(history)
    }

    fn open_reader(path: &Path) -> Result<Self, Fault> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let found = migrate::version(&conn)?;
        if found != Self::SCHEMA_VERSION {
            let known = Self::SCHEMA_VERSION;
            return Err(if found > known {
                Fault::TooNew { found, known }
            } else {
                Fault::Outdated { found, known }
            });
        }
        Ok(Self::new(conn, path))
    }

    fn new(conn: Connection, path: &Path) -> Self {
        Self {
            conn,
            path: path.to_path_buf(),
            retention: Retention::default(),
            ids: HashMap::new(),
            buf: Vec::new(),
        }
    }

    /// Stores one tick (`t` in unix seconds) in one transaction. Values that are not finite
    /// are skipped. A second write for the same second adds to it rather than replacing it.
    pub fn write(&mut self, t: i64, points: &[(SeriesKey, f64)]) -> Result<(), StoreError> {
        self.write_tick(t, points)
            .map_err(StoreError::at(&self.path))
    }

    fn write_tick(&mut self, t: i64, points: &[(SeriesKey, f64)]) -> Result<(), Fault> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        // Ids of series first seen here join the cache only once the transaction commits.
        let mut added = Vec::new();
        for (key, value) in points {
            let id = match self.ids.get(key) {
                Some(id) => *id,
                None => match added.iter().find(|(k, _)| k == key) {
                    Some((_, id)) => *id,
                    None => {
                        let id = insert_series(&tx, key)?;
                        added.push((key.clone(), id));
                        id
                    }
                },
            };
            packed::push(&mut buf, id, *value);
        }
        if !buf.is_empty() {
            // `||` yields TEXT; the cast keeps the bytes and makes it a blob again.
            tx.prepare_cached(
                "INSERT INTO raw (t, data) VALUES (?1, ?2)
                 ON CONFLICT (t) DO UPDATE SET data = CAST(data || excluded.data AS BLOB)",
            )?
            .execute(params![t, buf])?;
        }
        tx.commit()?;
        self.buf = buf;
        self.ids.extend(added);
        Ok(())
    }

    /// Every series the file knows, sorted.
    pub fn series(&self) -> Result<Vec<SeriesKey>, StoreError> {
        let mut keys: Vec<SeriesKey> = self
            .load_series()
            .map_err(StoreError::at(&self.path))?
            .into_values()
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// Id to key; series of metrics this build does not know are left out.
    fn load_series(&self) -> Result<HashMap<u16, SeriesKey>, Fault> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, metric, label FROM series")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, u16>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, metric, label) = row?;
            if let Some(metric) = Metric::from_name(&metric) {
                out.insert(id, SeriesKey { metric, label });
            }
        }
        Ok(out)
    }
}

fn insert_series(tx: &rusqlite::Transaction<'_>, key: &SeriesKey) -> Result<u16, Fault> {
    // An upsert, so a series another connection added since the cache was loaded still
    // gets its id.
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO series (metric, label) VALUES (?1, ?2)
             ON CONFLICT (metric, label) DO UPDATE SET label = excluded.label
             RETURNING id",
        )?
        .query_row(params![key.metric.name(), key.label], |r| r.get(0))?;
    u16::try_from(id).map_err(|_| Fault::TooManySeries)
}
