//! `cargo bench --bench anomaly`: the anomaly detector's cost per series per sample and its
//! false-positive rate on a quiet synthetic day.
//!
//! The quiet days are two days at 1 s of series shaped like the sampler's: a service's CPU
//! (daily cycle + noise, never below 0), its RSS (slow cycle + small noise), a host disk
//! filling slowly, a flat total memory, and bursty network bytes (log-normal noise). Nothing
//! is injected, so every flag is a false positive. Day one warms the hour-of-day baselines;
//! the rate is reported for both days.

use std::f64::consts::TAU;
use std::time::Instant;

use univers_container::metrics::anomaly::Detector;

const DAY: u32 = 86_400;
const T0: f64 = 1_700_000_000.0;

struct Noise(u64);

impl Noise {
    /// Roughly normal, sd 1 (summed uniforms).
    fn next(&mut self) -> f64 {
        let mut sum = 0.0;
        for _ in 0..12 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            sum += (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        }
        sum - 6.0
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
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
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
            if detector.observe(T0 + i as f64, *value).is_some() {
                flagged[i / DAY as usize] += 1;
            }
        }
        elapsed += start.elapsed();
        total[0] += flagged[0];
        total[1] += flagged[1];
        println!(
            "{name:<14} {:>11.4}% {:>11.4}%",
            share(flagged[0]),
            share(flagged[1])
        );
    }
    let all = u64::from(DAY) * SHAPES.len() as u64;
    println!(
        "{:<14} {:>11.4}% {:>11.4}%",
        "all",
        100.0 * total[0] as f64 / all as f64,
        100.0 * total[1] as f64 / all as f64
    );
    let samples = 2 * all;
    println!(
        "cost: {:.1} ns per series per sample ({samples} samples)",
        elapsed.as_nanos() as f64 / samples as f64
    );
}

fn share(flagged: u64) -> f64 {
    100.0 * flagged as f64 / f64::from(DAY)
}
