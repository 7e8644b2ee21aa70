//! `cargo bench --bench mining [-- FILE...]`: pattern mining throughput, lines per second on
//! one core.
//!
//! Corpora: the 8 Loghub-2k systems' messages (`Content`) and raw lines, concatenated and
//! repeated to `REPEAT` passes, then each FILE given (e.g. a synthetic service log from
//! `shared/bench/genlog.py`). Best of `ROUNDS` runs with a fresh miner each, as a shared
//! machine only ever adds noise; the rate is reported per wall-clock second and per second
//! of the thread's own CPU time (what one core does when others compete for it).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeValLike;
use univers_container::logs::mine::Miner;

const SYSTEMS: [&str; 8] = [
    "BGL",
    "HDFS",
    "Hadoop",
    "HealthApp",
    "Linux",
    "OpenSSH",
    "Proxifier",
    "Zookeeper",
];
const REPEAT: usize = 100;
const ROUNDS: usize = 3;

fn loghub() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data/loghub"))
        .find(|dir| dir.is_dir())
}

fn content(root: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for system in SYSTEMS {
        let path = root.join(format!("{system}/{system}_2k.log_structured.csv"));
        let mut reader = csv::Reader::from_path(&path).expect("structured csv");
        let col = reader
            .headers()
            .expect("headers")
            .iter()
            .position(|h| h == "Content")
            .expect("Content column");
        for record in reader.records() {
            lines.push(record.expect("record")[col].to_string());
        }
    }
    lines
}

fn raw(root: &Path) -> Vec<String> {
    SYSTEMS
        .iter()
        .flat_map(|system| {
            let path = root.join(format!("{system}/{system}_2k.log"));
            let bytes = std::fs::read(&path).expect("raw log");
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// CPU time this thread has used.
fn cpu_time() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_THREAD).expect("getrusage");
    let micros = usage.user_time().num_microseconds() + usage.system_time().num_microseconds();
    Duration::from_micros(micros.max(0) as u64)
}

/// Best wall and CPU times to mine `lines` `passes` times over with a fresh miner; and its
/// pattern count.
fn best(lines: &[String], passes: usize) -> (Duration, Duration, usize) {
    let (mut wall, mut cpu) = (Duration::MAX, Duration::MAX);
    let mut patterns = 0;
    for _ in 0..ROUNDS {
        let mut miner = Miner::new();
        let (start, start_cpu) = (Instant::now(), cpu_time());
        for _ in 0..passes {
            for line in lines {
                black_box(miner.add(black_box(line)));
            }
        }
        wall = wall.min(start.elapsed());
        cpu = cpu.min(cpu_time().saturating_sub(start_cpu));
        patterns = miner.len();
    }
    (wall, cpu, patterns)
}

fn report(what: &str, lines: &[String], passes: usize) {
    let (wall, cpu, patterns) = best(lines, passes);
    let n = (lines.len() * passes) as f64;
    let bytes = (lines.iter().map(|l| l.len() + 1).sum::<usize>() * passes) as f64;
    let rate = |t: Duration| n / t.as_secs_f64().max(1e-9) / 1e6;
    println!(
        "{what}: {n} lines, {:.0} MB; wall {:.3} s = {:.2} M lines/s; CPU {:.3} s = {:.2} M \
         lines/s, {:.0} MB/s; {patterns} patterns",
        bytes / 1e6,
        wall.as_secs_f64(),
        rate(wall),
        cpu.as_secs_f64(),
        rate(cpu),
        bytes / cpu.as_secs_f64().max(1e-9) / 1e6,
    );
}

fn main() {
    // `cargo test --all-targets` runs benches without `--bench`: measure only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    match loghub() {
        Some(root) => {
            report("loghub Content x100", &content(&root), REPEAT);
            report("loghub raw lines x100", &raw(&root), REPEAT);
        }
        None => println!("skipped loghub: no shared/data/loghub above the crate"),
    }
    for file in std::env::args().skip(1).filter(|a| !a.starts_with("--")) {
        let bytes = std::fs::read(&file).expect("read FILE");
        let lines: Vec<String> = String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_string)
            .collect();
        report(&file, &lines, 1);
    }
}
