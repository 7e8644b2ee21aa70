//! The healing log (`<state>/<workspace>/heal.db`): every restart, backoff, give-up, probe
//! state change and playbook run (`uc heal history`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, params};

use super::migrate::migrate;
use super::{Fault, StoreError};
use crate::heal::event::HealEvent;

/// The tables the newest schema has (what a file is checked for at start).
pub const TABLES: &[&str] = &["events"];

const MIGRATIONS: &[&str] = &["
    CREATE TABLE events (
        at INTEGER NOT NULL,
        service TEXT,
        kind TEXT NOT NULL,
        json TEXT NOT NULL
    );
    CREATE INDEX events_at ON events (at);
    CREATE INDEX events_service ON events (service, at);
"];

/// Events older than this are deleted by [`HealLog::prune`].
pub const RETENTION: Duration = Duration::from_secs(90 * 86_400);

pub struct HealLog {
    conn: Connection,
    path: PathBuf,
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
        let path = path.as_ref();
        Self::open_inner(path).map_err(StoreError::at(path))
    }

    fn open_inner(path: &Path) -> Result<Self, Fault> {
        let mut conn = super::open_wal(path, "NORMAL")?;
        migrate(&mut conn, MIGRATIONS)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn fail(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| StoreError {
            path: self.path.clone(),
            fault: Fault::Sqlite(e),
        }
    }

    pub fn record(&self, event: &HealEvent) -> Result<(), StoreError> {
        let json = serde_json::to_string(event).unwrap_or_default();
        self.conn
            .execute(
                "INSERT INTO events (at, service, kind, json) VALUES (?1, ?2, ?3, ?4)",
                params![
                    i64::try_from(event.at).unwrap_or(i64::MAX),
                    event.service,
                    event.kind.as_str(),
                    json
                ],
            )
            .map(drop)
            .map_err(self.fail())
    }

    /// Matching events, oldest first.
    pub fn query(&self, q: &HealQuery) -> Result<Vec<HealEvent>, StoreError> {
        let limit = q.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let since = i64::try_from(q.since).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT json FROM (SELECT rowid, at, json FROM events
                 WHERE at >= ?1 AND (?2 IS NULL OR service = ?2)
                 ORDER BY at DESC, rowid DESC LIMIT ?3) ORDER BY at, rowid",
            )
            .map_err(self.fail())?;
        let rows = stmt
            .query_map(params![since, q.service, limit], |r| r.get::<_, String>(0))
            .map_err(self.fail())?;
        let mut events = Vec::new();
        for json in rows {
            let json = json.map_err(self.fail())?;
            // A row written by a newer engine with fields this one cannot read is skipped.
            if let Ok(event) = serde_json::from_str(&json) {
                events.push(event);
            }
        }
        Ok(events)
    }

    pub fn prune(&self, now_ms: u64) -> Result<(), StoreError> {
        let cutoff = now_ms.saturating_sub(RETENTION.as_millis() as u64);
        self.conn
            .execute(
                "DELETE FROM events WHERE at < ?1",
                params![i64::try_from(cutoff).unwrap_or(0)],
            )
            .map(drop)
            .map_err(self.fail())
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
