//! Metric history: every tick at 1 s for a day, minute min/avg/max for 30 days, hour
//! min/avg/max for a year, in one SQLite file per workspace.
//!
//! One writer (the engine's store worker) calls [`History::write`] once per tick and
//! [`History::maintain`] about once a minute; readers on other threads open their own
//! [`History::open_read_only`] connection and [`History::query`] while it writes.

mod agg;
mod anomalies;
mod maintain;
mod packed;
mod query;
mod schema;
mod usage;

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, params};

pub use maintain::Retention;
pub use schema::SCHEMA;
pub use usage::{DiskUsage, TableUsage};

use super::{Db, Fault, StoreError};
use crate::metrics::series::{Metric, SeriesKey};

pub struct History {
    db: Db,
    retention: Retention,
    /// Every series of the file, so a tick needs no lookup.
    ids: HashMap<SeriesKey, u16>,
    /// The packed tick, reused between writes.
    buf: Vec<u8>,
}

impl History {
    /// The schema version this build writes (`PRAGMA user_version`).
    pub const SCHEMA_VERSION: i64 = SCHEMA.version();

    /// Opens (creating it and its directory if needed) and upgrades the file for writing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let mut history = Self::new(Db::open(path, &SCHEMA)?);
        let series = history.db.run(load_series)?;
        history.ids = series.into_iter().map(|(id, key)| (key, id)).collect();
        Ok(history)
    }

    /// A second connection for queries on another thread, which never blocks the writer
    /// (WAL). The file must exist and have been upgraded by a writer.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open_read_only(path, &SCHEMA).map(Self::new)
    }

    /// Keeps tiers for other periods than the defaults (tests, or a user setting).
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    pub fn path(&self) -> &Path {
        self.db.path()
    }

    fn new(db: Db) -> Self {
        Self {
            db,
            retention: Retention::default(),
            ids: HashMap::new(),
            buf: Vec::new(),
        }
    }

    /// Stores one tick (`t` in unix seconds) in one transaction. Values that are not finite
    /// are skipped. A second write for the same second adds to it rather than replacing it.
    pub fn write(&mut self, t: i64, points: &[(SeriesKey, f64)]) -> Result<(), StoreError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        // Ids of series first seen here join the cache only once the transaction commits.
        let mut added = Vec::new();
        let ids = &self.ids;
        self.db.transaction(|tx| {
            for (key, value) in points {
                let id = match ids.get(key) {
                    Some(id) => *id,
                    None => match added.iter().find(|(k, _)| k == key) {
                        Some((_, id)) => *id,
                        None => {
                            let id = insert_series(tx, key)?;
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
            Ok::<_, Fault>(())
        })?;
        self.buf = buf;
        self.ids.extend(added);
        Ok(())
    }

    /// Every series the file knows, sorted.
    pub fn series(&self) -> Result<Vec<SeriesKey>, StoreError> {
        let mut keys: Vec<SeriesKey> = self.db.run(load_series)?.into_values().collect();
        keys.sort();
        Ok(keys)
    }
}

/// Id to key; series of metrics this build does not know are left out.
fn load_series(conn: &Connection) -> rusqlite::Result<HashMap<u16, SeriesKey>> {
    let mut stmt = conn.prepare_cached("SELECT id, metric, label FROM series")?;
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
