//! Evaluating a selector against the readings: one call per element, nothing allocated
//! (but for `anomaly`, which walks the sample's series).

use super::{DiskMetric, Expr, HostMetric, Metric, NetMetric, ProcessMetric, Source, StateMetric};
use crate::alerts::readings::{ProbeTarget, Readings};
use crate::metrics::{DiskSample, HostSample, NetSample, ServiceSample};
use crate::protocol::{Health, ServiceState, ServiceStatus};

impl Expr {
    /// Calls `each(label value, value)` for every element the selector yields now that its
    /// matchers accept. The label value is that of [`Expr::series_label`], `""` for
    /// host-wide metrics. Elements without a reading are not yielded.
    pub fn for_each(&self, readings: &dyn Readings, each: &mut dyn FnMut(&str, f64)) {
        let mut emit = |label: &str, value: f64| {
            if self.matchers.iter().all(|m| m.matches_value(label)) {
                each(label, value);
            }
        };
        match &self.source {
            Source::Metric(metric) => metric_elements(*metric, readings, &mut emit),
            Source::RestartsIn(window) => {
                for service in readings.services() {
                    emit(&service.name, readings.restarts_in(&service.name, *window));
                }
            }
            Source::Probe { probe, instance } => {
                if let Some(ok) = readings.probe(probe) {
                    emit(instance, f64::from(u8::from(ok)));
                }
            }
            Source::Log(query) => {
                if let Some(count) = readings.log_count(query) {
                    emit(&query.service, count);
                }
            }
            Source::Anomaly { series, window } => {
                let Some(sample) = readings.sample() else {
                    return;
                };
                for (key, _) in sample.points() {
                    if key.metric == *series {
                        let flagged = readings.anomalous(&key, *window);
                        emit(&key.label, f64::from(u8::from(flagged)));
                    }
                }
            }
        }
    }
}

fn metric_elements(metric: Metric, readings: &dyn Readings, emit: &mut dyn FnMut(&str, f64)) {
    if metric == Metric::LogPattern {
        for (pattern, lines) in readings.log_patterns() {
            emit(&pattern, lines);
        }
        return;
    }
    if metric == Metric::Escalated {
        for service in readings.escalations() {
            emit(&service, 1.0);
        }
        return;
    }
    if metric == Metric::DeployFailed {
        for service in readings.failed_deploys() {
            emit(&service, 1.0);
        }
        return;
    }
    if metric == Metric::DeclaredPorts {
        for service in readings.services() {
            if let Some(open) = declared_ports_open(service, readings) {
                emit(&service.name, f64::from(u8::from(open)));
            }
        }
        return;
    }
    if metric == Metric::DiskFull {
        if let Some(storage) = readings.storage() {
            emit(
                &storage.dir,
                f64::from(u8::from(storage.disk_full.is_some())),
            );
        }
        return;
    }
    if let Metric::State(state) = metric {
        for service in readings.services() {
            if let Some(value) = state_value(state, service) {
                emit(&service.name, value);
            }
        }
        return;
    }
    let Some(sample) = readings.sample() else {
        return;
    };
    let host = &sample.host;
    match metric {
        Metric::LogPattern
        | Metric::Escalated
        | Metric::DeclaredPorts
        | Metric::DiskFull
        | Metric::DeployFailed => {}
        Metric::Host(m) => emit("", host_value(m, host)),
        Metric::Core => {
            for (i, core) in host.cores.iter().enumerate() {
                emit(Digits::of(i).as_str(), f64::from(*core));
            }
        }
        Metric::Disk(m) => {
            for disk in &host.disks {
                emit(&disk.mount, disk_value(m, disk));
            }
        }
        Metric::Net(m) => {
            for net in &host.nets {
                emit(&net.iface, net_value(m, net));
            }
        }
        Metric::Process(m) => {
            for service in &sample.services {
                if let Some(value) = process_value(m, service) {
                    emit(&service.name, value);
                }
            }
        }
        // Handled above: they need no sample.
        Metric::State(_) => {}
    }
}

/// Whether every port a running service declares answers; `None` while it is not running,
/// declares none, or a port has no reading yet.
fn declared_ports_open(service: &ServiceStatus, readings: &dyn Readings) -> Option<bool> {
    if service.state != ServiceState::Running || service.ports.is_empty() {
        return None;
    }
    let mut open = true;
    for probe in ProbeTarget::declared_ports(service) {
        open &= readings.probe(&probe)?;
    }
    Some(open)
}

fn host_value(metric: HostMetric, host: &HostSample) -> f64 {
    match metric {
        HostMetric::Cpu => f64::from(host.cpu_pct),
        HostMetric::Load1 => f64::from(host.load[0]),
        HostMetric::Load5 => f64::from(host.load[1]),
        HostMetric::Load15 => f64::from(host.load[2]),
        HostMetric::MemPct => host.mem_pct(),
        HostMetric::MemUsed => host.mem_used as f64,
        HostMetric::SwapPct => pct(host.swap_used, host.swap_total),
        HostMetric::SwapUsed => host.swap_used as f64,
    }
}

fn disk_value(metric: DiskMetric, disk: &DiskSample) -> f64 {
    match metric {
        DiskMetric::UsedPct => disk.used_pct(),
        DiskMetric::FreePct => 100.0 - disk.used_pct(),
        DiskMetric::Free => disk.total.saturating_sub(disk.used) as f64,
        DiskMetric::ReadBps => disk.read_bps,
        DiskMetric::WriteBps => disk.write_bps,
    }
}

fn net_value(metric: NetMetric, net: &NetSample) -> f64 {
    match metric {
        NetMetric::RxBps => net.rx_bps,
        NetMetric::TxBps => net.tx_bps,
    }
}

fn process_value(metric: ProcessMetric, service: &ServiceSample) -> Option<f64> {
    match metric {
        ProcessMetric::Cpu => Some(f64::from(service.cpu_pct)),
        ProcessMetric::Rss => Some(service.rss as f64),
        ProcessMetric::Threads => Some(f64::from(service.threads)),
        ProcessMetric::Fds => service.fds.map(f64::from),
        ProcessMetric::Procs => Some(f64::from(service.procs)),
    }
}

/// One configured service's element; `None` when it has none (no health check running).
fn state_value(metric: StateMetric, service: &ServiceStatus) -> Option<f64> {
    let flag = |b: bool| f64::from(u8::from(b));
    match metric {
        StateMetric::Up => Some(flag(service.state == ServiceState::Running)),
        StateMetric::Down => Some(flag(matches!(
            service.state,
            ServiceState::Exited
                | ServiceState::Failed
                | ServiceState::CrashLooping
                | ServiceState::GaveUp
        ))),
        // The engine clears `health` while no check runs (the service is stopped).
        StateMetric::Healthy => service.health.map(|h| flag(h == Health::Healthy)),
        StateMetric::Restarts => Some(f64::from(service.restarts)),
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// A core number as a label value, formatted on the stack.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn of(mut n: usize) -> Self {
        let mut digits = Self {
            buf: [b'0'; 20],
            start: 20,
        };
        loop {
            digits.start -= 1;
            // `n % 10` is below 10, so the cast cannot truncate.
            digits.buf[digits.start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return digits;
            }
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Digits;

    #[test]
    fn digits_format_core_numbers() {
        for n in [0, 7, 10, 255, 1_000_007] {
            assert_eq!(Digits::of(n).as_str(), n.to_string());
        }
    }
}
