//! `cargo bench --bench logs_line`: lines per second of `logs::line::level` and
//! `logs::line::timestamp` over the loghub samples (`../shared/data/loghub`, or the
//! directory in `LOGHUB`), one figure per system and for all of them together.

use std::path::PathBuf;
use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use univers_container::logs::line;

const ROUNDS: u32 = 5;
/// Each round classifies at least this many lines.
const LINES_PER_ROUND: usize = 2_000_000;

/// This thread's CPU time: on a shared machine, wall time counts other sessions' work.
fn cpu() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_THREAD).expect("getrusage");
    let (user, system) = (usage.user_time(), usage.system_time());
    let micros = (user.tv_sec() + system.tv_sec()) * 1_000_000 + user.tv_usec() + system.tv_usec();
    Duration::from_micros(u64::try_from(micros).unwrap_or_default())
}

/// Lines per CPU second of `work` over `lines`, best of `ROUNDS`.
fn rate(lines: &[Vec<u8>], work: &dyn Fn(&[u8]) -> u64) -> f64 {
    let repeat = LINES_PER_ROUND.div_ceil(lines.len().max(1));
    let best = (0..ROUNDS)
        .map(|_| {
            let start = cpu();
            let mut sum = 0;
            for _ in 0..repeat {
                for l in lines {
                    sum += work(l);
                }
            }
            std::hint::black_box(sum);
            cpu() - start
        })
        .min()
        .unwrap_or(Duration::MAX);
    (repeat * lines.len()) as f64 / best.as_secs_f64()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let root = std::env::var_os("LOGHUB")
        .map_or_else(|| PathBuf::from("../shared/data/loghub"), PathBuf::from);
    let now = 1_719_792_000_000;
    let level = |l: &[u8]| line::level(l).map_or(0, |l| l as u64);
    let time = |l: &[u8]| line::timestamp(l, now).unwrap_or(0);
    let both = |l: &[u8]| level(l) + time(l);
    let mut all = Vec::new();
    println!(
        "{:<10} {:>14} {:>14} {:>14}",
        "system", "level/s", "time/s", "both/s"
    );
    for system in [
        "BGL",
        "HDFS",
        "Hadoop",
        "HealthApp",
        "Linux",
        "OpenSSH",
        "Proxifier",
        "Zookeeper",
    ] {
        let path = root.join(system).join(format!("{system}_2k.log"));
        let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        println!(
            "{system:<10} {:>14.0} {:>14.0} {:>14.0}",
            rate(&lines, &level),
            rate(&lines, &time),
            rate(&lines, &both)
        );
        all.extend(lines);
    }
    println!(
        "{:<10} {:>14.0} {:>14.0} {:>14.0}",
        "all",
        rate(&all, &level),
        rate(&all, &time),
        rate(&all, &both)
    );
}
