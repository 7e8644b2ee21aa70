//! `hooks.db`: every verified push, keyed by hook and delivery id, so a delivery sent
//! again (GitHub's "redeliver", a replay) is recognised and not published twice.

use std::path::Path;

use rusqlite::params;

use super::push::GitPush;
use crate::store::{Db, Durability, Schema, StoreError};

pub const SCHEMA: Schema = Schema {
    migrations: &[V1],
    tables: &["pushes"],
    // A delivery answered 202 must still be known after a power cut, or its redelivery
    // would deploy twice.
    durability: Durability::Full,
    writer_pragmas: &[],
};

const V1: &str = "
CREATE TABLE pushes (
    id INTEGER PRIMARY KEY,
    hook TEXT NOT NULL,
    delivery TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    repository TEXT NOT NULL,
    ref TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    pusher TEXT NOT NULL,
    UNIQUE (hook, delivery)
);
CREATE INDEX pushes_at ON pushes (received_at);
";

/// Deliveries are remembered this long: GitHub redelivers within days, not months.
const KEEP_MS: u64 = 90 * 24 * 3600 * 1000;

pub struct Received {
    db: Db,
}

impl Received {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open(path, &SCHEMA).map(|db| Self { db })
    }

    /// Records the push unless its delivery is known; whether it was new. Old rows go in
    /// the same transaction.
    pub fn record(&mut self, push: &GitPush) -> Result<bool, StoreError> {
        let at = i64::try_from(push.at).unwrap_or(i64::MAX);
        let forget = at.saturating_sub(i64::try_from(KEEP_MS).unwrap_or(i64::MAX));
        self.db.transaction(|tx| {
            tx.execute("DELETE FROM pushes WHERE received_at < ?1", [forget])?;
            let added = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO pushes (hook, delivery, received_at, repository, ref,
                        before, after, pusher) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    push.hook,
                    push.delivery,
                    at,
                    push.repository,
                    push.git_ref,
                    push.before,
                    push.after,
                    push.pusher
                ])?;
            Ok::<_, rusqlite::Error>(added == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(hook: &str, delivery: &str) -> GitPush {
        GitPush {
            hook: hook.into(),
            delivery: delivery.into(),
            repository: "acme/api".into(),
            git_ref: "refs/heads/main".into(),
            before: "a".into(),
            after: "b".into(),
            pusher: "ana".into(),
            at: crate::clock::now_ms(),
        }
    }

    #[test]
    fn a_delivery_is_new_once_per_hook() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooks.db");
        let mut received = Received::open(&path).unwrap();
        assert!(received.record(&push("git", "d1")).unwrap());
        assert!(!received.record(&push("git", "d1")).unwrap());
        assert!(received.record(&push("other", "d1")).unwrap());
        drop(received);
        let mut again = Received::open(&path).unwrap();
        assert!(!again.record(&push("git", "d1")).unwrap());
    }
}
