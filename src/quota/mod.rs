//! Quotas per workspace (`quotas:`): the watcher that measures their usage for the snapshot
//! (`Event::Quota`) and holds the memory quota, the cgroup v2 group that lets the kernel
//! hold memory and CPU when the host delegates one, and the per-minute count of API calls.
//!
//! Starts beyond the services, memory or CPU quota are refused by the supervisor; the logs
//! store keeps at most `log_retention`; the API answers 429 past `requests_per_minute`.
//! Without a cgroup, memory is held here: two samples in a row above the quota stop the
//! service using the most (through the supervisor, on record as `system`).

mod cgroup;
mod rate;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc};

pub use rate::Rate;

use crate::config::{Quota, Quotas};
use crate::heal::triggers::{Fired, TriggerKind};
use crate::metrics::sample::Sample;
use crate::protocol::quota::{QuotaKind, QuotaStatus, Usage, exceeded};
use crate::protocol::{Event, Hub, NoticeLevel, ServiceState};
use crate::store::{AuditRecord, Auditor};

/// Samples in a row above the memory quota before a service is stopped: one short spike
/// (a GC, a build step) is let pass.
const OVER_SAMPLES: u32 = 2;
/// How often the stored logs are measured.
const LOG_CHECK: Duration = Duration::from_secs(10);

/// The quotas in force, shared by the watcher and the API; replaced when a config applies.
#[derive(Clone, Default)]
pub struct Limits(Arc<RwLock<Quotas>>);

impl Limits {
    pub fn new(quotas: Quotas) -> Self {
        Self(Arc::new(RwLock::new(quotas)))
    }

    pub fn get(&self) -> Quotas {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, quotas: Quotas) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = quotas;
    }
}

/// What the watcher reads and tells.
pub struct Watch {
    pub hub: Hub,
    pub limits: Limits,
    pub rate: Rate,
    /// The logs store's directory, measured for `log_retention`.
    pub log_store: Option<PathBuf>,
    /// The supervisor's trigger queue: a service to stop for the memory quota.
    pub stop: mpsc::UnboundedSender<Fired>,
    pub auditor: Auditor,
}

/// Sets up the cgroup when the host delegates one and starts the watcher.
pub fn spawn(watch: Watch) {
    let quotas = watch.limits.get();
    let workspace = watch.hub.workspace();
    let group = if quotas.memory.is_some() || quotas.cpu.is_some() {
        match cgroup::set_up(&workspace, &quotas) {
            Ok(group) => Some(group),
            Err(why) => {
                tracing::info!("memory and cpu quotas held by the engine: no cgroup ({why})");
                None
            }
        }
    } else {
        None
    };
    let (snapshot, events) = watch.hub.subscribe();
    let services = (snapshot.services.iter())
        .map(|s| (s.name.clone(), (s.state, s.pid)))
        .collect();
    let state = State {
        watch,
        workspace,
        group,
        services,
        sample: None,
        log_bytes: 0,
        log_checked: None,
        over: 0,
        stopping: HashSet::new(),
        oom_kills: 0,
        published: None,
    };
    tokio::spawn(state.run(events));
}

struct State {
    watch: Watch,
    workspace: String,
    group: Option<cgroup::Group>,
    services: HashMap<String, (ServiceState, Option<u32>)>,
    sample: Option<Box<Sample>>,
    log_bytes: u64,
    log_checked: Option<Instant>,
    /// Samples in a row above the memory quota.
    over: u32,
    /// Services stopped for the memory quota and not down yet.
    stopping: HashSet<String>,
    oom_kills: u64,
    published: Option<QuotaStatus>,
}

impl State {
    async fn run(mut self, mut events: broadcast::Receiver<Event>) {
        for (pid, name) in self.pids() {
            self.adopt(&name, pid);
        }
        loop {
            match events.recv().await {
                Ok(Event::Service(status)) => {
                    let was = self.services.get(&status.name).copied();
                    let now = (status.state, status.pid);
                    if let Some(pid) = status.pid.filter(|_| was.is_none_or(|w| w.1 != now.1)) {
                        self.adopt(&status.name, pid);
                    }
                    if !status.state.is_active() {
                        self.stopping.remove(&status.name);
                    }
                    self.services.insert(status.name, now);
                }
                Ok(Event::ServiceRemoved { service }) => {
                    self.services.remove(&service);
                }
                Ok(Event::Metrics(sample)) => {
                    self.sample = Some(sample);
                    self.measure_logs().await;
                    self.hold_memory();
                }
                Ok(Event::Shutdown) | Err(broadcast::error::RecvError::Closed) => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
            }
            self.publish();
        }
    }

