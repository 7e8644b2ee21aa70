//! The healing log (`<state>/<workspace>/heal.db`): every restart, backoff, give-up, probe
//! state change and playbook run (`uc heal history`).

use std::path::Path;
use std::time::Duration;

use rusqlite::params;

use super::{Db, Durability, Schema, StoreError};
use crate::heal::event::HealEvent;

pub const SCHEMA: Schema = Schema {
    migrations: &["
    CREATE TABLE events (
        at INTEGER NOT NULL,
        service TEXT,
        kind TEXT NOT NULL,
        json TEXT NOT NULL
    );
    CREATE INDEX events_at ON events (at);
    CREATE INDEX events_service ON events (service, at);
"],
    tables: &["events"],
    durability: Durability::Normal,
    writer_pragmas: &[],
};

/// Events older than this are deleted by [`HealLog::prune`].
pub const RETENTION: Duration = Duration::from_secs(90 * 86_400);

pub struct HealLog {
    db: Db,
}

/// Which events `uc heal history` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HealQuery {
    /// Unix ms; events at or after it.
    #[serde(default)]
    pub since: u64,
    /// Only this service's events.
    #[serde(default)]
    pub service: Option<String>,
    /// The newest this many (all when `None`).
    #[serde(default)]
    pub limit: Option<usize>,
}

impl HealLog {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open(path, &SCHEMA).map(|db| Self { db })
    }

    pub fn record(&self, event: &HealEvent) -> Result<(), StoreError> {
        let json = serde_json::to_string(event).map_err(|e| self.db.error(e))?;
        self.db.run(|c| {
            c.execute(
                "INSERT INTO events (at, service, kind, json) VALUES (?1, ?2, ?3, ?4)",
                params![
                    i64::try_from(event.at).unwrap_or(i64::MAX),
                    event.service,
                    event.kind.as_str(),
                    json
                ],
            )
        })?;
        Ok(())
    }

    /// Matching events, oldest first.
    pub fn query(&self, q: &HealQuery) -> Result<Vec<HealEvent>, StoreError> {
        let limit = q.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let since = i64::try_from(q.since).unwrap_or(i64::MAX);
        let rows: Vec<String> = self.db.run(|c| {
            c.prepare(
                "SELECT json FROM (SELECT rowid, at, json FROM events
                 WHERE at >= ?1 AND (?2 IS NULL OR service = ?2)
                 ORDER BY at DESC, rowid DESC LIMIT ?3) ORDER BY at, rowid",
            )?
            .query_map(params![since, q.service, limit], |r| r.get(0))?
            .collect()
        })?;
        // A row written by a newer engine with fields this one cannot read is skipped.
        Ok(rows
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect())
    }

    pub fn prune(&self, now_ms: u64) -> Result<(), StoreError> {
        let cutoff = now_ms.saturating_sub(RETENTION.as_millis() as u64);
        self.db.run(|c| {
            c.execute(
                "DELETE FROM events WHERE at < ?1",
                params![i64::try_from(cutoff).unwrap_or(0)],
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heal::event::HealKind;

    fn event(at: u64, service: &str, kind: HealKind) -> HealEvent {
        HealEvent {
            at,
            ..HealEvent::new(Some(service), kind, format!("{kind:?} at {at}"))
        }
    }

    #[test]
    fn events_are_filtered_by_time_and_service_and_survive_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("heal.db");
        {
            let log = HealLog::open(&path).expect("open");
            log.record(&event(1_000, "api", HealKind::Restart))
                .expect("rec");
            log.record(&event(2_000, "db", HealKind::Probe))
                .expect("rec");
            log.record(&event(3_000, "api", HealKind::GaveUp))
                .expect("rec");
        }
        let log = HealLog::open(&path).expect("reopen");
        let all = log.query(&HealQuery::default()).expect("query");
        assert_eq!(
            all.iter().map(|e| e.at).collect::<Vec<_>>(),
            [1_000, 2_000, 3_000]
        );
        let api = HealQuery {
            service: Some("api".into()),
            ..HealQuery::default()
        };
        let kinds: Vec<HealKind> = log.query(&api).expect("q").iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [HealKind::Restart, HealKind::GaveUp]);
        let newest = HealQuery {
            since: 1_500,
            limit: Some(1),
            ..HealQuery::default()
        };
        let got = log.query(&newest).expect("q");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].at, 3_000);
        log.prune(RETENTION.as_millis() as u64 + 2_500)
            .expect("prune");
        assert_eq!(log.query(&HealQuery::default()).expect("q").len(), 1);
    }
}
