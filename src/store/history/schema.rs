//! The history file's tables and the tiers they hold.
//!
//! Why this layout:
//! - `raw` has one row per tick, its points packed in a blob (see `packed`): a tick is one
//!   append to the rightmost page of one B-tree, about 6 bytes per point. A row per point
//!   costs about 20 (key, 8-byte REAL, record header and cell overhead).
//! - `m1` and `h1` are keyed `(t, series)`, not `(series, t)`: a minute's rows are appended
//!   together at the end of the tree (measured: about 4.5 pages written per minute against
//!   about 52 for `(series, t)` with 40 series, at the same file size), retention deletes a
//!   prefix, and downsampling and queries read one time range. A query for one series reads
//!   the other series of its window too, which stays cheap: a tier answers windows of at
//!   most about 2,000 of its buckets (the hour tier: a year's 8,760).
//! - `meta` records how far downsampling got, updated in the same transaction as the rows it
//!   describes, so a restart neither skips nor double-counts a minute.
//! - `anomalies` (v2) holds one row per flagged run of a series (times in ms), extended in
//!   place while the run lasts: rare, so no tiers; kept as long as the hour tier.

use rusqlite::{Connection, OptionalExtension, params};

use super::agg::Agg;
use super::packed;
use crate::store::{Durability, Schema};

pub const SCHEMA: Schema = Schema {
    migrations: &[V1, V2],
    tables: &["series", "raw", "m1", "h1", "meta", "anomalies"],
    // NORMAL syncs only at checkpoints: a tick costs no fsync. Losing a few seconds of
    // metrics on power loss is acceptable.
    durability: Durability::Normal,
    writer_pragmas: &[
        ("journal_size_limit", WAL_SIZE_LIMIT),
        ("cache_size", WRITER_CACHE_KIB),
    ],
};

/// Caps the WAL file left behind after a large transaction (a long-overdue `maintain`).
const WAL_SIZE_LIMIT: i64 = 8 << 20;

/// Page cache of the writing connection (SQLite reads a negative size as KiB). The writer
/// appends at the end of `raw` and folds recent minutes: it needs a few hot pages, not
/// SQLite's default 2 MB cache, which would sit in the engine's memory.
const WRITER_CACHE_KIB: i64 = -256;

const V1: &str = "
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    metric TEXT NOT NULL,
    label TEXT NOT NULL,
    UNIQUE (metric, label)
);
CREATE TABLE raw (t INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE m1 (
    t INTEGER NOT NULL,
    series INTEGER NOT NULL,
    min REAL NOT NULL,
    avg REAL NOT NULL,
    max REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (t, series)
) WITHOUT ROWID;
CREATE TABLE h1 (
    t INTEGER NOT NULL,
    series INTEGER NOT NULL,
    min REAL NOT NULL,
    avg REAL NOT NULL,
    max REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (t, series)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
";

const V2: &str = "
CREATE TABLE anomalies (
    series INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (series, start)
) WITHOUT ROWID;
CREATE INDEX anomalies_end ON anomalies (end);
";

/// One resolution of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tier {
    /// The name queries answer with (`HistoryResponse::tier`).
    pub name: &'static str,
    pub table: &'static str,
    /// Seconds per row.
    pub step: i64,
    /// The longest window this tier answers; a longer one goes to a coarser tier.
    pub max_window: i64,
    /// The `meta` key recording that every complete bucket before its value is in this
    /// tier; `None` for the raw tier, which is written directly.
    pub done_key: Option<&'static str>,
}

pub(super) const RAW: Tier = Tier {
    name: "raw",
    table: "raw",
    step: 1,
    max_window: 3600,
    done_key: None,
};

pub(super) const M1: Tier = Tier {
    name: "1m",
    table: "m1",
    step: 60,
    max_window: 30 * 3600,
    done_key: Some("m1_done"),
};

pub(super) const H1: Tier = Tier {
    name: "1h",
    table: "h1",
    step: 3600,
    max_window: i64::MAX,
    done_key: Some("h1_done"),
};

/// Finest first; each tier is downsampled from the one before it.
pub(super) const TIERS: [Tier; 3] = [RAW, M1, H1];

/// Calls `f` with every point (raw tier) or row (other tiers) of `tier` with
/// `from <= t < to`, in time order, then series order within a row time.
pub(super) fn scan(
    conn: &Connection,
    tier: Tier,
    from: i64,
    to: i64,
    mut f: impl FnMut(i64, u16, Agg) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    if from >= to {
        return Ok(());
    }
    let sql = if tier == RAW {
        "SELECT t, data FROM raw WHERE t >= ?1 AND t < ?2 ORDER BY t".to_owned()
    } else {
        format!(
            "SELECT t, series, min, avg, max, n FROM {} WHERE t >= ?1 AND t < ?2 ORDER BY t, series",
            tier.table
        )
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([from, to])?;
    while let Some(row) = rows.next()? {
        let t = row.get(0)?;
        if tier == RAW {
            for (series, value) in packed::points(row.get_ref(1)?.as_blob()?) {
                f(t, series, Agg::point(value))?;
            }
        } else {
            let n: i64 = row.get(5)?;
            let agg = Agg::row(row.get(2)?, row.get(3)?, row.get(4)?, n.unsigned_abs());
            f(t, row.get(1)?, agg)?;
        }
    }
    Ok(())
}

/// The time before which every complete bucket of `tier` has been written: the `meta`
/// watermark, `i64::MIN` before the first `maintain`, `i64::MAX` for the raw tier.
pub(super) fn done(conn: &Connection, tier: Tier) -> rusqlite::Result<i64> {
    let Some(key) = tier.done_key else {
        return Ok(i64::MAX);
    };
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
        .map(|done| done.unwrap_or(i64::MIN))
}

pub(super) fn set_done(conn: &Connection, tier: Tier, t: i64) -> rusqlite::Result<()> {
    if let Some(key) = tier.done_key {
        conn.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
            .execute(params![key, t])?;
    }
    Ok(())
}
