//! What restarts a running service besides a failed liveness probe, as PM2 and
//! process-compose users expect: memory above `max_memory` for a while, a changed file under
//! `watch`, a `cron_restart` schedule. Each trigger is a task that reports [`Fired`]; the
//! supervisor decides what a firing means for the service's state.

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::config::Triggers;
use crate::protocol::Hub;

mod cron;
mod memory;
mod watch;

/// A trigger asks for a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub service: String,
    pub kind: TriggerKind,
    /// For people: `memory 612 MiB above max_memory 512 MiB for 10s`, `changed: src/main.rs`.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    Memory,
    Watch,
    Cron,
    /// The workspace passed its memory quota and this service uses the most: it is stopped.
    Quota,
}

/// The triggers that live as long as the user wants the service up (a file change also
/// brings back a service that crashed: the dev loop's fix-and-save).
pub fn spawn_lasting(
    service: &str,
    triggers: &Triggers,
    fired: &mpsc::UnboundedSender<Fired>,
) -> Vec<AbortHandle> {
    let mut tasks = Vec::new();
    if let Some(watch) = &triggers.watch {
        let task = tokio::spawn(watch::run(service.to_owned(), watch.clone(), fired.clone()));
        tasks.push(task.abort_handle());
    }
    if let Some(pattern) = &triggers.cron_restart {
        let task = tokio::spawn(cron::run(
            service.to_owned(),
            pattern.clone(),
            fired.clone(),
        ));
        tasks.push(task.abort_handle());
    }
    tasks
}

/// The triggers of one run of the service: `max_memory` reads the metrics sampler's
/// readings of its process tree from `hub`.
pub fn spawn_for_run(
    service: &str,
    triggers: &Triggers,
    hub: &Hub,
    fired: &mpsc::UnboundedSender<Fired>,
) -> Option<AbortHandle> {
    let limit = triggers.max_memory?;
    let (_, events) = hub.subscribe();
    let task = tokio::spawn(memory::run(
        service.to_owned(),
        limit,
        events,
        fired.clone(),
    ));
    Some(task.abort_handle())
}
