//! `uc doctor`: small analyzers, each reading the [`Facts`] gathered once from the engine's
//! snapshot and files, each answering the faults it knows with evidence and allowlisted
//! actions. [`diagnose`] runs them all and ranks what they found. No analyzer acts.

mod alert_noise;
mod changes;
mod config;
mod cpu;
mod crash_loop;
mod deploys;
mod deps;
mod disk;
mod exited;
mod filesystems;
mod gather;
mod memory;
mod ports;
mod probes;
mod records;
pub mod series;
mod trend;

pub use gather::{Sources, gather};

use crate::assist::finding::{Diagnosis, Finding};
use crate::protocol::Snapshot;

/// Everything the analyzers read, gathered before any runs so they stay pure functions.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub now_ms: u64,
    pub snapshot: Snapshot,
    /// The heal events of the last minutes, oldest first.
    pub heal: Vec<crate::heal::event::HealEvent>,
    /// The newest log lines of each service that ended on its own lately, oldest first.
    pub crash_logs: std::collections::BTreeMap<String, Vec<crate::logs::LogLine>>,
    /// Listeners on a troubled service's ports that no service of the workspace runs.
    pub ports_held: std::collections::BTreeMap<String, Vec<crate::procfs::net::PortHolder>>,
    /// The last minutes of services' memory and CPU, host CPU and disks.
    pub series: series::Series,
    /// Each service's `max_memory`, bytes, as applied.
    pub memory_limits: std::collections::BTreeMap<String, u64>,
    /// The file systems holding the workspace, its state and its logs.
    pub filesystems: Vec<filesystems::Filesystem>,
    /// Config revisions applied in the last [`records::WINDOW_MS`], oldest first.
    pub config_changes: Vec<records::ConfigChange>,
    /// The newest deploys, newest first.
    pub deploys: Vec<crate::deploy::model::Deployment>,
    /// The mined log patterns.
    pub patterns: Vec<crate::logs::PatternInfo>,
    /// The alert journal of the window, oldest first.
    pub alert_history: Vec<crate::store::journal::Entry>,
}

pub type Analyzer = fn(&Facts) -> Vec<Finding>;

/// Every analyzer, by the name its findings carry.
pub const ANALYZERS: &[(&str, Analyzer)] = &[
    ("dependency_down", deps::analyze),
    ("dependency_slow", deps::slow),
    ("crash_loop", crash_loop::analyze),
    ("service_exited", exited::analyze),
    ("probe_failing", probes::analyze),
    ("port_taken", ports::analyze),
    ("config_invalid", config::invalid),
    ("config_not_applied", config::not_applied),
    ("memory_growth", memory::analyze),
    ("cpu_saturation", cpu::analyze),
    ("disk_filling", disk::analyze),
    ("deploy_failed", deploys::analyze),
    ("what_changed", changes::analyze),
    ("alert_storm", alert_noise::storm),
    ("flapping_rule", alert_noise::flapping),
];

/// Every analyzer's findings, most important first; with `service`, those about it, about
/// what it depends on, and those about the whole workspace.
pub fn diagnose(facts: &Facts, service: Option<&str>) -> Diagnosis {
    let mut findings: Vec<Finding> = ANALYZERS
        .iter()
        .flat_map(|(_, analyze)| analyze(facts))
        .collect();
    if let Some(name) = service {
        let related = related(&facts.snapshot, name);
        findings.retain(|f| f.service.as_ref().is_none_or(|s| related.contains(s)));
    }
    rank(&mut findings);
    Diagnosis {
        at_ms: facts.now_ms,
        service: service.map(str::to_owned),
        findings,
        analyzers: ANALYZERS.iter().map(|(n, _)| (*n).to_owned()).collect(),
    }
}

/// Severity first; within it the finding nearest the root cause, then the oldest fault.
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(b.rank.cmp(&a.rank)).then(
            a.since_ms
                .unwrap_or(u64::MAX)
                .cmp(&b.since_ms.unwrap_or(u64::MAX)),
        )
    });
}

/// `name` and everything it depends on in this workspace, transitively.
fn related(snapshot: &Snapshot, name: &str) -> Vec<String> {
    let mut found = vec![name.to_owned()];
    let mut i = 0;
    while i < found.len() {
        if let Some(s) = snapshot.service(&found[i]) {
            for dep in &s.depends_on {
                if !found.contains(dep) {
                    found.push(dep.clone());
                }
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::finding::Severity;

    fn finding(analyzer: &str, severity: Severity, rank: u8, since: Option<u64>) -> Finding {
        Finding {
            analyzer: analyzer.into(),
            severity,
            rank,
            service: None,
            cause: String::new(),
            evidence: vec![],
            actions: vec![],
            since_ms: since,
        }
    }

    #[test]
    fn severity_then_root_then_age_orders_findings() {
        let mut f = vec![
            finding("late", Severity::Warning, 0, Some(20)),
            finding("info", Severity::Info, 9, Some(1)),
            finding("early", Severity::Warning, 0, Some(10)),
            finding("root", Severity::Warning, 5, None),
            finding("crit", Severity::Critical, 0, None),
        ];
        rank(&mut f);
        let order: Vec<&str> = f.iter().map(|f| f.analyzer.as_str()).collect();
        assert_eq!(order, ["crit", "root", "early", "late", "info"]);
    }
}
