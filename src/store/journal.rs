//! The alert journal (`<state>/<workspace>/alerts.db`): the alerts that are pending, firing or
//! recently resolved (so a restarted engine continues them instead of re-firing), the
//! silences, and the history of every state change, acknowledgement, silence and rules
//! reload (`uc alerts history`). Notification attempts live in the outbox's own file.

use std::path::Path;
use std::time::Duration;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Db, Durability, Schema, StoreError};
use crate::alerts::model::{Alert, Silence};

pub const SCHEMA: Schema = Schema {
    migrations: &["
    CREATE TABLE alerts (id TEXT PRIMARY KEY, json TEXT NOT NULL);
    CREATE TABLE silences (id TEXT PRIMARY KEY, ends_at INTEGER NOT NULL, json TEXT NOT NULL);
    CREATE TABLE history (
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        alert TEXT,
        rule TEXT,
        text TEXT NOT NULL
    );
    CREATE INDEX history_at ON history (at);
"],
    tables: &["alerts", "silences", "history"],
    // A lost last transaction after a power cut is acceptable; the outbox, which carries the
    // at-least-once promise, keeps full durability in its own file.
    durability: Durability::Normal,
    writer_pragmas: &[],
};

/// History older than this is deleted by [`Journal::prune`].
pub const HISTORY_RETENTION: Duration = Duration::from_secs(90 * 86_400);

/// One line of `uc alerts history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Unix ms.
    pub at: u64,
    /// `pending`, `firing`, `resolved`, `ack`, `silence`, `expire`, `rules`, `notify`.
    pub kind: String,
    #[serde(default)]
    pub alert: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    pub text: String,
}

pub struct Journal {
    db: Db,
}

