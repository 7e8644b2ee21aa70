//! The audit log's cost per command: one record appended to `audit.jsonl` (flock, write,
//! fdatasync) against one row inserted into the SQLite `audit.db` it replaced (synchronous
//! FULL, as the old log ran), in the same run on the same disk; then the engine's path,
//! `Auditor::commit` from concurrent callers, where a burst shares one fdatasync.
//!
//!   cargo bench --bench audit
//!   UC_BENCH_RECORDS=5000 UC_BENCH_CALLERS=32 cargo bench --bench audit

use std::time::{Duration, Instant};

use univers_container::store::audit::chain::Chain;
use univers_container::store::{AuditEntry, AuditLog, AuditRecord, Auditor};

fn record(i: usize) -> AuditRecord {
    let mut r = AuditRecord::now("alice", "cli", "POST /api/v1/commands restart", "ok");
    r.workspace = Some("shop".into());
    r.target = Some(format!("api-{i}"));
    r.status = Some(200);
    r.source = Some("socket".into());
    r
}

fn entry(i: usize) -> AuditEntry {
    AuditEntry {
        at: univers_container::clock::now_ms(),
        actor: "alice".into(),
        token: None,
        source: "socket".into(),
        workspace: Some("shop".into()),
        method: "POST".into(),
        route: "/api/v1/commands".into(),
        target: Some(format!("api-{i}")),
        status: 200,
        outcome: "ok".into(),
    }
}

fn report(name: &str, mut times: Vec<Duration>, wall: Duration) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<34} n={:<5} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  {:>8.0} records/s",
        times.len(),
        ms(at(0.50)),
        ms(at(0.99)),
        ms(at(1.0)),
        times.len() as f64 / wall.as_secs_f64()
    );
}

fn timed(n: usize, mut one: impl FnMut(usize)) -> (Vec<Duration>, Duration) {
    let start = Instant::now();
    let times = (0..n)
        .map(|i| {
            let t = Instant::now();
            one(i);
            t.elapsed()
        })
        .collect();
    (times, start.elapsed())
}

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs benches without `--bench`: measure only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let n: usize = std::env::var("UC_BENCH_RECORDS").map_or(Ok(2000), |v| v.parse())?;
    let callers: usize = std::env::var("UC_BENCH_CALLERS").map_or(Ok(16), |v| v.parse())?;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;

    let mut chain = Chain::open(&dir.path().join("audit.jsonl"))?;
    let (times, wall) = timed(n, |i| chain.append(&[record(i)]).expect("append"));
    report("audit.jsonl append (1 per call)", times, wall);

    let sqlite = AuditLog::open(dir.path().join("audit.db"))?;
    let (times, wall) = timed(n, |i| sqlite.append(&entry(i)).expect("insert"));
    report("audit.db insert (baseline)", times, wall);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let auditor = Auditor::spawn(dir.path().join("committed.jsonl"));
    let (times, wall) = runtime.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..callers)
            .map(|c| {
                let auditor = auditor.clone();
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    for i in (c..n).step_by(callers) {
                        let t = Instant::now();
                        auditor.commit(record(i)).await;
                        times.push(t.elapsed());
                    }
                    times
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("caller"));
        }
        (all, start.elapsed())
    });
    report(&format!("Auditor::commit, {callers} callers"), times, wall);
    let verified =
        univers_container::store::audit::chain::verify(&dir.path().join("committed.jsonl"))?;
    println!("chain after the concurrent run: {verified:?}");
    Ok(())
}
