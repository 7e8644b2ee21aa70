//! The engine's state files, checked when it starts and before anything opens them. A
//! broken one (a database that is not one, fails `quick_check` or lacks its tables; a JSON
//! file that does not parse) is moved aside as `NAME.corrupt-<UTC time>` (a database with
//! its `-wal` and `-shm`, which belong to it) and its feature starts afresh. The user is
//! told: a notice, and `Snapshot.storage.replaced` (the TUI's banner, `uc status`).
//!
//! What starting afresh costs: metric history, alert history and silences, the outbox
//! (notifications waiting are computed again while their alerts are active), heal history,
//! config revisions; `services.json` (the next adoption finds services by their window
//! alone, without the PIDs they left their group with); `logs/positions.json` (captured
//! output is read again from the start of its files: lines still there may be stored twice).

use std::path::{Path, PathBuf};

use crate::clock::now_ms;
use crate::paths::Paths;
use crate::protocol::{Hub, NoticeLevel, ReplacedFile};
use crate::store::{Broken, Schema};

/// Checks every state file of the workspace, replacing the broken ones (see the module
/// docs).
pub fn check_all(paths: &Paths, hub: &Hub) {
    let databases: [(PathBuf, &Schema); 7] = [
        (paths.history(), &crate::store::history::SCHEMA),
        (paths.alerts_db(), &crate::store::journal::SCHEMA),
        (paths.outbox_db(), &crate::alerts::outbox::SCHEMA),
        (paths.heal_db(), &crate::store::heal::SCHEMA),
        (paths.config_db(), &crate::store::revisions::SCHEMA),
        (paths.hooks_db(), &crate::hooks::received::SCHEMA),
        (paths.webhooks_outbox(), &crate::alerts::outbox::SCHEMA),
    ];
    for (path, schema) in databases {
        if let Err(broken) = schema.check(&path) {
            replace(hub, &path, &broken, &["-wal", "-shm"]);
        }
    }
    let records = paths.records();
    if let Err(broken) = parses::<crate::supervisor::Records>(&records) {
        replace(hub, &records, &broken, &[]);
    }
    let positions = paths.log_positions();
    if let Err(broken) = parses::<Vec<crate::logs::follow::Position>>(&positions) {
        replace(hub, &positions, &broken, &[]);
    }
}

/// `Ok` when the file is missing, unreadable for another reason (its owner reports that),
/// or holds a `T`.
fn parses<T: serde::de::DeserializeOwned>(path: &Path) -> Result<(), Broken> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(());
    };
    serde_json::from_slice::<T>(&bytes)
        .map(drop)
        .map_err(|e| Broken(format!("not the JSON expected: {e}")))
}

/// Moves `path` (and its `companions`: `path` + suffix) aside and tells the user.
fn replace(hub: &Hub, path: &Path, broken: &Broken, companions: &[&str]) {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = suffixed(path, &format!(".corrupt-{stamp}"));
    if let Err(e) = std::fs::rename(path, &aside) {
        let text = format!(
            "{} is broken ({broken}) and cannot be moved aside: {e}",
            path.display()
        );
        tracing::error!("{text}");
        hub.notice(NoticeLevel::Error, None, text);
        return;
    }
    for suffix in companions {
        let from = suffixed(path, suffix);
        if from.exists() {
            let _ = std::fs::rename(&from, suffixed(&aside, suffix));
        }
    }
    let replaced = ReplacedFile {
        file: path.display().to_string(),
        moved_to: aside.display().to_string(),
        problem: broken.0.clone(),
        at: now_ms(),
    };
    let text = format!(
        "{} was unreadable ({}): moved to {} and started empty",
        replaced.file, replaced.problem, replaced.moved_to
    );
    tracing::warn!("{text}");
    hub.notice(NoticeLevel::Warn, None, text);
    hub.file_replaced(replaced);
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_files_move_aside_and_are_told() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path(), "ws", "sock".into());
        std::fs::create_dir_all(&paths.dir).unwrap();
        std::fs::write(paths.heal_db(), b"garbage garbage garbage").unwrap();
        std::fs::write(suffixed(&paths.heal_db(), "-wal"), b"old wal").unwrap();
        std::fs::write(paths.records(), b"{\"services\": 7}").unwrap();
        std::fs::write(paths.config_db(), b"").unwrap();
        let hub = Hub::new(crate::protocol::Snapshot {
            workspace: "ws".into(),
            environment: None,
            config_file: None,
            engine: crate::protocol::EngineInfo {
                pid: 1,
                started_at: 0,
                version: "t".into(),
                tmux_socket: "s".into(),
                tmux_session: "s".into(),
            },
            services: vec![],
            metrics: None,
            alerts: vec![],
            silences: vec![],
            alerting: Default::default(),
            config: Default::default(),
            storage: Default::default(),
            deploys: Vec::new(),
            quota: Default::default(),
            seq: 0,
        });
        check_all(&paths, &hub);
        let replaced = hub.snapshot().storage.replaced;
        let files: Vec<&str> = replaced.iter().map(|r| r.file.as_str()).collect();
        assert_eq!(
            files,
            [
                paths.heal_db().to_str().unwrap(),
                paths.records().to_str().unwrap()
            ],
            "an empty file is a new database"
        );
        // SQLite itself drops the WAL of a file that is not a database when it closes it;
        // none is left to be applied to the new file either way.
        assert!(!paths.heal_db().exists() && !suffixed(&paths.heal_db(), "-wal").exists());
        let aside = PathBuf::from(&replaced[0].moved_to);
        assert_eq!(std::fs::read(&aside).unwrap(), b"garbage garbage garbage");
    }
}
