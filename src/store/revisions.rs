//! Config revisions (`<state>/<workspace>/config.db`): every effective config the engine
//! applied — at start, on a switch, a reload or a revert — with when, which environment, who
//! and why (`uc config history`). The text is the effective YAML with secrets left as their
//! references (`${secret:name}`, `${NAME}`), so no secret is ever stored; the hash is salted
//! with a random value kept here, so a short secret cannot be guessed from it either.

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use super::{Db, Durability, Schema, StoreError};
use crate::protocol::{Revision, RevisionText};

pub const SCHEMA: Schema = Schema {
    migrations: &[
        "
    CREATE TABLE revisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        environment TEXT,
        author TEXT NOT NULL,
        reason TEXT NOT NULL,
        hash TEXT NOT NULL,
        text TEXT NOT NULL
    );
",
        // SQLite's generator is seeded from the kernel's (/dev/urandom).
        "
    CREATE TABLE salt (value BLOB NOT NULL);
    INSERT INTO salt VALUES (randomblob(32));
",
    ],
    tables: &["revisions", "salt"],
    // A revision is written once per apply and must survive a crash right after.
    durability: Durability::Full,
    writer_pragmas: &[],
};

pub struct Revisions {
    db: Db,
}

/// A revision about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRevision<'a> {
    pub at: u64,
    pub environment: Option<&'a str>,
    pub author: &'a str,
    pub reason: &'a str,
    pub hash: &'a str,
    pub text: &'a str,
}

impl Revisions {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open(path, &SCHEMA).map(|db| Self { db })
    }

    /// The random value config hashes are salted with, the same for the file's lifetime.
    pub fn salt(&self) -> Result<Vec<u8>, StoreError> {
        self.db
            .run(|c| c.query_row("SELECT value FROM salt", [], |row| row.get(0)))
    }

    /// Stores it and answers its id.
    pub fn record(&self, new: &NewRevision<'_>) -> Result<u64, StoreError> {
        let id = self.db.run(|c| {
            c.execute(
                "INSERT INTO revisions (at, environment, author, reason, hash, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    i64::try_from(new.at).unwrap_or(i64::MAX),
                    new.environment,
                    new.author,
                    new.reason,
                    new.hash,
                    new.text
                ],
            )
            .map(|_| c.last_insert_rowid())
        })?;
        Ok(u64::try_from(id).unwrap_or(0))
    }

    /// The newest `limit` revisions, newest first.
    pub fn list(&self, limit: usize) -> Result<Vec<Revision>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db.run(|c| {
            c.prepare(
                "SELECT id, at, environment, author, reason, hash FROM revisions
                 ORDER BY id DESC LIMIT ?1",
            )?
            .query_map(params![limit], revision)?
            .collect()
        })
    }

    pub fn get(&self, id: u64) -> Result<Option<RevisionText>, StoreError> {
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        self.db.run(|c| {
            c.query_row(
                "SELECT id, at, environment, author, reason, hash, text FROM revisions
                 WHERE id = ?1",
                params![id],
                |row| {
                    Ok(RevisionText {
                        revision: revision(row)?,
                        text: row.get(6)?,
                    })
                },
            )
            .optional()
        })
    }

    /// The newest revision, i.e. the one applied last.
    pub fn latest(&self) -> Result<Option<RevisionText>, StoreError> {
        let id: Option<i64> = self
            .db
            .run(|c| c.query_row("SELECT MAX(id) FROM revisions", [], |r| r.get(0)))?;
        match id.and_then(|id| u64::try_from(id).ok()) {
            Some(id) => self.get(id),
            None => Ok(None),
        }
    }
}

fn revision(row: &rusqlite::Row<'_>) -> rusqlite::Result<Revision> {
    Ok(Revision {
        id: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
        at: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
        environment: row.get(2)?,
        author: row.get(3)?,
        reason: row.get(4)?,
        hash: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new<'a>(at: u64, env: &'a str, text: &'a str) -> NewRevision<'a> {
        NewRevision {
            at,
            environment: Some(env),
            author: "ana",
            reason: "switch",
            hash: "h",
            text,
        }
    }

    #[test]
    fn revisions_are_listed_newest_first_and_survive_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.db");
        {
            let store = Revisions::open(&path).expect("open");
            assert!(store.latest().expect("latest").is_none());
            assert_eq!(store.record(&new(1, "dev", "a: 1\n")).expect("rec"), 1);
            assert_eq!(store.record(&new(2, "prod", "a: 2\n")).expect("rec"), 2);
        }
        let store = Revisions::open(&path).expect("reopen");
        let list = store.list(10).expect("list");
        assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(list[0].environment.as_deref(), Some("prod"));
        assert_eq!(store.list(1).expect("list").len(), 1);
        let first = store.get(1).expect("get").expect("some");
        assert_eq!(first.text, "a: 1\n");
        assert_eq!(first.revision.author, "ana");
        assert!(store.get(9).expect("get").is_none());
        assert_eq!(
            store.latest().expect("latest").expect("some").revision.id,
            2
        );
    }

    #[test]
    fn the_salt_is_random_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let salt = |name: &str| {
            Revisions::open(dir.path().join(name))
                .expect("open")
                .salt()
                .expect("salt")
        };
        let first = salt("a.db");
        assert_eq!(first.len(), 32);
        assert_eq!(salt("a.db"), first);
        assert_ne!(salt("b.db"), first);
    }
}
