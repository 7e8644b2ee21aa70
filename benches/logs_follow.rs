//! `cargo bench --bench logs_follow`: the follower's cost at 100 files and 100k lines/s.
//!
//! A writer thread appends real lines (loghub samples, each prefixed with its write time)
//! round-robin to `FILES` files in a temp dir, flushing every 10 ms like
//! `../shared/bench/writer.py`; the main thread follows `*.log` there, parses each line's
//! level and time (the engine's light per-line work) and measures its own CPU time,
//! the write-to-read delay, and that every line arrived once. With `FOLLOW_DIR` set it
//! follows that directory instead (fed by `writer.py ... latency`) for `FOLLOW_SECS`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::resource::{UsageWho, getrusage};
use univers_container::logs::follow::{Follower, Start};
use univers_container::logs::line;

const FILES: usize = 100;
const RATE: usize = 100_000;
const SECONDS: u64 = 10;
const TICK: Duration = Duration::from_millis(10);

fn cpu_seconds(who: UsageWho) -> f64 {
    let usage = getrusage(who).expect("getrusage");
    let (user, system) = (usage.user_time(), usage.system_time());
    (user.tv_sec() + system.tv_sec()) as f64 + (user.tv_usec() + system.tv_usec()) as f64 / 1e6
}

fn unix_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

fn sample_lines() -> Vec<String> {
    let root = std::env::var_os("LOGHUB")
        .map_or_else(|| PathBuf::from("../shared/data/loghub"), PathBuf::from);
    let mut lines = Vec::new();
    for system in ["HDFS", "Hadoop", "Zookeeper", "OpenSSH"] {
        let path = root.join(system).join(format!("{system}_2k.log"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        lines.extend(text.lines().map(str::to_owned));
    }
    lines
}

/// Appends `RATE` lines a second for `SECONDS`; returns how many it wrote.
fn write(dir: &Path) -> u64 {
    let samples = sample_lines();
    let mut files: Vec<File> = (0..FILES)
        .map(|i| File::create(dir.join(format!("f{i}.log"))).expect("create"))
        .collect();
    let mut buffers = vec![Vec::new(); FILES];
    let start = Instant::now();
    let (mut written, mut owed) = (0u64, 0.0);
    let per_tick = RATE as f64 * TICK.as_secs_f64();
    for tick in 1.. {
        if start.elapsed() >= Duration::from_secs(SECONDS) {
            break;
        }
        owed += per_tick;
        let now = unix_seconds();
        while owed >= 1.0 {
            let n = written as usize;
            let sample = &samples[n % samples.len()];
            writeln!(buffers[n % FILES], "{now:.6} {sample}").expect("format");
            written += 1;
            owed -= 1.0;
        }
        for (file, buffer) in files.iter_mut().zip(&mut buffers) {
            file.write_all(buffer).expect("write");
            buffer.clear();
        }
        std::thread::sleep((start + TICK * tick).saturating_duration_since(Instant::now()));
    }
    written
}

#[derive(Default)]
struct Tally {
    lines: u64,
    levels: u64,
    times: u64,
    delays_ms: Vec<f64>,
}

impl Tally {
    fn line(&mut self, text: &[u8], now_ms: u64) {
        self.lines += 1;
        self.levels += u64::from(line::level(text).is_some());
        self.times += u64::from(line::timestamp(text, now_ms).is_some());
        // One delay in a hundred is enough for the percentiles.
        if self.lines.is_multiple_of(100)
            && let Some(stamp) = text.split(|&b| b == b' ').next()
            && let Some(written) = std::str::from_utf8(stamp)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
        {
            self.delays_ms.push((unix_seconds() - written) * 1000.0);
        }
    }

    fn percentile(&mut self, p: f64) -> f64 {
        self.delays_ms.sort_by(f64::total_cmp);
        let i = ((self.delays_ms.len() as f64 - 1.0) * p).round() as usize;
        self.delays_ms.get(i).copied().unwrap_or(f64::NAN)
    }
}

fn follow(dir: &Path, seconds: f64, done: impl Fn() -> bool) -> (Tally, f64, f64) {
    let mut follower = Follower::new();
    follower
        .add("bench", &dir.join("*.log"), Start::Beginning)
        .expect("add");
    let mut tally = Tally::default();
    let (cpu0, start) = (cpu_seconds(UsageWho::RUSAGE_THREAD), Instant::now());
    while start.elapsed().as_secs_f64() < seconds || !done() {
        follower.wait(Duration::from_millis(100));
        let now_ms = (unix_seconds() * 1000.0) as u64;
        follower.read(&mut |_, text| tally.line(text, now_ms));
    }
    let elapsed = start.elapsed().as_secs_f64();
    (tally, cpu_seconds(UsageWho::RUSAGE_THREAD) - cpu0, elapsed)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let (mut tally, cpu, elapsed, written) = if let Some(dir) = std::env::var_os("FOLLOW_DIR") {
        let seconds: f64 =
            std::env::var("FOLLOW_SECS").map_or(30.0, |s| s.parse().expect("FOLLOW_SECS"));
        let (tally, cpu, elapsed) = follow(Path::new(&dir), seconds, || true);
        (tally, cpu, elapsed, None)
    } else {
        let dir = tempfile::tempdir().expect("tempdir");
        let writer = {
            let dir = dir.path().to_owned();
            std::thread::spawn(move || write(&dir))
        };
        let (tally, cpu, elapsed) =
            follow(dir.path(), SECONDS as f64 + 1.0, || writer.is_finished());
        let written = writer.join().expect("writer");
        (tally, cpu, elapsed, Some(written))
    };
    let peak_rss_kib = getrusage(UsageWho::RUSAGE_SELF)
        .expect("getrusage")
        .max_rss();
    println!(
        "read {} lines in {elapsed:.1} s ({:.0}/s), {} with a level, {} with a time",
        tally.lines,
        tally.lines as f64 / elapsed,
        tally.levels,
        tally.times
    );
    if let Some(written) = written {
        println!(
            "written {written}, lost {}",
            written as i64 - tally.lines as i64
        );
    }
    println!(
        "follower thread CPU {:.1} % of a core; delay p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; peak RSS {:.1} MiB",
        cpu / elapsed * 100.0,
        tally.percentile(0.5),
        tally.percentile(0.99),
        tally.percentile(1.0),
        peak_rss_kib as f64 / 1024.0
    );
}
