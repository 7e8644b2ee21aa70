//! `cargo bench --bench alerts_eval`: the cost of one evaluation of 50 rules.
//!
//! The rules mix host metrics, per-service metrics and states over 10 services, disks,
//! interfaces, probes and log counts. The readings are a 16-core host with 4 disks, 3
//! interfaces and 10 services; CPU and every service's CPU move each tick, so some alerts
//! go pending, fire and resolve while others stay firing (about 45 tracked alerts); then
//! the same with the values held still.

use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use univers_container::alerts::{Evaluator, FixedReadings, RuleSet, parse_rules};
use univers_container::metrics::{DiskSample, HostSample, NetSample, Sample, ServiceSample};
use univers_container::protocol::{Health, ServiceState, ServiceStatus};

const SERVICES: usize = 10;
const WARMUP: u64 = 1_000;
const TICKS: u64 = 20_000;

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs benches without `--bench`: measure only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let rules = rules()?;
    let mut readings = readings(&rules);
    let mut evaluator = Evaluator::new(rules);
    let mut tick = 0;
    let (mut moving, changes) = measure(&mut evaluator, &mut readings, &mut tick, true);
    println!(
        "50 rules, {} alerts tracked, {changes} changes over {TICKS} ticks",
        evaluator.alerts().len()
    );
    report("evaluate, values moving", &mut moving);
    let (mut steady, changes) = measure(&mut evaluator, &mut readings, &mut tick, false);
    println!("{changes} changes over {TICKS} ticks with the values held");
    report("evaluate, values held", &mut steady);
    Ok(())
}

/// Times `TICKS` evaluations after `WARMUP` ones; returns the times and the changes.
fn measure(
    evaluator: &mut Evaluator,
    readings: &mut FixedReadings,
    tick: &mut u64,
    moving: bool,
) -> (Vec<Duration>, usize) {
    let mut times = Vec::with_capacity(TICKS as usize);
    let mut changes = 0;
    for i in 0..WARMUP + TICKS {
        *tick += 1;
        if moving {
            wander(readings, *tick);
        }
        let start = Instant::now();
        let happened = evaluator.evaluate(*tick * 1000, readings);
        let took = start.elapsed();
        if i >= WARMUP {
            times.push(took);
            changes += happened.len();
        }
    }
    (times, changes)
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "{what}: median {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, max {:.1} µs over {}",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        times.len()
    );
}

fn rules() -> anyhow::Result<RuleSet> {
    let mut text = String::from("rules:\n");
    let mut rule = |expr: &str, extra: &str| {
        let n = text.matches("- name:").count();
        let _ = writeln!(
            text,
            "  - name: R{n}\n    expr: '{expr}'\n    annotations: {{ summary: 'at {{{{ $value }}}}' }}\n{extra}"
        );
    };
    let host = [
        "cpu > 80",
        "cpu > 50",
        "load1 > 8",
        "load5 > 6",
        "load15 > 4",
        "mem_pct > 90",
        "mem_used > 30Gi",
        "swap_pct > 50",
        "swap_used > 1Gi",
        "core_cpu > 95",
        "core_cpu{core=\"0\"} > 90",
    ];
    for expr in host {
        rule(expr, "    for: 5s\n");
    }
    rule("cpu > 60", "    clear: 40\n");
    let per_service = [
        "service_cpu > 50",
        "service_cpu{service=~\"svc[0-4]\"} > 30",
        "service_rss > 512Mi",
        "service_threads > 100",
        "service_fds > 1000",
        "service_procs > 20",
        "service_up == 0",
        "service_down",
        "service_healthy == 0",
        "service_restarts > 3",
        "restarts_in(10m) > 3",
        "restarts_in(1h) > 10",
        "service_cpu{service=\"svc3\"} > 90",
        "service_rss{service!=\"svc9\"} > 1Gi",
        "service_cpu{service!~\"svc[5-9]\"} > 70",
    ];
    for expr in per_service {
        rule(expr, "    keep_firing_for: 2s\n");
    }
    for expr in [
        "disk_free_pct < 10",
        "disk_free_pct{mount=\"/\"} < 20",
        "disk_used_pct > 80",
        "disk_free < 5Gi",
        "disk_read_bps > 100M",
        "disk_write_bps > 100M",
        "net_rx_bps > 10M",
        "net_tx_bps > 10M",
        "net_rx_bps{iface=\"eth0\"} > 1G",
    ] {
        rule(expr, "");
    }
    for port in [5432, 6379, 8080, 8081, 9090] {
        rule(&format!("port_open({port}) == 0"), "");
    }
    rule("http_ok(\"http://127.0.0.1:8080/health\") == 0", "");
    rule("http_ok(\"http://127.0.0.1:8081/ready\", 1s) == 0", "");
    for service in ["svc0", "svc1", "svc2", "svc3"] {
        rule(&format!("log_rate({service}, level=ERROR, 1m) > 5"), "");
    }
    rule("log_match(svc4, \"timed? out|refused\", 5m) > 0", "");
    rule("log_match(svc5, \"panic\") > 0", "");
    rule("log_rate(svc6, level=WARN, 5m) > 100", "");
    anyhow::ensure!(text.matches("- name:").count() == 50, "50 rules");
    Ok(parse_rules(&text, Path::new("bench.yaml"))?)
}

