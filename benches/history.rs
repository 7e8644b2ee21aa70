//! Measures the history store: the cost of one tick's write and maintain, and the disk each
//! tier takes per series per day. Run with `cargo bench --bench history`.
//!
//! Ticks are a synthetic workspace (8 cores, 2 disks, 2 interfaces, 4 services: 39 series)
//! whose values wander like real ones: fractional percentages, large integral byte counts,
//! small steady counts. The minute and hour tiers are filled from two ticks per bucket,
//! which gives rows of the same size as 60 or 3,600 would (bar a byte for the count).

use std::time::{Duration, Instant};

use univers_container::metrics::{DiskSample, HostSample, NetSample, Sample, ServiceSample};
use univers_container::store::{DiskUsage, History, Retention};

const DAY: i64 = 24 * 3600;
const T0: i64 = 1_699_999_200;

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs benches without `--bench`: measure only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let mut walk = Walk::new();

    let mut raw = History::open(dir.path().join("raw.db"))?;
    let (writes, maintains) = fill(&mut raw, &mut walk, T0, T0 + DAY, 1, 60)?;
    let series = raw.series()?.len();
    println!("{series} series per tick");
    report_times("write (one tick)", writes);
    report_times("maintain (one minute)", maintains);
    let raw_day = per_series_day(&raw.disk_usage()?, "raw", series, 1);
    let m1_day = per_series_day(&raw.disk_usage()?, "m1", series, 1);

    let mut minutes = History::open(dir.path().join("m1.db"))?;
    fill(&mut minutes, &mut walk, T0, T0 + 30 * DAY, 30, 3600)?;
    let m1_month = per_series_day(&minutes.disk_usage()?, "m1", series, 30);

    let mut hours = History::open(dir.path().join("h1.db"))?.with_retention(Retention {
        m1: 3600,
        ..Retention::default()
    });
    fill(&mut hours, &mut walk, T0, T0 + 365 * DAY, 1800, DAY)?;
    let h1_year = per_series_day(&hours.disk_usage()?, "h1", series, 365);

    println!("bytes per series per day (pages in the file, of which row payload):");
    println!("  raw, 1 day of 1 s ticks:      {raw_day}");
    println!("  1m, from that day:            {m1_day}");
    println!("  1m, 30 days:                  {m1_month}");
    println!("  1h, 365 days:                 {h1_year}");
    Ok(())
}

/// Writes a tick every `every` seconds from `from` to `to`, maintaining every `maintain`
/// seconds; returns the time each write and each maintain took.
fn fill(
    history: &mut History,
    walk: &mut Walk,
    from: i64,
    to: i64,
    every: usize,
    maintain: i64,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let (mut writes, mut maintains) = (Vec::new(), Vec::new());
    for t in (from..to).step_by(every) {
        let points = walk.sample(t).points();
        let start = Instant::now();
        history.write(t, &points)?;
        writes.push(start.elapsed());
        if t % maintain == 0 {
            let start = Instant::now();
            history.maintain(t)?;
            maintains.push(start.elapsed());
        }
    }
    history.maintain(to)?;
    Ok((writes, maintains))
}

fn report_times(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{what}: median {:?}, p90 {:?}, p99 {:?}, max {:?} over {}",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        times.len()
    );
}

fn per_series_day(usage: &DiskUsage, table: &str, series: usize, days: u64) -> String {
    let Some(t) = usage.tables.iter().find(|t| t.name == table) else {
        return "absent".into();
    };
    let per = |bytes: u64| bytes / series as u64 / days;
    format!(
        "{} B ({} B payload, {} rows)",
        per(t.bytes),
        per(t.payload),
        t.rows
    )
}

/// Deterministic random walks (xorshift), so runs compare.
struct Walk {
    state: u64,
    values: Vec<f64>,
}

impl Walk {
    fn new() -> Self {
        Self {
            state: 0x9E37_79B9_7F4A_7C15,
            values: Vec::new(),
        }
    }

    /// Uniform in `0..1`.
    fn next(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Value `i` moved by up to ± `step`, kept within `0..=max`.
    fn wander(&mut self, i: usize, step: f64, max: f64) -> f64 {
        if self.values.len() <= i {
            self.values.resize(i + 1, max / 2.0);
        }
        let v = (self.values[i] + (self.next() - 0.5) * 2.0 * step).clamp(0.0, max);
        self.values[i] = v;
        v
    }

    fn sample(&mut self, t: i64) -> Sample {
        let gib = 1u64 << 30;
        let cores: Vec<f32> = (0..8).map(|i| self.wander(i, 5.0, 100.0) as f32).collect();
        let host = HostSample {
            cpu_pct: cores.iter().sum::<f32>() / 8.0,
            cores,
            load: [self.wander(8, 0.1, 8.0) as f32, 0.0, 0.0],
            mem_used: self.wander(9, 4096.0 * 64.0, 16.0 * gib as f64) as u64 & !4095,
            mem_total: 16 * gib,
            swap_used: 0,
            swap_total: 2 * gib,
            disks: (0..2).map(|i| self.disk(10 + 3 * i)).collect(),
            nets: (0..2).map(|i| self.net(16 + 2 * i)).collect(),
        };
        let services = (0..4).map(|i| self.service(20 + 4 * i)).collect();
        Sample {
            at: t.unsigned_abs() * 1000,
            anomalies: Vec::new(),
            host,
            services,
        }
    }

    fn disk(&mut self, i: usize) -> DiskSample {
        DiskSample {
            mount: format!("/mnt/{i}"),
            used: self.wander(i, 4096.0, 1e11) as u64 & !4095,
            total: 100_000_000_000,
            read_bps: self.wander(i + 1, 1e5, 1e7).round(),
            write_bps: self.wander(i + 2, 1e5, 1e7).round(),
            ..DiskSample::default()
        }
    }

    fn net(&mut self, i: usize) -> NetSample {
        NetSample {
            iface: format!("eth{i}"),
            rx_bps: self.wander(i, 1e4, 1e6).round(),
            tx_bps: self.wander(i + 1, 1e4, 1e6).round(),
            ..NetSample::default()
        }
    }

    fn service(&mut self, i: usize) -> ServiceSample {
        ServiceSample {
            name: format!("svc{i}"),
            cpu_pct: self.wander(i, 3.0, 200.0) as f32,
            rss: self.wander(i + 1, 4096.0 * 16.0, 2e9) as u64 & !4095,
            threads: self.wander(i + 2, 0.3, 64.0).round() as u32,
            fds: Some(self.wander(i + 3, 0.3, 256.0).round() as u32),
            ..ServiceSample::default()
        }
    }
}
