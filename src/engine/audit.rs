//! What the engine does on its own, on record as actor `system`: a restart or a give-up of
//! the restart policy (via `system`), a playbook an alert rule ran (via `playbook`), a
//! deploy rolled back by its gate (via `system`). What a user asked for is audited where
//! the call arrived (`api::audit`), so a playbook run by `uc heal run` or a rollback by hand
//! is not recorded twice. It also tells frontends when a record was appended
//! ([`watch`]), so an audit pane follows without polling.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use tokio::sync::broadcast::error::RecvError;

use crate::deploy::model::{DeployState, Deployment};
use crate::heal::event::{HealEvent, HealKind};
use crate::protocol::{Event, Hub};
use crate::store::{AuditRecord, Auditor};

/// The trigger `api::heal::run_playbook` names: a user's run, audited as their call.
const BY_HAND: &str = " (uc heal run)";

/// Records the engine's own actions from the bus until it closes.
pub fn spawn(hub: &Hub, auditor: Auditor) -> std::io::Result<std::thread::JoinHandle<()>> {
    let (_, mut events) = hub.subscribe();
    let workspace = hub.workspace();
    std::thread::Builder::new()
        .name("uc-audit-system".into())
        .spawn(move || {
            let mut rolled_back = HashSet::new();
            loop {
                let record = match events.blocking_recv() {
                    Ok(Event::Heal(event)) => of_heal(&event),
                    // Stages publish the deploy again: recorded once.
                    Ok(Event::Deploy(deploy)) => {
                        of_deploy(&deploy).filter(|_| rolled_back.insert(deploy.id))
                    }
                    Ok(_) => None,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!("the audit of system actions missed {missed} events");
                        None
                    }
                    Err(RecvError::Closed) => return,
                };
                if let Some(mut record) = record {
                    record.workspace = Some(workspace.clone());
                    auditor.record(record);
                }
            }
        })
}

fn of_heal(event: &HealEvent) -> Option<AuditRecord> {
    let (via, action) = match event.kind {
        HealKind::Restart => ("system", "heal restart"),
        HealKind::GaveUp => ("system", "heal gave-up"),
        HealKind::Playbook if !event.reason.ends_with(BY_HAND) => ("playbook", "playbook run"),
        _ => return None,
    };
    let mut record = AuditRecord::now("system", via, action, "ok");
    record.target.clone_from(&event.service);
    record.reason = Some(event.reason.clone());
    Some(record)
}

/// A deploy its gate rolled back (a rollback by hand has trigger `rollback`).
fn of_deploy(deploy: &Deployment) -> Option<AuditRecord> {
    if deploy.state != DeployState::RolledBack || deploy.trigger == "rollback" {
        return None;
    }
    let mut record = AuditRecord::now("system", "system", "deploy rollback", "ok");
    record.target = Some(deploy.service.clone());
    record.reason = deploy.cause.clone();
    Some(record)
}

/// Publishes [`Event::Audit`] each time the workspace's `audit.jsonl` or `uc serve`'s
/// (`<state>/.serve/`, made here when missing, as `uc serve` makes it) is written: the API's
/// records are appended by another process. The directories are watched, as the files may
/// not exist yet. Watching ends when the returned watcher is dropped; `None` when inotify
/// refused (a pane then shows what it read when it opened).
pub fn watch(hub: &Hub, log: &Path) -> Option<RecommendedWatcher> {
    let own = log.parent()?.to_path_buf();
    let serve = own.parent()?.join(".serve");
    if let Err(e) = crate::paths::private_dir(&serve) {
        tracing::debug!("not watching {}: {e}", serve.display());
    }
    let logs: [PathBuf; 2] = [log.to_path_buf(), serve.join("audit.jsonl")];
    let hub = hub.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let written = matches!(event.kind, EventKind::Modify(_) | EventKind::Create(_));
        if written && event.paths.iter().any(|p| logs.contains(p)) {
            hub.publish(Event::Audit);
        }
    });
    let mut watcher = watcher
        .inspect_err(|e| tracing::warn!("new audit records will not be announced: {e}"))
        .ok()?;
    for dir in [&own, &serve] {
        if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
            tracing::warn!(
                "new audit records in {} will not be announced: {e}",
                dir.display()
            );
        }
    }
    Some(watcher)
}
