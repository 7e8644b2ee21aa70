//! The host through one long-lived sysinfo `System` (CPU, memory and disks: only those are
//! refreshed) and `/proc/net/dev` (see [`NetDev`]), and the services' process trees through [`TreeReader`]: one `pread` of
//! `/proc/<pid>/stat` (CPU ticks, threads, RSS) and one of its `children` per process — so
//! the cost grows with the services' trees, not with the number of processes on the machine.
//! sysinfo's targeted process refresh was measured at ~95 µs per process here (it opens
//! about eight files per process per cycle).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, System};

use super::netdev::NetDev;
use super::{DiskSample, HostSample, Sample, ServiceSample};
use crate::procfs::process::{ProcId, open_fds, page_size, started_at_ms};
use crate::procfs::tree::TreeReader;

/// The mount list is re-read this often (in samples); usage every sample.
const RELIST_EVERY: u32 = 30;
/// Open file descriptors are counted this often (in samples): listing `/proc/<pid>/fd`
/// costs more than all the other per-process readings together.
const FDS_EVERY: u32 = 10;

pub struct Sampler {
    system: System,
    disks: Disks,
    nets: NetDev,
    last: Instant,
    trees: TreeReader,
    /// CPU time (ns) of every service process at the previous sample.
    cpu_ns: HashMap<ProcId, u64>,
    cpu_ns_next: HashMap<ProcId, u64>,
    /// Last count of open fds per service (counted every `FDS_EVERY` samples).
    fds: HashMap<String, Option<u32>>,
    samples: u32,
    /// When the previous sample was taken (unix ms); `None` before the first.
    last_at_ms: Option<u64>,
}

impl Sampler {
    /// Takes a first CPU reading, which sysinfo needs as a baseline: the first sample after
    /// this one is meaningful, so no reading is ever reported from a single snapshot.
    pub fn new() -> Result<Self, sysinfo::Error> {
        let mut system = System::new()?;
        system.refresh_cpu_specifics(CpuRefreshKind::nothing().with_usage());
        Ok(Self {
            system,
            disks: Disks::new_with_refreshed_list()?,
            nets: NetDev::default(),
            last: Instant::now(),
            trees: TreeReader::default(),
            cpu_ns: HashMap::new(),
            cpu_ns_next: HashMap::new(),
            fds: HashMap::new(),
            samples: 0,
            last_at_ms: None,
        })
    }

    /// Read everything once. `services` are the running services' main PIDs.
    pub fn sample(&mut self, services: &[(String, u32)], at_ms: u64) -> Sample {
        let elapsed = self.last.elapsed().as_secs_f64().max(1e-3);
        self.last = Instant::now();
        let relist = self.samples % RELIST_EVERY == RELIST_EVERY - 1;
        self.samples += 1;
        let host = self.host(elapsed, relist);
        let services = self.services(services, elapsed);
        self.last_at_ms = Some(crate::clock::now_ms());
        Sample {
            at: at_ms,
            anomalies: Vec::new(),
            host,
            services,
        }
    }

    fn host(&mut self, elapsed: f64, relist: bool) -> HostSample {
        self.system
            .refresh_cpu_specifics(CpuRefreshKind::nothing().with_usage());
        self.system
            .refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram().with_swap());
        let load = System::load_average().unwrap_or(sysinfo::LoadAvg {
            one: 0.0,
            five: 0.0,
            fifteen: 0.0,
        });
        HostSample {
            cpu_pct: self.system.global_cpu_usage(),
            cores: self.system.cpus().iter().map(|c| c.usage()).collect(),
            load: [load.one as f32, load.five as f32, load.fifteen as f32],
            mem_used: self.system.used_memory(),
            mem_total: self.system.total_memory(),
            swap_used: self.system.used_swap(),
            swap_total: self.system.total_swap(),
            disks: self.disks(elapsed, relist),
            nets: self.nets.read(elapsed),
        }
    }

    fn disks(&mut self, elapsed: f64, relist: bool) -> Vec<DiskSample> {
        self.disks.refresh(relist);
        let mut by_mount: BTreeMap<String, DiskSample> = BTreeMap::new();
        for disk in &self.disks {
            let usage = disk.usage();
            let mount = disk.mount_point().to_string_lossy().into_owned();
            by_mount.entry(mount.clone()).or_insert(DiskSample {
                mount,
                used: disk.total_space().saturating_sub(disk.available_space()),
                total: disk.total_space(),
                read_bps: usage.read_bytes as f64 / elapsed,
                write_bps: usage.written_bytes as f64 / elapsed,
                read_total: usage.total_read_bytes,
                write_total: usage.total_written_bytes,
            });
        }
        by_mount.into_values().collect()
    }

    fn services(&mut self, services: &[(String, u32)], elapsed: f64) -> Vec<ServiceSample> {
        let count_fds = self.samples % FDS_EVERY == 1;
        // Reuses last cycle's allocation: this map is rebuilt every sample.
        let mut seen = std::mem::take(&mut self.cpu_ns_next);
        seen.clear();
        let mut out = Vec::with_capacity(services.len());
        for (name, root) in services {
            let tree = self.trees.tree(*root);
            if tree.is_empty() {
                continue;
            }
            let mut s = ServiceSample {
                name: name.clone(),
                ..ServiceSample::default()
            };
            let mut busy_ns = 0u64;
            for p in &tree {
                let id = ProcId {
                    pid: p.pid,
                    start_ticks: p.start_ticks,
                };
                // A process that appeared since the last sample counts from its start; one
                // seen for the first time that is older only sets its baseline.
                let before = match self.cpu_ns.get(&id) {
                    Some(ns) => *ns,
                    None if self.is_new(p.start_ticks) => 0,
                    None => p.cpu_ns,
                };
                busy_ns += p.cpu_ns.saturating_sub(before);
                seen.insert(id, p.cpu_ns);
                s.procs += 1;
                s.threads += p.threads;
                s.rss += p.rss_pages * page_size();
                s.cpu_seconds += p.cpu_ns as f64 / 1e9;
            }
            s.cpu_pct = (busy_ns as f64 / 1e9 / elapsed * 100.0) as f32;
            s.fds = if count_fds {
                let fds = tree.iter().map(|p| open_fds(p.pid)).sum::<Option<u32>>();
                self.fds.insert(name.clone(), fds);
                fds
            } else {
                self.fds.get(name).copied().flatten()
            };
            out.push(s);
        }
        // Only processes alive now are remembered: the table never grows with churn.
        self.cpu_ns_next = std::mem::replace(&mut self.cpu_ns, seen);
        self.trees.end_cycle();
        out
    }

    fn is_new(&self, start_ticks: u64) -> bool {
        self.last_at_ms
            .is_some_and(|last| started_at_ms(start_ticks) + 20 >= last)
    }
}