    fn pids(&self) -> Vec<(u32, String)> {
        (self.services.iter())
            .filter_map(|(name, (_, pid))| pid.map(|p| (p, name.clone())))
            .collect()
    }

    /// A service's new main process goes into the workspace's cgroup.
    fn adopt(&self, name: &str, pid: u32) {
        if let Some(group) = &self.group
            && let Err(e) = group.adopt(pid)
        {
            tracing::warn!("cannot move {name} (pid {pid}) into the quota cgroup: {e}");
        }
    }

    async fn measure_logs(&mut self) {
        let (Some(dir), Some(_)) = (&self.watch.log_store, self.watch.limits.get().log_retention)
        else {
            return;
        };
        if self.log_checked.is_some_and(|t| t.elapsed() < LOG_CHECK) {
            return;
        }
        self.log_checked = Some(Instant::now());
        let dir = dir.clone();
        self.log_bytes = tokio::task::spawn_blocking(move || dir_bytes(&dir))
            .await
            .unwrap_or(0);
    }

    fn usage(&self) -> QuotaStatus {
        let quotas = self.watch.limits.get();
        let services = self
            .services
            .values()
            .filter(|(s, _)| s.is_active())
            .count();
        let (rss, cpu) = self.sample.as_ref().map_or((0, 0.0), |s| {
            let rss = s.services.iter().map(|s| s.rss).sum::<u64>();
            let cpu = s.services.iter().map(|s| f64::from(s.cpu_pct)).sum::<f64>();
            (rss, cpu / 100.0)
        });
        let rpm = self.watch.rate.used(crate::clock::now_ms());
        QuotaStatus {
            services: usage(services as f64, quotas.services.as_ref()),
            memory: usage(rss as f64, quotas.memory.as_ref()),
            cpu: usage(cpu, quotas.cpu.as_ref()),
            log_retention: usage(self.log_bytes as f64, quotas.log_retention.as_ref()),
            requests_per_minute: usage(f64::from(rpm), quotas.requests_per_minute.as_ref()),
            enforcement: (quotas.memory.is_some() || quotas.cpu.is_some()).then(|| {
                self.group.as_ref().map_or_else(
                    || "engine".to_owned(),
                    |g| format!("cgroup {}", g.dir.display()),
                )
            }),
        }
    }

    /// Above the memory quota: the kernel acts on a cgroup (its kills are reported); without
    /// one, the service using the most is stopped once the readings stay above.
    fn hold_memory(&mut self) {
        if let Some(group) = &self.group {
            let kills = group.oom_kills();
            if kills > self.oom_kills {
                self.oom_kills = kills;
                let text = "the kernel killed a process for the memory quota (cgroup)";
                self.watch.hub.notice(NoticeLevel::Error, None, text);
                self.audit(None, "quota oom-kill", text.to_owned());
            }
            return;
        }
        let status = self.usage();
        let Some(memory) = status.memory.filter(|m| m.used > m.limit) else {
            self.over = 0;
            return;
        };
        self.over += 1;
        if self.over < OVER_SAMPLES {
            return;
        }
        let largest = (self.sample.iter())
            .flat_map(|s| s.services.iter())
            .filter(|s| !self.stopping.contains(&s.name))
            .max_by_key(|s| s.rss);
        let Some(largest) = largest else {
            return;
        };
        let service = largest.name.clone();
        let reason = exceeded(QuotaKind::Memory, &memory, &self.workspace).message;
        self.over = 0;
        self.stopping.insert(service.clone());
        self.audit(Some(&service), "quota stop", reason.clone());
        let _ = self.watch.stop.send(Fired {
            service,
            kind: TriggerKind::Quota,
            reason,
        });
    }

    fn audit(&self, service: Option<&str>, action: &str, reason: String) {
        let mut record = AuditRecord::now("system", "system", action, "ok");
        record.workspace = Some(self.workspace.clone());
        record.target = service.map(str::to_owned);
        record.reason = Some(reason);
        self.watch.auditor.record(record);
    }

    fn publish(&mut self) {
        let status = self.usage();
        if status.is_empty() || self.published.as_ref() == Some(&status) {
            return;
        }
        self.published = Some(status.clone());
        self.watch.hub.publish(Event::Quota(Box::new(status)));
    }
}

fn usage<T: crate::config::Amount>(used: f64, quota: Option<&Quota<T>>) -> Option<Usage> {
    quota.map(|q| Usage {
        used,
        limit: q.amount(),
        at: q.at.clone(),
    })
}

/// Bytes of the files under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}
