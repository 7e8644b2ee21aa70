//! `cargo bench --bench sampler`: the cost of one sampling cycle, per service process.
//!
//! Starts one service tree of N sleeping processes, samples it repeatedly and reports the
//! mean time of a cycle (best of several rounds), the host-only part, and the difference per
//! process.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use univers_container::metrics::Sampler;
use univers_container::procfs::tree::TreeReader;

const CYCLES: u32 = 100;
const ROUNDS: u32 = 5;

struct Tree(Child);

impl Drop for Tree {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::killpg(pid, nix::sys::signal::Signal::SIGKILL);
        let _ = self.0.wait();
    }
}

fn tree(n: usize) -> Tree {
    let script = format!("i=0; while [ $i -lt {n} ]; do sleep 1000 & i=$((i+1)); done; wait");
    let child = Command::new("sh")
        .args(["-c", &script])
        .process_group(0)
        .spawn()
        .expect("spawn tree");
    Tree(child)
}

/// Mean cycle time, best of `ROUNDS` rounds: a shared 2-core machine adds noise, never
/// removes it.
fn mean_cycle(sampler: &mut Sampler, services: &[(String, u32)]) -> Duration {
    sampler.sample(services, 0);
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..CYCLES {
                std::hint::black_box(sampler.sample(services, u64::from(i)));
            }
            start.elapsed() / CYCLES
        })
        .min()
        .unwrap_or_default()
}

/// The `/proc` part alone: reading a tree's processes and their children.
fn tree_walk(root: u32) -> f64 {
    let mut reader = TreeReader::default();
    let procs = reader.tree(root).len().max(1);
    reader.end_cycle();
    let best = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CYCLES {
                std::hint::black_box(reader.tree(root));
                reader.end_cycle();
            }
            start.elapsed()
        })
        .min()
        .unwrap_or_default();
    best.as_secs_f64() * 1e6 / f64::from(CYCLES) / procs as f64
}

fn main() {
    // `cargo test --all-targets` runs benches without `--bench`: measure only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let mut sampler = Sampler::new().expect("sampler");
    let host_only = mean_cycle(&mut sampler, &[]);
    println!(
        "host only: {:.1} µs per cycle",
        host_only.as_secs_f64() * 1e6
    );
    for n in [10, 100, 500] {
        let t = tree(n);
        // Let the shell fork all its children.
        std::thread::sleep(Duration::from_millis(200 + n as u64 * 3));
        let services = vec![("tree".to_string(), t.0.id())];
        let procs = sampler
            .sample(&services, 0)
            .services
            .first()
            .map_or(0, |s| s.procs);
        let cycle = mean_cycle(&mut sampler, &services);
        let per_process =
            (cycle.saturating_sub(host_only)).as_secs_f64() * 1e6 / f64::from(procs.max(1));
        let walk = tree_walk(t.0.id());
        println!(
            "{procs:>4} service processes: {:.1} µs per cycle, {per_process:.2} µs per process \
             (tree walk alone {walk:.2} µs per process)",
            cycle.as_secs_f64() * 1e6
        );
    }
}