impl Journal {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open(path, &SCHEMA).map(|db| Self { db })
    }

    /// Replace the saved alerts with `alerts` (called when they change, not every tick).
    pub fn save_alerts(&mut self, alerts: &[Alert]) -> Result<(), StoreError> {
        let rows = alerts
            .iter()
            .map(|alert| Ok((alert.id.as_str(), serde_json::to_string(alert)?)))
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(|e| self.db.error(e))?;
        self.db.transaction(|tx| {
            tx.execute("DELETE FROM alerts", [])?;
            let mut insert = tx.prepare_cached("INSERT INTO alerts (id, json) VALUES (?1, ?2)")?;
            for (id, json) in rows {
                insert.execute(params![id, json])?;
            }
            Ok::<_, rusqlite::Error>(())
        })
    }

    /// The alerts saved by the previous engine. Rows this version cannot read are skipped.
    pub fn load_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        self.load_json("SELECT json FROM alerts", [])
    }

    pub fn save_silence(&self, silence: &Silence) -> Result<(), StoreError> {
        let json = serde_json::to_string(silence).map_err(|e| self.db.error(e))?;
        self.db.run(|c| {
            c.execute(
                "INSERT OR REPLACE INTO silences (id, ends_at, json) VALUES (?1, ?2, ?3)",
                params![silence.id, silence.ends_at as i64, json],
            )
        })?;
        Ok(())
    }

    /// Silences that have not ended at `now_ms`, oldest first.
    pub fn load_silences(&self, now_ms: u64) -> Result<Vec<Silence>, StoreError> {
        let mut silences: Vec<Silence> = self.load_json(
            "SELECT json FROM silences WHERE ends_at > ?1",
            [now_ms as i64],
        )?;
        silences.sort_by_key(|s| (s.starts_at, s.id.clone()));
        Ok(silences)
    }

    pub fn record(&self, entry: &Entry) -> Result<(), StoreError> {
        self.db.run(|c| {
            c.prepare_cached(
                "INSERT INTO history (at, kind, alert, rule, text) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                entry.at as i64,
                entry.kind,
                entry.alert,
                entry.rule,
                entry.text
            ])
        })?;
        Ok(())
    }

    /// History since `since_ms`, oldest first.
    pub fn history(&self, since_ms: u64) -> Result<Vec<Entry>, StoreError> {
        self.db.run(|c| {
            c.prepare(
                "SELECT at, kind, alert, rule, text FROM history WHERE at >= ?1 ORDER BY at, rowid",
            )?
            .query_map([since_ms as i64], |r| {
                Ok(Entry {
                    at: r.get::<_, i64>(0)?.max(0) as u64,
                    kind: r.get(1)?,
                    alert: r.get(2)?,
                    rule: r.get(3)?,
                    text: r.get(4)?,
                })
            })?
            .collect()
        })
    }

    /// Delete ended silences and history past retention.
    pub fn prune(&self, now_ms: u64) -> Result<(), StoreError> {
        let horizon = now_ms.saturating_sub(HISTORY_RETENTION.as_millis() as u64);
        self.db.run(|c| {
            c.execute("DELETE FROM history WHERE at < ?1", [horizon as i64])?;
            c.execute("DELETE FROM silences WHERE ends_at <= ?1", [now_ms as i64])
        })?;
        Ok(())
    }

    /// When the newest history entry was written, if any (tests and diagnostics).
    pub fn last_entry_at(&self) -> Result<Option<u64>, StoreError> {
        let at = self.db.run(|c| {
            c.query_row("SELECT max(at) FROM history", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .optional()
        })?;
        Ok(at.flatten().map(|at| at.max(0) as u64))
    }

    fn load_json<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<T>, StoreError> {
        let rows: Vec<String> = self
            .db
            .run(|c| c.prepare(sql)?.query_map(params, |r| r.get(0))?.collect())?;
        let mut out = Vec::new();
        for json in rows {
            match serde_json::from_str(&json) {
                Ok(value) => out.push(value),
                Err(e) => tracing::warn!(
                    "skipping unreadable row in {}: {e}",
                    self.db.path().display()
                ),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::model::{AlertState, Matcher, Severity};

    fn alert(id: &str) -> Alert {
        Alert {
            id: id.into(),
            rule: "HighCpu".into(),
            state: AlertState::Firing,
            severity: Severity::Warning,
            labels: [("alertname".to_owned(), "HighCpu".to_owned())].into(),
            annotations: Default::default(),
            value: 91.5,
            active_since: 1_000,
            fired_at: Some(2_000),
            resolved_at: None,
            ack: None,
            silenced_by: None,
        }
    }

    #[test]
    fn alerts_and_silences_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.db");
        let mut journal = Journal::open(&path).unwrap();
        journal.save_alerts(&[alert("a"), alert("b")]).unwrap();
        journal.save_alerts(&[alert("b")]).unwrap();
        let silence = Silence {
            id: "s1".into(),
            matchers: vec![Matcher::parse("service=api").unwrap()],
            starts_at: 0,
            ends_at: 10_000,
            created_by: "ana".into(),
            comment: None,
        };
        journal.save_silence(&silence).unwrap();
        drop(journal);

        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.load_alerts().unwrap(), vec![alert("b")]);
        assert_eq!(journal.load_silences(5_000).unwrap(), vec![silence]);
        assert!(journal.load_silences(10_000).unwrap().is_empty());
    }

    #[test]
    fn history_is_ordered_and_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path().join("alerts.db")).unwrap();
        let day = 86_400_000;
        for (at, kind) in [
            (5 * day, "firing"),
            (100 * day, "ack"),
            (100 * day + 1, "resolved"),
        ] {
            let entry = Entry {
                at,
                kind: kind.into(),
                alert: Some("a".into()),
                rule: Some("HighCpu".into()),
                text: kind.into(),
            };
            journal.record(&entry).unwrap();
        }
        let kinds: Vec<String> = journal
            .history(0)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["firing", "ack", "resolved"]);
        journal.prune(100 * day).unwrap();
        assert_eq!(journal.history(0).unwrap().len(), 2);
        assert_eq!(journal.last_entry_at().unwrap(), Some(100 * day + 1));
    }
}
