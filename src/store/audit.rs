//! The audit log: who did what, from which frontend, in `audit.jsonl` files — `uc serve`'s
//! (`<state>/.serve/`: every mutating call and every denial over TCP, token changes) and each
//! engine's (`<state>/<ws>/`: calls on its socket from the CLI and the TUI, and what the
//! engine did on its own as `system`). Each line carries the hash of the one before it
//! ([`chain`]), so `uc audit verify` finds an edited or removed line. Writes go through
//! [`Auditor`], a thread of its own.
//!
//! Before the chain, the same records went to SQLite `audit.db` files (append-only by
//! triggers); [`AuditLog`] still reads them so `uc audit` shows that history.

pub mod chain;
mod query;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::params;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

pub use chain::{AuditRecord, Break, Chain};
pub use query::{AuditFiles, AuditQuery};

use super::{Db, Durability, Schema, StoreError};

pub const SCHEMA: Schema = Schema {
    migrations: &["
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        token TEXT,
        source TEXT NOT NULL,
        workspace TEXT,
        method TEXT NOT NULL,
        route TEXT NOT NULL,
        target TEXT,
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"],
    tables: &["audit"],
    // A denial or a change that happened must still be on record after a power cut.
    durability: Durability::Full,
    writer_pragmas: &[],
};

/// One audited call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Milliseconds since the epoch.
    pub at: u64,
    /// Who: a token's name over TCP, the local user on the socket; `-` when unknown.
    pub actor: String,
    /// The token used, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Where from: the client's address, or `socket`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    pub method: String,
    /// The path as the engine knows it (`/api/v1/services/start`).
    pub route: String,
    /// What it acted on, when the request names it (services, an alert).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub status: u16,
    /// `ok`, `denied` or `failed`, with the reason of a denial.
    pub outcome: String,
}

impl AuditEntry {
    /// `ok` for a 2xx/3xx, `denied` for 401/403/429, `failed` otherwise.
    pub fn outcome_of(status: u16) -> &'static str {
        match status {
            200..=399 => "ok",
            401 | 403 | 429 => "denied",
            _ => "failed",
        }
    }

    /// `METHOD route`, and the command a body names (`POST /api/v1/commands stop`): what
    /// the audit log shows as the action.
    pub fn action_of(method: &str, route: &str, command: Option<&str>) -> String {
        match command {
            Some(command) => format!("{method} {route} {command}"),
            None => format!("{method} {route}"),
        }
    }

    /// The `command` a JSON body sends, when it is a plain word.
    pub fn command_of(body: &[u8]) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let command = value.get("command")?.as_str()?;
        let word = !command.is_empty()
            && command.len() <= 40
            && command
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        word.then(|| command.to_owned())
    }

    /// What a JSON request body names as acted on: its `names`, `services`, `tags`, `name`
    /// or `alert`, cut to 200 bytes.
    pub fn target_of(body: &[u8]) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let named = ["names", "services", "tags", "name", "alert", "silence"]
            .iter()
            .find_map(|key| value.get(key))?;
        let mut text = match named {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        if text.is_empty() {
            return None;
        }
        if text.len() > 200 {
            let cut = (0..=200)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            text.truncate(cut);
        }
        Some(text)
    }
}

impl From<AuditEntry> for AuditRecord {
    fn from(e: AuditEntry) -> Self {
        let (outcome, reason) = match e.outcome.split_once(": ") {
            Some((outcome, reason)) => (outcome.to_owned(), Some(reason.to_owned())),
            None => (e.outcome, None),
        };
        let via = match e.source.as_str() {
            "socket" | "cli" => "cli",
            _ => "api",
        };
        let action = match e.method.as_str() {
            "CLI" => e.route,
            method => format!("{method} {}", e.route),
        };
        Self {
            time: chain::time_of(e.at),
            actor: e.actor,
            via: via.to_owned(),
            workspace: e.workspace,
            action,
            target: e.target,
            outcome,
            reason,
            status: Some(e.status),
            source: Some(e.source),
        }
    }
}

pub struct AuditLog {
    db: Db,
}

