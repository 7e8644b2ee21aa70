//! What the engine's files record of the last minutes: the applied config revisions and what
//! each changed, deploys, heal events (restarts) and the alert journal. Each read is bounded
//! by a window or a row count; a file that is missing or unreadable reads as nothing, and a
//! missing file is never created here.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::deploy::model::Deployment;
use crate::heal::event::HealEvent;
use crate::store::deploys::DeployLog;
use crate::store::journal::{Entry, Journal};
use crate::store::{HealLog, HealQuery, Revisions};

/// How far back the correlations look.
pub const WINDOW_MS: u64 = 30 * 60_000;
/// Rows read at most from each file.
const MAX_ROWS: usize = 200;

/// One applied revision and what it changed against the one before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigChange {
    pub id: u64,
    pub at: u64,
    pub reason: String,
    pub author: String,
    pub environment: Option<String>,
    /// The environment before, when this revision switched it.
    pub switched_from: Option<String>,
    /// Dotted paths that differ: `services.api.env.DB_URL`.
    pub changed: Vec<String>,
}

fn existing(path: &Path) -> Option<&Path> {
    path.exists().then_some(path)
}

/// Each service's `max_memory` in bytes, from the applied revision's text.
pub fn memory_limits(config_db: &Path) -> BTreeMap<String, u64> {
    let Some(text) = existing(config_db)
        .and_then(|p| Revisions::open(p).ok())
        .and_then(|r| r.latest().ok().flatten())
    else {
        return BTreeMap::new();
    };
    let Ok(config) = serde_saphyr::from_str::<Value>(&text.text) else {
        return BTreeMap::new();
    };
    let Some(services) = config.get("services").and_then(Value::as_object) else {
        return BTreeMap::new();
    };
    let sustain = std::time::Duration::ZERO;
    services
        .iter()
        .filter_map(|(name, spec)| {
            let limit = spec.get("max_memory")?.as_str()?;
            let parsed = crate::config::values::memory_limit(limit, sustain).ok()?;
            Some((name.clone(), parsed.bytes))
        })
        .collect()
}

/// Revisions applied since `since_ms`, oldest first, each with what it changed.
pub fn config_changes(config_db: &Path, since_ms: u64) -> Vec<ConfigChange> {
    let Some(revisions) = existing(config_db).and_then(|p| Revisions::open(p).ok()) else {
        return Vec::new();
    };
    let Ok(list) = revisions.list(20) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Newest first: each revision's predecessor is the next in the list.
    for pair in list.windows(2).chain(list.last().map(std::slice::from_ref)) {
        let rev = &pair[0];
        if rev.at < since_ms {
            break;
        }
        let before = pair.get(1);
        let changed = match before {
            Some(b) => changed_paths(&revisions, b.id, rev.id),
            None => Vec::new(),
        };
        let switched_from = before
            .filter(|b| b.environment != rev.environment)
            .and_then(|b| b.environment.clone());
        out.push(ConfigChange {
            id: rev.id,
            at: rev.at,
            reason: rev.reason.clone(),
            author: rev.author.clone(),
            environment: rev.environment.clone(),
            switched_from,
            changed,
        });
    }
    out.reverse();
    out
}

fn changed_paths(revisions: &Revisions, before: u64, after: u64) -> Vec<String> {
    let parse = |id| {
        let text = revisions.get(id).ok().flatten()?.text;
        serde_saphyr::from_str::<Value>(&text).ok()
    };
    let (Some(a), Some(b)) = (parse(before), parse(after)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    diff_values("", &a, &b, &mut out);
    out
}

/// The dotted paths where `a` and `b` differ, as deep as both are maps.
pub fn diff_values(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, va) in a {
                match b.get(key) {
                    Some(vb) => diff_values(&join(key), va, vb, out),
                    None => out.push(join(key)),
                }
            }
            out.extend(b.keys().filter(|k| !a.contains_key(*k)).map(|k| join(k)));
        }
        _ if a != b => out.push(path.to_owned()),
        _ => {}
    }
}

/// The newest deploys, newest first.
pub fn deploys(deploys_db: &Path) -> Vec<Deployment> {
    existing(deploys_db)
        .and_then(|p| DeployLog::open(p).ok())
        .and_then(|log| log.recent(None, 20).ok())
        .unwrap_or_default()
}

/// Heal events (restarts, give-ups, probe changes) since `since_ms`.
pub fn heal_events(heal_db: &Path, since_ms: u64) -> Vec<HealEvent> {
    let query = HealQuery {
        since: since_ms,
        service: None,
        limit: Some(MAX_ROWS),
    };
    existing(heal_db)
        .and_then(|p| HealLog::open(p).ok())
        .and_then(|log| log.query(&query).ok())
        .unwrap_or_default()
}

/// The alert journal since `since_ms`, oldest first, at most the newest [`MAX_ROWS`] × 5.
pub fn alert_history(alerts_db: &Path, since_ms: u64) -> Vec<Entry> {
    let mut entries = existing(alerts_db)
        .and_then(|p| Journal::open(p).ok())
        .and_then(|j| j.history(since_ms).ok())
        .unwrap_or_default();
    let keep = MAX_ROWS * 5;
    if entries.len() > keep {
        entries.drain(..entries.len() - keep);
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::revisions::NewRevision;

    fn record(revisions: &Revisions, at: u64, env: &str, text: &str) {
        let new = NewRevision {
            at,
            environment: Some(env),
            author: "ana",
            reason: "reload",
            hash: "h",
            text,
        };
        revisions.record(&new).expect("record");
    }

    #[test]
    fn revisions_name_the_paths_they_changed_and_the_switch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.db");
        let revisions = Revisions::open(&path).expect("open");
        let one = "services:\n  api:\n    command: run\n    env:\n      DB_URL: a\n";
        let two = "services:\n  api:\n    command: run\n    max_memory: 512MiB\n    env:\n      DB_URL: b\n";
        record(&revisions, 1_000, "dev", one);
        record(&revisions, 5_000, "prod", two);
        let changes = config_changes(&path, 0);
        assert_eq!(changes.len(), 2);
        assert_eq!(
            changes[0].changed,
            Vec::<String>::new(),
            "the first has no before"
        );
        assert_eq!(
            changes[1].changed,
            ["services.api.env.DB_URL", "services.api.max_memory"]
        );
        assert_eq!(changes[1].switched_from.as_deref(), Some("dev"));
        assert_eq!(config_changes(&path, 2_000).len(), 1, "the window");
        assert_eq!(memory_limits(&path)["api"], 512 << 20);
    }

    #[test]
    fn missing_files_read_as_nothing_and_are_not_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.db");
        assert!(config_changes(&path, 0).is_empty());
        assert!(memory_limits(&path).is_empty());
        assert!(deploys(&dir.path().join("deploys.db")).is_empty());
        assert!(heal_events(&dir.path().join("heal.db"), 0).is_empty());
        assert!(alert_history(&dir.path().join("alerts.db"), 0).is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
