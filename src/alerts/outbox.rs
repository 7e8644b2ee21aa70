//! The durable outbox: every notification is written here before it is sent, and marked
//! delivered only once the receiver said so, so a crash, a restart or an outage loses none.
//! Delivery is at least once; the dedup key (see [`super::route`]) keeps a notification
//! computed again after a restart from being queued twice.
//!
//! One SQLite file (WAL) with two tables: `notifications`, one row per notification with
//! its state and retry schedule, and `attempts`, one row per try, for the UI's history.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{OptionalExtension, Row, params};

pub use self::model::{
    Admission, Attempt, ChannelSummary, Listed, Next, Outcome, Queued, RowState, Tried, TriedOwned,
};
use super::route::Notification;
use crate::store::{Db, Durability, Schema, StoreError};

pub const SCHEMA: Schema = Schema {
    migrations: &[V1],
    tables: &["notifications", "attempts"],
    // A notification acknowledged as queued survives a power loss. Writes are rare (a few
    // per alert), so the fsync per commit costs nothing that matters.
    durability: Durability::Full,
    writer_pragmas: &[],
};

const V1: &str = "
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    -- A newer notification of the same channel replaces it while it waits (forwards).
    replaceable INTEGER NOT NULL,
    body TEXT NOT NULL,
    enqueued_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    done_at INTEGER,
    last_error TEXT
);
CREATE INDEX notifications_pending ON notifications (channel, next_attempt_at, id)
    WHERE state = 'pending';
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    notification INTEGER NOT NULL,
    channel TEXT NOT NULL,
    at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    code INTEGER,
    detail TEXT NOT NULL
);
CREATE INDEX attempts_at ON attempts (at);
";

pub struct Outbox {
    db: Db,
}

