//! One sampling cycle's readings: the machine and every running service's process tree.
//! Carried in the engine's event stream (`Event::Metrics`) and flattened into series for the
//! ring buffers, the history store and the Prometheus exposition.

use serde::{Deserialize, Serialize};

use super::series::{Metric, SeriesKey};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Unix time in milliseconds.
    pub at: u64,
    pub host: HostSample,
    /// Running services only, in workspace order.
    pub services: Vec<ServiceSample>,
    /// Series the engine's detectors flag at this sample (`metrics::anomaly`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anomalies: Vec<super::series::Anomaly>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostSample {
    /// All cores, 0–100.
    pub cpu_pct: f32,
    /// Each core, 0–100.
    pub cores: Vec<f32>,
    /// 1, 5 and 15 minute load averages.
    pub load: [f32; 3],
    pub mem_used: u64,
    pub mem_total: u64,
    pub swap_used: u64,
    pub swap_total: u64,
    pub disks: Vec<DiskSample>,
    pub nets: Vec<NetSample>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiskSample {
    pub mount: String,
    pub used: u64,
    pub total: u64,
    /// Bytes per second since the previous sample.
    pub read_bps: f64,
    pub write_bps: f64,
    /// Bytes since boot (Prometheus counters).
    pub read_total: u64,
    pub write_total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetSample {
    pub iface: String,
    /// Bytes per second since the previous sample.
    pub rx_bps: f64,
    pub tx_bps: f64,
    /// Bytes since boot (Prometheus counters).
    pub rx_total: u64,
    pub tx_total: u64,
}

/// A service's whole process tree (its main process and every descendant), summed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceSample {
    pub name: String,
    /// Percent of one core; above 100 when several cores are busy.
    pub cpu_pct: f32,
    /// Resident memory in bytes.
    pub rss: u64,
    pub threads: u32,
    /// Open file descriptors, where readable.
    pub fds: Option<u32>,
    /// Processes in the tree.
    pub procs: u32,
    /// CPU time used by the live processes of the tree, in seconds.
    pub cpu_seconds: f64,
}

impl DiskSample {
    pub fn used_pct(&self) -> f64 {
        pct(self.used, self.total)
    }
}

impl HostSample {
    pub fn mem_pct(&self) -> f64 {
        pct(self.mem_used, self.mem_total)
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

impl Sample {
    /// Unix time in seconds, as series points carry it.
    pub fn t(&self) -> f64 {
        self.at as f64 / 1000.0
    }

    /// Every reading as one point of a named series.
    pub fn points(&self) -> Vec<(SeriesKey, f64)> {
        let h = &self.host;
        let mut out = vec![
            (SeriesKey::host(Metric::HostCpu), f64::from(h.cpu_pct)),
            (SeriesKey::host(Metric::Load1), f64::from(h.load[0])),
            (SeriesKey::host(Metric::MemUsed), h.mem_used as f64),
            (SeriesKey::host(Metric::MemTotal), h.mem_total as f64),
            (SeriesKey::host(Metric::SwapUsed), h.swap_used as f64),
        ];
        for (i, core) in h.cores.iter().enumerate() {
            out.push((
                SeriesKey::new(Metric::CoreCpu, i.to_string()),
                f64::from(*core),
            ));
        }
        for d in &h.disks {
            out.push((SeriesKey::new(Metric::DiskUsedPct, &d.mount), d.used_pct()));
            out.push((SeriesKey::new(Metric::DiskReadBps, &d.mount), d.read_bps));
            out.push((SeriesKey::new(Metric::DiskWriteBps, &d.mount), d.write_bps));
        }
        for n in &h.nets {
            out.push((SeriesKey::new(Metric::NetRxBps, &n.iface), n.rx_bps));
            out.push((SeriesKey::new(Metric::NetTxBps, &n.iface), n.tx_bps));
        }
        for s in &self.services {
            out.push((
                SeriesKey::new(Metric::ServiceCpu, &s.name),
                f64::from(s.cpu_pct),
            ));
            out.push((SeriesKey::new(Metric::ServiceRss, &s.name), s.rss as f64));
            out.push((
                SeriesKey::new(Metric::ServiceThreads, &s.name),
                f64::from(s.threads),
            ));
            if let Some(fds) = s.fds {
                out.push((SeriesKey::new(Metric::ServiceFds, &s.name), f64::from(fds)));
            }
        }
        out
    }

    pub fn service(&self, name: &str) -> Option<&ServiceSample> {
        self.services.iter().find(|s| s.name == name)
    }
}
