//! One long-lived sysinfo `System` that reads the host and the process trees of running
//! services. Only what is shown is refreshed: CPU, memory, disks, networks, and the
//! services' own processes (found through `/proc/*/task/*/children`, so the cost does not grow
//! with the number of processes on the machine).

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use sysinfo::{
    CpuRefreshKind, Disks, MemoryRefreshKind, Networks, Pid, ProcessRefreshKind, ProcessesToUpdate,
    System,
};

use super::{DiskSample, HostSample, NetSample, Sample, ServiceSample};
use crate::supervisor::process::tree_via_children;

/// Mount and interface lists are re-read this often (in samples); usage every sample.
const RELIST_EVERY: u32 = 30;

pub struct Sampler {
    system: System,
    disks: Disks,
    networks: Networks,
    last: Instant,
    /// Processes refreshed last time, to drop the ones that died from sysinfo's table.
    last_pids: HashSet<Pid>,
    samples: u32,
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
            networks: Networks::new_with_refreshed_list()?,
            last: Instant::now(),
            last_pids: HashSet::new(),
            samples: 0,
        })
    }

    /// Read everything once. `services` are the running services' main PIDs.
    pub fn sample(&mut self, services: &[(String, u32)], at_ms: u64) -> Sample {
        let elapsed = self.last.elapsed().as_secs_f64().max(1e-3);
        self.last = Instant::now();
        let relist = self.samples % RELIST_EVERY == RELIST_EVERY - 1;
        self.samples += 1;
        let host = self.host(elapsed, relist);
        let services = self.services(services);
        Sample {
            at: at_ms,
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
            nets: self.nets(elapsed, relist),
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

    fn nets(&mut self, elapsed: f64, relist: bool) -> Vec<NetSample> {
        self.networks.refresh(relist);
        let mut nets: Vec<NetSample> = self
            .networks
            .iter()
            .map(|(iface, data)| NetSample {
                iface: iface.to_string_lossy().into_owned(),
                rx_bps: data.received() as f64 / elapsed,
                tx_bps: data.transmitted() as f64 / elapsed,
                rx_total: data.total_received(),
                tx_total: data.total_transmitted(),
            })
            .collect();
        nets.sort_by(|a, b| a.iface.cmp(&b.iface));
        nets
    }

    fn services(&mut self, services: &[(String, u32)]) -> Vec<ServiceSample> {
        let trees: Vec<(&str, Vec<(u32, u32)>)> = services
            .iter()
            .map(|(name, root)| (name.as_str(), tree_via_children(*root)))
            .collect();
        let pids: Vec<Pid> = trees
            .iter()
            .flat_map(|(_, tree)| tree.iter().map(|(pid, _)| Pid::from_u32(*pid)))
            .collect();
        let kind = ProcessRefreshKind::nothing().with_cpu().with_memory();
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::Some(&pids), true, kind);
        self.forget_gone(&pids);
        trees
            .into_iter()
            .filter(|(_, tree)| !tree.is_empty())
            .map(|(name, tree)| self.service(name, &tree))
            .collect()
    }

    fn service(&self, name: &str, tree: &[(u32, u32)]) -> ServiceSample {
        let mut s = ServiceSample {
            name: name.to_string(),
            ..ServiceSample::default()
        };
        let mut fds = Some(0u32);
        for (pid, threads) in tree {
            let Some(p) = self.system.process(Pid::from_u32(*pid)) else {
                continue;
            };
            s.procs += 1;
            s.threads += threads;
            s.cpu_pct += p.cpu_usage();
            s.rss += p.memory();
            s.cpu_seconds += p.accumulated_cpu_time() as f64 / 1000.0;
            fds = match (fds, p.open_files()) {
                (Some(total), Some(n)) => Some(total + n as u32),
                _ => None,
            };
        }
        s.fds = fds;
        s
    }

    /// sysinfo keeps every process it ever refreshed; drop those that left the trees (short
    /// lived children of a shell loop would otherwise pile up).
    fn forget_gone(&mut self, current: &[Pid]) {
        let current: HashSet<Pid> = current.iter().copied().collect();
        let gone: Vec<Pid> = self.last_pids.difference(&current).copied().collect();
        if !gone.is_empty() {
            self.system.refresh_processes_specifics(
                ProcessesToUpdate::Some(&gone),
                true,
                ProcessRefreshKind::nothing(),
            );
        }
        self.last_pids = current;
    }
}