impl Outbox {
    /// Opens (creating it and its directory if needed) and upgrades the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open(path, &SCHEMA).map(|db| Self { db })
    }

    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// Writes a notification unless one with its dedup key is already there; returns
    /// whether it was new.
    pub fn enqueue(
        &mut self,
        notification: &Notification,
        now_ms: u64,
        admission: Admission<'_>,
    ) -> Result<bool, StoreError> {
        self.adopt(notification, now_ms, admission, &[])
    }

    /// Like [`Outbox::enqueue`] for a notification kept in memory while the outbox could not
    /// be written, with the tries made meanwhile (it moves on as they say), in one
    /// transaction.
    pub fn adopt(
        &mut self,
        notification: &Notification,
        enqueued_at: u64,
        admission: Admission<'_>,
        tries: &[Tried<'_>],
    ) -> Result<bool, StoreError> {
        let body = body_json(notification).map_err(|e| self.db.error(e))?;
        self.db.transaction(|tx| {
            let Some(id) = insert(tx, notification, &body, enqueued_at, admission)? else {
                return Ok(false);
            };
            for tried in tries {
                write_try(tx, id, tried)?;
            }
            Ok::<_, rusqlite::Error>(true)
        })
    }

    /// The oldest notification of `channel` due at `now_ms`. Rows that cannot be read back
    /// (written by another version) are failed on the way, with the reason.
    pub fn next_due(&mut self, channel: &str, now_ms: u64) -> Result<Option<Queued>, StoreError> {
        self.next_due_except(channel, now_ms, &[])
    }

    /// Like [`Outbox::next_due`], passing over the rows in `except` (sent, their try not
    /// recorded yet).
    pub fn next_due_except(
        &mut self,
        channel: &str,
        now_ms: u64,
        except: &[i64],
    ) -> Result<Option<Queued>, StoreError> {
        loop {
            let limit = except.len() as i64 + 1;
            let rows: Vec<RawQueued> = self.query(
                &format!(
                    "SELECT {QUEUED} FROM notifications
                     WHERE state = 'pending' AND channel = ?1 AND next_attempt_at <= ?2
                     ORDER BY id LIMIT ?3"
                ),
                params![channel, sql_ms(now_ms), limit],
                raw_queued,
            )?;
            let Some(raw) = rows.into_iter().find(|r| !except.contains(&r.id)) else {
                return Ok(None);
            };
            match raw.parse() {
                Ok(queued) => return Ok(Some(queued)),
                Err(error) => {
                    let detail = format!("unreadable notification: {error}");
                    let tried = Tried {
                        at: now_ms,
                        duration_ms: 0,
                        code: None,
                        detail: &detail,
                        next: Next::Failed,
                    };
                    self.record(raw.id, &tried)?;
                }
            }
        }
    }

    /// Each channel with waiting notifications, and when the earliest is due.
    pub fn due_channels(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.query(
            "SELECT channel, MIN(next_attempt_at) FROM notifications
             WHERE state = 'pending' GROUP BY channel",
            [],
            |r| Ok((r.get(0)?, unsigned(r.get(1)?))),
        )
    }

    /// Every row `sql` returns, mapped.
    fn query<T, C: FromIterator<T>>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<C, StoreError> {
        self.db
            .run(|c| c.prepare_cached(sql)?.query_map(params, map)?.collect())
    }

    /// Stores a try and moves the notification on (delivered, rescheduled, failed, skipped).
    pub fn record(&mut self, id: i64, tried: &Tried<'_>) -> Result<(), StoreError> {
        self.db.transaction(|tx| write_try(tx, id, tried))
    }

    /// Makes the channel's waiting notifications due now (its settings changed).
    pub fn retry_now(&mut self, channel: &str, now_ms: u64) -> Result<usize, StoreError> {
        self.db.run(|c| {
            c.execute(
                "UPDATE notifications SET next_attempt_at = ?2
                 WHERE state = 'pending' AND channel = ?1 AND next_attempt_at > ?2",
                params![channel, sql_ms(now_ms)],
            )
        })
    }

    /// Every waiting notification, oldest first.
    pub fn pending(&self) -> Result<Vec<Queued>, StoreError> {
        let sql = format!("SELECT {QUEUED} FROM notifications WHERE state = 'pending' ORDER BY id");
        let raws: Vec<RawQueued> = self.query(&sql, [], raw_queued)?;
        // An unreadable row is failed when its channel reaches it.
        Ok(raws.into_iter().filter_map(|r| r.parse().ok()).collect())
    }

    /// Waiting notifications per channel.
    pub fn pending_counts(&self) -> Result<BTreeMap<String, u32>, StoreError> {
        self.query(
            "SELECT channel, COUNT(*) FROM notifications WHERE state = 'pending'
             GROUP BY channel",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The state of the notification with this dedup key, if it was ever queued.
    pub fn state_of(&self, dedup_key: &str) -> Result<Option<RowState>, StoreError> {
        let state = self.db.run(|c| {
            c.query_row(
                "SELECT state FROM notifications WHERE dedup_key = ?1",
                [dedup_key],
                |r| r.get::<_, String>(0),
            )
            .optional()
        })?;
        Ok(state.as_deref().map(RowState::parse))
    }

    /// The newest `limit` notifications with where they stand, newest first.
    pub fn recent(&self, limit: u32) -> Result<Vec<Listed>, StoreError> {
        self.query(
            "SELECT channel, json_extract(body, '$.group_key'), dedup_key, state, attempts,
                last_error, next_attempt_at, enqueued_at, done_at
             FROM notifications ORDER BY id DESC LIMIT ?1",
            [limit],
            |r| {
                let state = RowState::parse(&r.get::<_, String>(3)?);
                let next = unsigned(r.get(6)?);
                Ok(Listed {
                    channel: r.get(0)?,
                    group_key: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    dedup_key: r.get(2)?,
                    state,
                    attempts: r.get(4)?,
                    last_error: r.get(5)?,
                    next_attempt_at: (state == RowState::Pending).then_some(next),
                    enqueued_at: unsigned(r.get(7)?),
                    done_at: r.get::<_, Option<i64>>(8)?.map(unsigned),
                })
            },
        )
    }

    /// Every try since `since_ms`, oldest first.
    pub fn history(&self, since_ms: u64) -> Result<Vec<Attempt>, StoreError> {
        self.query(
            "SELECT a.notification, n.dedup_key, a.channel, a.at, a.duration_ms, a.outcome,
                a.code, a.detail
             FROM attempts a JOIN notifications n ON n.id = a.notification
             WHERE a.at >= ?1 ORDER BY a.at, a.id",
            [sql_ms(since_ms)],
            |r| {
                Ok(Attempt {
                    notification: r.get(0)?,
                    dedup_key: r.get(1)?,
                    channel: r.get(2)?,
                    at: unsigned(r.get(3)?),
                    duration_ms: unsigned(r.get(4)?),
                    outcome: Outcome::parse(&r.get::<_, String>(5)?),
                    code: r.get(6)?,
                    detail: r.get(7)?,
                })
            },
        )
    }

    /// Per channel: the last delivery, and the last error if nothing was delivered since.
    pub fn channel_summaries(&self) -> Result<BTreeMap<String, ChannelSummary>, StoreError> {
        self.query(
            "SELECT channel,
                MAX(CASE WHEN outcome = 'delivered' THEN at END),
                (SELECT detail FROM attempts l WHERE l.channel = a.channel
                    AND l.outcome IN ('retry', 'failed') ORDER BY at DESC, id DESC LIMIT 1),
                MAX(CASE WHEN outcome IN ('retry', 'failed') THEN at END)
             FROM attempts a GROUP BY channel",
            [],
            |r| {
                let delivered = r.get::<_, Option<i64>>(1)?.map(unsigned);
                let error_at = r.get::<_, Option<i64>>(3)?.map(unsigned);
                let current = error_at.is_some_and(|e| delivered.is_none_or(|d| e > d));
                let summary = ChannelSummary {
                    last_delivered_at: delivered,
                    last_error: if current { r.get(2)? } else { None },
                };
                Ok((r.get(0)?, summary))
            },
        )
    }

    /// Forgets finished notifications and tries older than `before_ms`, and finished
    /// forwards (one a minute per Alertmanager channel, each with every active alert)
    /// older than `forwards_before_ms`.
    pub fn prune(&mut self, before_ms: u64, forwards_before_ms: u64) -> Result<(), StoreError> {
        let (before, forwards_before) = (sql_ms(before_ms), sql_ms(forwards_before_ms));
        self.db.transaction(|tx| {
            tx.execute(
                "DELETE FROM attempts WHERE notification IN (SELECT id FROM notifications
                    WHERE replaceable AND state != 'pending' AND done_at < ?1)",
                [forwards_before],
            )?;
            tx.execute(
                "DELETE FROM notifications WHERE replaceable AND state != 'pending' AND done_at < ?1",
                [forwards_before],
            )?;
            tx.execute("DELETE FROM attempts WHERE at < ?1", [before])?;
            tx.execute(
                "DELETE FROM notifications WHERE state != 'pending' AND done_at < ?1",
                [before],
            )
        })?;
        Ok(())
    }
}

/// Inserts a notification unless its dedup key is there; its row id when it was new.
fn insert(
    tx: &rusqlite::Transaction<'_>,
    n: &Notification,
    body: &str,
    now: u64,
    admission: Admission<'_>,
) -> Result<Option<i64>, rusqlite::Error> {
    let (state, done_at, error) = match admission {
        Admission::Skip(reason) => (RowState::Skipped, Some(now), Some(reason)),
        Admission::Send | Admission::Replace => (RowState::Pending, None, None),
    };
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO notifications (dedup_key, channel, replaceable, body,
                enqueued_at, state, next_attempt_at, done_at, last_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?7, ?8)",
        )?
        .execute(params![
            n.dedup_key,
            n.channel,
            admission == Admission::Replace,
            body,
            sql_ms(now),
            state.as_str(),
            done_at.map(sql_ms),
            error,
        ])?;
    if added == 0 {
        return Ok(None);
    }
    let id = tx.last_insert_rowid();
    match admission {
        Admission::Replace => {
            tx.execute(
                "UPDATE notifications SET state = 'superseded', done_at = ?1
                 WHERE channel = ?2 AND replaceable AND state = 'pending' AND id < ?3",
                params![sql_ms(now), n.channel, id],
            )?;
        }
        Admission::Skip(reason) => {
            insert_attempt(tx, id, now, 0, Outcome::Skipped, None, reason)?;
        }
        Admission::Send => {}
    }
    Ok(Some(id))
}

