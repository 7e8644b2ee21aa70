//! The Prometheus text exposition format (version 0.0.4) of the latest sample and the
//! services' states, so one Prometheus can scrape every machine running `uc`.

use std::fmt::Write;

use crate::protocol::{Health, ServiceState, Snapshot};

/// `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Writes one metric family: `# HELP`, `# TYPE`, then its samples.
struct Family<'a> {
    out: &'a mut String,
    workspace: String,
}

impl Family<'_> {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// `labels` are extra `(name, value)` pairs after `workspace`.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let _ = write!(self.out, "{name}{{workspace=\"{}\"", self.workspace);
        for (k, v) in labels {
            let _ = write!(self.out, ",{k}=\"{}\"", escape(v));
        }
        let _ = writeln!(self.out, "}} {}", number(value));
    }

    fn one(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.header(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// Label values escape `\`, `"` and newlines.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

/// The whole exposition for `snapshot`.
pub fn render(snapshot: &Snapshot) -> String {
    let mut out = String::with_capacity(4096);
    let mut f = Family {
        out: &mut out,
        workspace: escape(&snapshot.workspace),
    };
    services(&mut f, snapshot);
    if let Some(sample) = &snapshot.metrics {
        host(&mut f, &sample.host);
        service_usage(&mut f, sample);
    }
    out
}

fn services(f: &mut Family<'_>, snapshot: &Snapshot) {
    f.header("uc_service_up", "gauge", "1 when the service is running.");
    for s in &snapshot.services {
        let up = f64::from(u8::from(s.state == ServiceState::Running));
        f.sample("uc_service_up", &[("service", &s.name)], up);
    }
    f.header(
        "uc_service_healthy",
        "gauge",
        "1 when the service's health check passes (services with a check only).",
    );
    for s in &snapshot.services {
        if let Some(health) = s.health {
            let healthy = f64::from(u8::from(health == Health::Healthy));
            f.sample("uc_service_healthy", &[("service", &s.name)], healthy);
        }
    }
    f.header(
        "uc_service_restarts_total",
        "counter",
        "Starts of the service after its first one.",
    );
    for s in &snapshot.services {
        f.sample(
            "uc_service_restarts_total",
            &[("service", &s.name)],
            f64::from(s.restarts),
        );
    }
}

fn host(f: &mut Family<'_>, h: &super::HostSample) {
    f.one(
        "uc_host_cpu_percent",
        "gauge",
        "CPU use of the machine, percent of all cores.",
        f64::from(h.cpu_pct),
    );
    f.header(
        "uc_host_core_cpu_percent",
        "gauge",
        "CPU use per core, percent.",
    );
    for (i, core) in h.cores.iter().enumerate() {
        f.sample(
            "uc_host_core_cpu_percent",
            &[("core", &i.to_string())],
            f64::from(*core),
        );
    }
    f.header(
        "uc_host_load",
        "gauge",
        "Load average over 1, 5 and 15 minutes.",
    );
    for (window, load) in ["1m", "5m", "15m"].iter().zip(h.load) {
        f.sample("uc_host_load", &[("window", window)], f64::from(load));
    }
    f.one(
        "uc_host_memory_used_bytes",
        "gauge",
        "Memory in use.",
        h.mem_used as f64,
    );
    f.one(
        "uc_host_memory_total_bytes",
        "gauge",
        "Memory installed.",
        h.mem_total as f64,
    );
    f.one(
        "uc_host_swap_used_bytes",
        "gauge",
        "Swap in use.",
        h.swap_used as f64,
    );
    f.one(
        "uc_host_swap_total_bytes",
        "gauge",
        "Swap available.",
        h.swap_total as f64,
    );
    type DiskField = fn(&super::DiskSample) -> f64;
    let disk: [(&str, &str, &str, DiskField); 4] = [
        (
            "uc_disk_used_bytes",
            "gauge",
            "Space used on the mount.",
            |d| d.used as f64,
        ),
        ("uc_disk_total_bytes", "gauge", "Size of the mount.", |d| {
            d.total as f64
        }),
        (
            "uc_disk_read_bytes_total",
            "counter",
            "Bytes read from the mount's device.",
            |d| d.read_total as f64,
        ),
        (
            "uc_disk_written_bytes_total",
            "counter",
            "Bytes written to the mount's device.",
            |d| d.write_total as f64,
        ),
    ];
    for (name, kind, help, value) in disk {
        f.header(name, kind, help);
        for d in &h.disks {
            f.sample(name, &[("mount", &d.mount)], value(d));
        }
    }
    type NetField = fn(&super::NetSample) -> f64;
    let net: [(&str, &str, NetField); 2] = [
        (
            "uc_network_receive_bytes_total",
            "Bytes received on the interface.",
            |n| n.rx_total as f64,
        ),
        (
            "uc_network_transmit_bytes_total",
            "Bytes sent on the interface.",
            |n| n.tx_total as f64,
        ),
    ];
    for (name, help, value) in net {
        f.header(name, "counter", help);
        for n in &h.nets {
            f.sample(name, &[("interface", &n.iface)], value(n));
        }
    }
}

fn service_usage(f: &mut Family<'_>, sample: &super::Sample) {
    type Field = fn(&super::ServiceSample) -> Option<f64>;
    let fields: [(&str, &str, &str, Field); 6] = [
        (
            "uc_service_cpu_percent",
            "gauge",
            "CPU use of the service's process tree, percent of one core.",
            |s| Some(f64::from(s.cpu_pct)),
        ),
        (
            "uc_service_cpu_seconds_total",
            "counter",
            "CPU time of the live processes of the service's tree.",
            |s| Some(s.cpu_seconds),
        ),
        (
            "uc_service_memory_rss_bytes",
            "gauge",
            "Resident memory of the service's process tree.",
            |s| Some(s.rss as f64),
        ),
        (
            "uc_service_threads",
            "gauge",
            "Threads in the service's process tree.",
            |s| Some(f64::from(s.threads)),
        ),
        (
            "uc_service_open_fds",
            "gauge",
            "Open file descriptors of the service's process tree.",
            |s| s.fds.map(f64::from),
        ),
        (
            "uc_service_processes",
            "gauge",
            "Processes in the service's tree.",
            |s| Some(f64::from(s.procs)),
        ),
    ];
    for (name, kind, help, value) in fields {
        f.header(name, kind, help);
        for s in &sample.services {
            if let Some(v) = value(s) {
                f.sample(name, &[("service", &s.name)], v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(3.0), "3");
    }
}