fn readings(rules: &RuleSet) -> FixedReadings {
    let gib = 1u64 << 30;
    let host = HostSample {
        cpu_pct: 50.0,
        cores: (0..16).map(|i| (i * 6) as f32).collect(),
        load: [4.0, 3.0, 2.0],
        mem_used: 24 * gib,
        mem_total: 32 * gib,
        swap_used: gib,
        swap_total: 4 * gib,
        disks: ["/", "/home", "/var", "/boot"]
            .iter()
            .enumerate()
            .map(|(i, mount)| DiskSample {
                mount: (*mount).to_owned(),
                used: (50 + 15 * i as u64) * gib,
                total: 100 * gib,
                read_bps: 1e6,
                write_bps: 2e6,
                ..DiskSample::default()
            })
            .collect(),
        nets: ["lo", "eth0", "wlan0"]
            .iter()
            .map(|iface| NetSample {
                iface: (*iface).to_owned(),
                rx_bps: 5e5,
                tx_bps: 2e5,
                ..NetSample::default()
            })
            .collect(),
    };
    let names: Vec<String> = (0..SERVICES).map(|i| format!("svc{i}")).collect();
    let services = names
        .iter()
        .map(|name| ServiceSample {
            name: name.clone(),
            cpu_pct: 20.0,
            rss: 256 << 20,
            threads: 12,
            fds: Some(40),
            procs: 2,
            cpu_seconds: 100.0,
        })
        .collect();
    let statuses = names
        .iter()
        .enumerate()
        .map(|(i, name)| ServiceStatus {
            state: if i == 9 {
                ServiceState::Exited
            } else {
                ServiceState::Running
            },
            health: (i % 2 == 0).then_some(if i == 4 {
                Health::Unhealthy
            } else {
                Health::Healthy
            }),
            restarts: u32::try_from(i).unwrap_or(0),
            ..ServiceStatus::new(name.clone())
        })
        .collect();
    let mut readings = FixedReadings {
        sample: Some(Sample {
            at: 0,
            anomalies: Vec::new(),
            host,
            services,
        }),
        services: statuses,
        ..FixedReadings::default()
    };
    for (i, probe) in rules.probes().into_iter().enumerate() {
        readings.probes.insert(probe, i % 3 != 0);
    }
    for (i, query) in rules.log_queries().into_iter().enumerate() {
        readings.logs.insert(query, (i * 3) as f64);
    }
    for (i, name) in names.iter().enumerate() {
        readings.restarts.insert(name.clone(), (i % 5) as f64);
    }
    readings
}

/// Moves CPU figures each tick so alerts keep changing state.
fn wander(readings: &mut FixedReadings, tick: u64) {
    let Some(sample) = readings.sample.as_mut() else {
        return;
    };
    let phase = |period: u64| (tick % period) as f32 / period as f32;
    sample.at = tick * 1000;
    sample.host.cpu_pct = 30.0 + 60.0 * phase(37);
    for (i, service) in sample.services.iter_mut().enumerate() {
        service.cpu_pct = 100.0 * phase(11 + i as u64);
    }
}