fn write_try(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    tried: &Tried<'_>,
) -> Result<(), rusqlite::Error> {
    let (state, outcome, next_at) = match tried.next {
        Next::Delivered => (RowState::Delivered, Outcome::Delivered, tried.at),
        Next::RetryAt(at) => (RowState::Pending, Outcome::Retry, at),
        Next::Failed => (RowState::Failed, Outcome::Failed, tried.at),
        Next::Skipped => (RowState::Skipped, Outcome::Skipped, tried.at),
    };
    let done_at = (state != RowState::Pending).then_some(tried.at);
    let error = (outcome != Outcome::Delivered).then_some(tried.detail);
    tx.prepare_cached(
        "UPDATE notifications SET attempts = attempts + 1, state = ?2, next_attempt_at = ?3,
            done_at = ?4, last_error = ?5 WHERE id = ?1",
    )?
    .execute(params![
        id,
        state.as_str(),
        sql_ms(next_at),
        done_at.map(sql_ms),
        error
    ])?;
    let (at, ms, code, detail) = (tried.at, tried.duration_ms, tried.code, tried.detail);
    insert_attempt(tx, id, at, ms, outcome, code, detail)
}

/// Times (Unix ms) as SQLite integers; they fit until the year 292 million.
fn sql_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The columns [`raw_queued`] reads.
const QUEUED: &str = "id, body, enqueued_at, attempts, next_attempt_at, last_error";