impl AuditLog {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open(path, &SCHEMA).map(|db| Self { db })
    }

    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Db::open_read_only(path, &SCHEMA).map(|db| Self { db })
    }

    pub fn append(&self, e: &AuditEntry) -> Result<(), StoreError> {
        self.db.run(|c| {
            c.execute(
                "INSERT INTO audit (at, actor, token, source, workspace, method, route, target,
                                    status, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    i64::try_from(e.at).unwrap_or(i64::MAX),
                    e.actor,
                    e.token,
                    e.source,
                    e.workspace,
                    e.method,
                    e.route,
                    e.target,
                    e.status,
                    e.outcome
                ],
            )
        })?;
        Ok(())
    }

    /// Entries at or after `since` (ms), oldest first.
    pub fn since(&self, since: u64) -> Result<Vec<AuditEntry>, StoreError> {
        self.db.run(|c| {
            let mut stmt = c.prepare(
                "SELECT at, actor, token, source, workspace, method, route, target, status,
                        outcome
                 FROM audit WHERE at >= ?1 ORDER BY at, id",
            )?;
            let rows = stmt.query_map([i64::try_from(since).unwrap_or(i64::MAX)], |r| {
                Ok(AuditEntry {
                    at: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    actor: r.get(1)?,
                    token: r.get(2)?,
                    source: r.get(3)?,
                    workspace: r.get(4)?,
                    method: r.get(5)?,
                    route: r.get(6)?,
                    target: r.get(7)?,
                    status: r.get(8)?,
                    outcome: r.get(9)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })
    }
}

/// Appends records to an `audit.jsonl` from any thread or task: a thread of its own opens
/// the file at the first record and appends what has arrived in one locked, synced write
/// (a burst of calls shares one `fdatasync`). It ends when the last handle is dropped.
#[derive(Clone)]
pub struct Auditor {
    tx: mpsc::Sender<(AuditRecord, Option<oneshot::Sender<()>>)>,
}

impl Auditor {
    pub fn spawn(path: PathBuf) -> Self {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("uc-audit".into())
            .spawn(move || write_all(&path, &rx))
            .map_err(|e| tracing::error!("cannot start the audit writer: {e}"))
            .ok();
        Self { tx }
    }

    /// Queues `record` without waiting.
    pub fn record(&self, record: AuditRecord) {
        self.send(record, None);
    }

    /// Returns once `record` is on disk (or could not be written: the error is logged).
    pub async fn commit(&self, record: AuditRecord) {
        let (done, stored) = oneshot::channel();
        self.send(record, Some(done));
        let _ = stored.await;
    }

    fn send(&self, record: AuditRecord, done: Option<oneshot::Sender<()>>) {
        if self.tx.send((record, done)).is_err() {
            tracing::error!("the audit writer is gone: a record was not written");
        }
    }
}

type Queued = (AuditRecord, Option<oneshot::Sender<()>>);

fn write_all(path: &Path, rx: &mpsc::Receiver<Queued>) {
    let mut chain = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter().take(1023));
        if chain.is_none() {
            chain = Chain::open(path)
                .map_err(|e| tracing::error!("cannot open {}: {e}", path.display()))
                .ok();
        }
        let (records, waiting): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        if let Some(Err(e)) = chain.as_mut().map(|c| c.append(&records)) {
            tracing::error!("cannot append to {}: {e}", path.display());
        }
        for done in waiting.into_iter().flatten() {
            let _ = done.send(());
        }
    }
}

/// The name of the user running `uc`: who acts through the socket, acks and silences (the
/// login name, as Alertmanager's amtool records it). `USER` is often unset (a container's
/// root shell, cron, `sudo -i` in some setups): then the name the account database has for
/// our uid.
pub fn local_user() -> String {
    let uid = nix::unistd::getuid();
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| Some(nix::unistd::User::from_uid(uid).ok()??.name))
        .unwrap_or_else(|| format!("uid {uid}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: u64, status: u16) -> AuditEntry {
        AuditEntry {
            at,
            actor: "ci".into(),
            token: Some("ci".into()),
            source: "127.0.0.1".into(),
            workspace: Some("shop".into()),
            method: "POST".into(),
            route: "/api/v1/services/stop".into(),
            target: Some("api".into()),
            status,
            outcome: AuditEntry::outcome_of(status).into(),
        }
    }

    #[test]
    fn entries_are_kept_in_order_and_never_changed() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path().join("audit.db")).unwrap();
        log.append(&entry(20, 403)).unwrap();
        log.append(&entry(10, 200)).unwrap();
        let all = log.since(0).unwrap();
        assert_eq!(all, [entry(10, 200), entry(20, 403)]);
        assert_eq!(all[1].outcome, "denied");
        assert_eq!(log.since(15).unwrap(), [entry(20, 403)]);
        for sql in ["UPDATE audit SET actor = 'x'", "DELETE FROM audit"] {
            let refused = log.db.run(|c| c.execute(sql, [])).unwrap_err();
            assert!(refused.to_string().contains("append-only"), "{refused}");
        }
        assert_eq!(log.since(0).unwrap().len(), 2);
    }

    #[test]
    fn the_target_is_what_the_body_names() {
        let target = |body: &str| AuditEntry::target_of(body.as_bytes());
        assert_eq!(
            target(r#"{"names":["api","web"]}"#).as_deref(),
            Some("api,web")
        );
        assert_eq!(
            target(r#"{"command":"ack","alert":"a1"}"#).as_deref(),
            Some("a1")
        );
        assert_eq!(target(r#"{"x":1}"#), None);
        assert_eq!(target(r#"{"services":[]}"#), None);
        assert_eq!(target("not json"), None);
        let command = |body: &str| AuditEntry::command_of(body.as_bytes());
        assert_eq!(command(r#"{"command":"stop"}"#).as_deref(), Some("stop"));
        assert_eq!(command(r#"{"command":"rm -rf"}"#), None);
    }
}
