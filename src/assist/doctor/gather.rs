//! Reading what the analyzers need, once per diagnosis, off the async runtime: the snapshot
//! the engine holds and the files its workers keep.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::logs::LogLine;
use crate::logs::LogQuery;
use crate::logs::store::StoreReader;
use crate::procfs::net::{self, PortHolder};
use crate::procfs::process;
use crate::protocol::{ServiceState, ServiceStatus, Snapshot};

use super::{Facts, crash_loop, disk, exited, filesystems, probes, records};

/// Log lines older than this say nothing about why a service ends now.
const LOG_WINDOW_MS: u64 = 10 * 60_000;
/// The newest lines read of each crashing service: enough for the last lines of its recent
/// runs, never its whole log.
const CRASH_LINES: usize = 300;

/// Where the facts are: the engine's live state and its files.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub snapshot: Snapshot,
    pub heal_db: PathBuf,
    pub alerts_db: PathBuf,
    pub deploys_db: PathBuf,
    /// The metric history, when history is kept.
    pub history: Option<PathBuf>,
    /// The logs store, when the logs worker runs.
    pub log_store: Option<PathBuf>,
    pub config_db: PathBuf,
    /// The last minutes of the series analyzers read, from the metrics worker's memory.
    pub series: super::series::Series,
    /// The mined log patterns.
    pub patterns: Vec<crate::logs::PatternInfo>,
}

/// The facts as they are now. A source that cannot be read leaves its facts empty: a
/// diagnosis from what could be read beats none.
pub fn gather(sources: &Sources, now_ms: u64) -> Facts {
    let since = now_ms.saturating_sub(records::WINDOW_MS);
    let heal = records::heal_events(&sources.heal_db, since);
    let crashing: Vec<&ServiceStatus> = sources
        .snapshot
        .services
        .iter()
        .filter(|s| crash_loop::crashes(&heal, &s.name).next().is_some() || exited::failed(s))
        .collect();
    let crash_logs = match &sources.log_store {
        Some(store) => crashing
            .iter()
            .map(|s| (s.name.clone(), last_lines(store, &s.name, now_ms)))
            .collect(),
        None => BTreeMap::new(),
    };
    Facts {
        now_ms,
        ports_held: ports_held(&sources.snapshot),
        snapshot: sources.snapshot.clone(),
        heal,
        crash_logs,
        series: sources.series.clone(),
        memory_limits: records::memory_limits(&sources.config_db),
        filesystems: filesystems::read(&workspace_dirs(sources), &sources.series, now_ms, &|fs| {
            disk::in_trouble(fs, now_ms)
        }),
        config_changes: records::config_changes(&sources.config_db, since),
        deploys: records::deploys(&sources.deploys_db),
        patterns: sources.patterns.clone(),
        alert_history: records::alert_history(&sources.alerts_db, since),
    }
}

/// A service's newest stored lines of the window, oldest first.
fn last_lines(store: &Path, service: &str, now_ms: u64) -> Vec<LogLine> {
    let query = LogQuery {
        sources: vec![service.to_owned()],
        since: Some(now_ms.saturating_sub(LOG_WINDOW_MS)),
        limit: Some(CRASH_LINES),
        ..LogQuery::default()
    };
    StoreReader::open(store).query(&query).unwrap_or_default()
}

/// For each service that is down or failing a probe, the listeners on its ports that no
/// service of the workspace runs: what keeps it from binding or answers in its place.
fn ports_held(snapshot: &Snapshot) -> BTreeMap<String, Vec<PortHolder>> {
    let wanted: Vec<(&ServiceStatus, Vec<u16>)> = snapshot
        .services
        .iter()
        .filter(|s| in_trouble(s))
        .map(|s| (s, probes::ports(s)))
        .filter(|(_, ports)| !ports.is_empty())
        .collect();
    if wanted.is_empty() {
        return BTreeMap::new();
    }
    let all: Vec<u16> = wanted.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    let roots: Vec<u32> = snapshot
        .services
        .iter()
        .filter(|s| s.state.is_active())
        .filter_map(|s| s.pid)
        .collect();
    let ours: Vec<u32> = process::descendants(&roots).iter().map(|p| p.pid).collect();
    let holders = net::port_holders(&all, &ours);
    let mut held = BTreeMap::new();
    for (service, ports) in wanted {
        let others: Vec<PortHolder> = holders
            .iter()
            .filter(|h| ports.contains(&h.port))
            .filter(|h| h.pid.is_none_or(|pid| !ours.contains(&pid)))
            .cloned()
            .collect();
        if !others.is_empty() {
            held.insert(service.name.clone(), others);
        }
    }
    held
}

/// Down on its own, or up and failing a probe.
fn in_trouble(s: &ServiceStatus) -> bool {
    matches!(
        s.state,
        ServiceState::CrashLooping
            | ServiceState::GaveUp
            | ServiceState::Exited
            | ServiceState::Failed
    ) || s.probes.iter().any(|p| p.last_ok == Some(false))
}

/// The workspace's directory, its state directory and the captured logs in it.
fn workspace_dirs(sources: &Sources) -> Vec<(&'static str, PathBuf)> {
    let mut dirs = Vec::new();
    let file = sources
        .snapshot
        .config_file
        .as_deref()
        .map(std::path::Path::new);
    if let Some(dir) = file.and_then(std::path::Path::parent) {
        dirs.push(("workspace", dir.to_path_buf()));
    }
    if let Some(state) = sources.heal_db.parent() {
        dirs.push(("state", state.to_path_buf()));
        dirs.push(("logs", state.join("logs")));
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heal::event::{HealEvent, HealKind};
    use crate::store::HealLog;

    #[test]
    fn heal_events_of_the_window_and_the_holders_of_a_crashing_service_ports_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let heal_db = dir.path().join("heal.db");
        let log = HealLog::open(&heal_db).expect("heal.db");
        let now = 1_000_000_000;
        for (at, reason) in [
            (1_000, "too old"),
            (now - 2_000, "exited with code 3; restarting in 1s"),
        ] {
            let event = HealEvent {
                at,
                ..HealEvent::new(Some("api"), HealKind::Backoff, reason)
            };
            log.record(&event).expect("record");
        }
        let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = held.local_addr().expect("addr").port();
        let mut api = ServiceStatus::new("api");
        api.state = ServiceState::CrashLooping;
        api.ports = vec![port];
        let mut fine = ServiceStatus::new("web");
        fine.state = ServiceState::Running;
        fine.ports = vec![port];
        let mut sources = Sources {
            snapshot: Snapshot {
                services: vec![api, fine],
                ..Snapshot::default()
            },
            heal_db,
            ..Sources::default()
        };
        let facts = gather(&sources, now);
        assert_eq!(facts.heal.len(), 1, "only the window's events");
        assert!(facts.crash_logs.is_empty(), "no logs store, no lines");
        let holders = &facts.ports_held["api"];
        assert_eq!(holders[0].pid, Some(std::process::id()));
        assert!(
            !facts.ports_held.contains_key("web"),
            "web is running and fine"
        );
        // The listener is one of the workspace's processes: web's.
        sources.snapshot.services[1].pid = Some(std::process::id());
        assert!(gather(&sources, now).ports_held.is_empty());
    }
}