struct RawQueued {
    id: i64,
    body: String,
    enqueued_at: u64,
    attempts: u32,
    next_attempt_at: u64,
    last_error: Option<String>,
}

fn raw_queued(r: &Row<'_>) -> rusqlite::Result<RawQueued> {
    Ok(RawQueued {
        id: r.get(0)?,
        body: r.get(1)?,
        enqueued_at: unsigned(r.get(2)?),
        attempts: r.get(3)?,
        next_attempt_at: unsigned(r.get(4)?),
        last_error: r.get(5)?,
    })
}

impl RawQueued {
    fn parse(&self) -> Result<Queued, serde_json::Error> {
        Ok(Queued {
            id: self.id,
            notification: serde_json::from_str(&self.body)?,
            enqueued_at: self.enqueued_at,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error.clone(),
        })
    }
}

/// The notification as stored. JSON has no NaN or infinity (serde_json writes `null`, which
/// does not read back as a number), so such values are stored as the nearest it has.
fn body_json(n: &Notification) -> Result<String, serde_json::Error> {
    let mut n = n.clone();
    for alert in &mut n.alerts {
        if !alert.value.is_finite() {
            alert.value = if alert.value.is_nan() {
                0.0
            } else {
                alert.value.clamp(f64::MIN, f64::MAX)
            };
        }
    }
    serde_json::to_string(&n)
}

fn insert_attempt(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    at: u64,
    duration_ms: u64,
    outcome: Outcome,
    code: Option<u16>,
    detail: &str,
) -> Result<(), rusqlite::Error> {
    tx.prepare_cached(
        "INSERT INTO attempts (notification, channel, at, duration_ms, outcome, code, detail)
         SELECT id, channel, ?2, ?3, ?4, ?5, ?6 FROM notifications WHERE id = ?1",
    )?
    .execute(params![
        id,
        sql_ms(at),
        sql_ms(duration_ms),
        outcome.as_str(),
        code,
        detail
    ])?;
    Ok(())
}

mod model;
#[cfg(test)]
mod tests;
