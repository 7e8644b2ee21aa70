//! Stopping a service completely: the configured signal to its process group and to every
//! descendant found by walking `/proc` (including those that left the group or lost their
//! parent), SIGKILL after the timeout, and "stopped" only once nothing is left.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use crate::procfs::process::{ProcId, ProcStat, ProcessTable, descendants, is_alive};

/// What identifies a service's processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopTarget {
    /// The pane's process (the service's main process).
    pub root: Option<ProcId>,
    /// Descendants seen while the service ran.
    pub tracked: Vec<ProcId>,
    /// Value of `UC_INSTANCE` in the service's environment.
    pub instance: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopOutcome {
    /// SIGKILL was needed.
    pub forced: bool,
    pub elapsed: Duration,
    /// PIDs still alive when we gave up (processes in uninterruptible sleep); normally empty.
    pub leftover: Vec<u32>,
}

/// After SIGKILL, how long to wait for the kernel to reap before reporting leftovers.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// Every live process of the service. `deep` also reads every process's environment for the
/// instance marker: thorough, but too costly to do on every poll.
pub fn members(table: &ProcessTable, target: &StopTarget, deep: bool) -> Vec<ProcStat> {
    let mut roots: Vec<u32> = target
        .tracked
        .iter()
        .chain(target.root.iter())
        .filter(|id| {
            table
                .get(id.pid)
                .is_some_and(|p| p.start_ticks == id.start_ticks)
        })
        .map(|id| id.pid)
        .collect();
    if let Some(root) = target.root.filter(|r| roots.contains(&r.pid)) {
        roots.extend(table.group(root.pid).iter().map(|p| p.pid));
    }
    if deep {
        roots.extend(table.with_instance(&target.instance).iter().map(|p| p.pid));
    }
    let mut seen = HashSet::new();
    table
        .tree(&roots)
        .into_iter()
        .filter(|p| seen.insert(p.pid))
        .collect()
}

/// Send `signal` to every member: whole groups where the member leads one (so a shell's
/// children go too), single processes otherwise (never a group we do not lead).
fn signal_all(procs: &[ProcStat], signal: Signal) {
    let pids: HashSet<u32> = procs.iter().map(|p| p.pid).collect();
    for p in procs {
        let pid = Pid::from_raw(p.pid as i32);
        if p.pgrp == p.pid {
            let _ = killpg(pid, signal);
        } else if !pids.contains(&p.pgrp) {
            let _ = kill(pid, signal);
        }
    }
}

async fn scan(target: &StopTarget) -> Vec<ProcStat> {
    let target = target.clone();
    tokio::task::spawn_blocking(move || members(&ProcessTable::scan(), &target, true))
        .await
        .unwrap_or_default()
}

/// Stop every process of the service; returns once none is left (or SIGKILL failed).
pub async fn stop_tree(target: &StopTarget, signal: Signal, timeout: Duration) -> StopOutcome {
    let start = Instant::now();
    let mut signalled: HashSet<ProcId> = HashSet::new();
    let mut forced = false;
    let mut poll = Duration::from_millis(10);
    loop {
        let live = scan(target).await;
        if live.is_empty() {
            return StopOutcome {
                forced,
                elapsed: start.elapsed(),
                leftover: Vec::new(),
            };
        }
        if start.elapsed() >= timeout + KILL_GRACE && forced {
            return StopOutcome {
                forced,
                elapsed: start.elapsed(),
                leftover: live.iter().map(|p| p.pid).collect(),
            };
        }
        if start.elapsed() >= timeout {
            forced = true;
            signal_all(&live, Signal::SIGKILL);
        } else {
            // Processes forked during the stop get the signal too, each once.
            let fresh: Vec<ProcStat> = live
                .into_iter()
                .filter(|p| signalled.insert(p.identity()))
                .collect();
            signal_all(&fresh, signal);
        }
        tokio::time::sleep(poll).await;
        poll = (poll * 2).min(Duration::from_millis(100));
    }
}

/// Descendants worth remembering for a running service: those outside its process group,
/// which a signal to the group would miss. Group members are found again at stop time, so
/// the short-lived children of a busy shell loop cause no churn here. Walks the children
/// links from the main process and the descendants already remembered: no scan of `/proc`.
pub fn track(target: &StopTarget) -> Vec<ProcId> {
    let group = target.root.map(|r| r.pid);
    let roots: Vec<u32> = target
        .root
        .iter()
        .chain(&target.tracked)
        .filter(|id| is_alive(**id))
        .map(|id| id.pid)
        .collect();
    descendants(&roots)
        .iter()
        .filter(|p| Some(p.pgrp) != group)
        .map(ProcStat::identity)
        .collect()
}
