//! Readings for the alerting unit tests: a small host and three services.

use crate::metrics::{DiskSample, HostSample, NetSample, Sample, ServiceSample};
use crate::protocol::{Health, ServiceState, ServiceStatus};

use super::readings::FixedReadings;

pub fn status(name: &str, state: ServiceState) -> ServiceStatus {
    ServiceStatus {
        state,
        ..ServiceStatus::new(name)
    }
}

pub fn process(name: &str, cpu_pct: f32) -> ServiceSample {
    ServiceSample {
        name: name.to_owned(),
        cpu_pct,
        rss: 64 << 20,
        threads: 4,
        fds: Some(12),
        procs: 1,
        cpu_seconds: 1.0,
    }
}

pub fn sample(cpu_pct: f32) -> Sample {
    Sample {
        at: 1_000,
        anomalies: Vec::new(),
        host: HostSample {
            cpu_pct,
            cores: vec![10.0, 95.0],
            load: [0.5, 1.5, 2.5],
            mem_used: 3 << 30,
            mem_total: 4 << 30,
            swap_used: 0,
            swap_total: 0,
            disks: vec![
                DiskSample {
                    mount: "/".to_owned(),
                    used: 95,
                    total: 100,
                    ..DiskSample::default()
                },
                DiskSample {
                    mount: "/home".to_owned(),
                    used: 50,
                    total: 100,
                    write_bps: 2048.0,
                    ..DiskSample::default()
                },
            ],
            nets: vec![NetSample {
                iface: "eth0".to_owned(),
                rx_bps: 1000.0,
                tx_bps: 500.0,
                ..NetSample::default()
            }],
        },
        services: vec![
            process("api", 80.0),
            process("web", 20.0),
            process("db", 60.0),
        ],
    }
}

/// api, web and db running (web healthy, db unhealthy), worker exited, cron stopped.
pub fn readings(cpu_pct: f32) -> FixedReadings {
    let mut services = vec![
        status("api", ServiceState::Running),
        status("web", ServiceState::Running),
        status("db", ServiceState::Running),
        status("worker", ServiceState::Exited),
        status("cron", ServiceState::Stopped),
    ];
    services[1].health = Some(Health::Healthy);
    services[2].health = Some(Health::Unhealthy);
    services[3].restarts = 4;
    FixedReadings {
        sample: Some(sample(cpu_pct)),
        services,
        ..FixedReadings::default()
    }
}
