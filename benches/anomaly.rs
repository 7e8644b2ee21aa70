//! `cargo bench --bench anomaly`: the anomaly detector's cost per series per sample and its
//! false-positive rate on quiet days.
//!
//! Cost is measured twice: one `Detector` fed a series, and `Detectors` (what the engine's
//! metrics worker runs) fed whole samples of a machine with 8 cores, 2 disks, 3 interfaces
//! and 20 services (105 series), flattening and lookup included.
//!
//! The synthetic quiet days are two days at 1 s of series shaped like the sampler's: a
//! service's CPU (daily cycle + noise, never below 0), its RSS (slow cycle + small noise), a
//! host disk filling slowly, a flat total memory, and bursty network bytes (log-normal
//! noise). Nothing is injected, so every flag is a false positive. Day one warms the
//! hour-of-day baselines; the rate is reported for both days.
//!
//! `-- --replay FILE` reports the rate on two days built from a recording of the demo's
//! own series instead (`bench/anomaly_fp.sh` makes the recording and runs this).

#[path = "anomaly/replay.rs"]
mod replay;

use std::f64::consts::TAU;
use std::hint::black_box;
use std::time::Instant;

use univers_container::metrics::anomaly::{Detector, Detectors};
use univers_container::metrics::{DiskSample, HostSample, NetSample, Sample, ServiceSample};

const DAY: u32 = 86_400;
const T0: f64 = 1_700_000_000.0;

/// Deterministic noise: xorshift.
pub struct Noise(pub u64);

impl Noise {
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal, sd 1 (summed uniforms).
    fn next(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
}

type Shape = fn(u32, f64) -> f64;

fn daily(i: u32) -> f64 {
    (f64::from(i) * TAU / f64::from(DAY)).sin()
}

const SHAPES: [(&str, Shape); 5] = [
    ("service_cpu", |i, n| {
        (20.0 + 10.0 * daily(i) + 2.0 * n).max(0.0)
    }),
    ("service_rss", |i, n| 2.0e8 + 2.0e7 * daily(i) + 1.0e5 * n),
    ("disk_used_pct", |i, n| {
        40.0 + f64::from(i) * 1e-5 + 0.01 * n
    }),
    ("mem_total", |_, _| 8.0e9),
    ("net_rx_bps", |i, n| {
        1.0e5 * (1.0 + 0.5 * daily(i)) * (0.3 * n).exp()
    }),
];

fn main() {
    // `cargo test --all-targets` runs benches without `--bench`: measure only when asked.
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    if let Some(file) = args
        .iter()
        .position(|a| a == "--replay")
        .and_then(|i| args.get(i + 1))
    {
        if let Err(e) = replay::run(std::path::Path::new(file)) {
            eprintln!("replay {file}: {e}");
            std::process::exit(1);
        }
        return;
    }
    synthetic_days();
    engine_cost();
}

fn synthetic_days() {
    let mut noise = Noise(0x5eed);
    let values: Vec<Vec<f64>> = SHAPES
        .iter()
        .map(|(_, shape)| (0..2 * DAY).map(|i| shape(i, noise.next())).collect())
        .collect();
    let mut total = [0u64; 2];
    let mut elapsed = std::time::Duration::ZERO;
    println!(
        "{:<14} {:>12} {:>12}",
        "series", "day 1 flagged", "day 2 flagged"
    );
    for ((name, _), series) in SHAPES.iter().zip(&values) {
        let mut detector = Detector::new();
        let mut flagged = [0u64; 2];
        let start = Instant::now();
        for (i, value) in series.iter().enumerate() {
            if black_box(detector.observe(T0 + i as f64, *value)).is_some() {
                flagged[i / DAY as usize] += 1;
            }
        }
        elapsed += start.elapsed();
        total[0] += flagged[0];
        total[1] += flagged[1];
        println!(
            "{name:<14} {:>11.4}% {:>11.4}%",
            share(flagged[0], u64::from(DAY)),
            share(flagged[1], u64::from(DAY))
        );
    }
    let all = u64::from(DAY) * SHAPES.len() as u64;
    println!(
        "{:<14} {:>11.4}% {:>11.4}%",
        "all",
        share(total[0], all),
        share(total[1], all)
    );
    let samples = 2 * all;
    println!(
        "cost, one Detector: {:.1} ns per series per sample ({samples} samples)",
        elapsed.as_nanos() as f64 / samples as f64
    );
}

/// `Detectors::observe` on whole samples, as the metrics worker calls it.
fn engine_cost() {
    const DISTINCT: usize = 256;
    const SAMPLES: usize = 20_000;
    let mut noise = Noise(0xc057);
    let mut samples: Vec<Sample> = (0..DISTINCT).map(|_| machine(&mut noise)).collect();
    let series = samples[0].points().len();
    let mut detectors = Detectors::default();
    let mut flagged = 0usize;
    let start = Instant::now();
    for i in 0..SAMPLES {
        let sample = &mut samples[i % DISTINCT];
        sample.at = 1_700_000_000_000 + i as u64 * 1000;
        flagged += black_box(detectors.observe(sample)).len();
    }
    let elapsed = start.elapsed();
    println!(
        "cost, Detectors on engine samples ({series} series): {:.1} ns per series per sample \
         ({SAMPLES} samples, {flagged} flags)",
        elapsed.as_nanos() as f64 / (SAMPLES * series) as f64
    );
}

/// One sample of a machine with 8 cores, 2 disks, 3 interfaces and 20 services.
fn machine(noise: &mut Noise) -> Sample {
    let mut n = |base: f64, sd: f64| (base + sd * noise.next()).max(0.0);
    Sample {
        at: 0,
        anomalies: Vec::new(),
        host: HostSample {
            cpu_pct: n(30.0, 3.0) as f32,
            cores: (0..8).map(|_| n(30.0, 5.0) as f32).collect(),
            load: [n(2.0, 0.1) as f32, 2.0, 2.0],
            mem_used: n(6e9, 1e7) as u64,
            mem_total: 16 << 30,
            swap_used: 0,
            swap_total: 0,
            disks: ["/", "/home"]
                .map(|mount| DiskSample {
                    mount: mount.to_owned(),
                    used: n(4e11, 1e6) as u64,
                    total: 1 << 40,
                    read_bps: n(1e5, 2e4),
                    write_bps: n(2e5, 4e4),
                    ..DiskSample::default()
                })
                .into(),
            nets: ["lo", "eth0", "docker0"]
                .map(|iface| NetSample {
                    iface: iface.to_owned(),
                    rx_bps: n(1e5, 2e4),
                    tx_bps: n(5e4, 1e4),
                    ..NetSample::default()
                })
                .into(),
        },
        services: (0..20)
            .map(|i| ServiceSample {
                name: format!("service-{i}"),
                cpu_pct: n(10.0, 2.0) as f32,
                rss: n(2e8, 1e5) as u64,
                threads: 8,
                fds: Some(30),
                procs: 1,
                cpu_seconds: 0.0,
            })
            .collect(),
    }
}

pub fn share(flagged: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * flagged as f64 / of as f64
    }
}
