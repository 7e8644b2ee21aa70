//! 1,000 SSE subscribers on one engine: the engine's memory per subscriber, its CPU at idle
//! with all of them connected (only the metric samples flow) and without any, and the time
//! from a state change (a service stopped or started through the REST API on the engine's
//! socket) to each subscriber, and to the last one, receiving it.
//!
//! `cargo bench --bench sse_fanout` (`SUBSCRIBERS`, `ROUNDS`, `IDLE_S` to change the
//! defaults 1000, 40, 20). Targets: ≤ 64 KiB of PSS per subscriber, last subscriber p99
//! ≤ 50 ms.
//!
//! Every subscriber is a task of one current-thread runtime reading its own connection; it
//! stamps a block when its read returns, before parsing, so the client's own work adds
//! little to what is measured.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Uc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::mpsc;

const WORKSPACE: &str = "services:
  api:
    command: exec sleep 100000
  web:
    command: exec sleep 100001
";

/// What a subscriber saw in one read.
enum Seen {
    Snapshot,
    /// A `service` event about `web`, and whether it carried the state the round waits for.
    Web {
        stopped: bool,
        running: bool,
    },
    Other,
}

struct Arrival {
    sub: usize,
    at: Instant,
    seen: Seen,
}

fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let setting = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (subs, rounds, idle) = (
        setting("SUBSCRIBERS", 1000) as usize,
        setting("ROUNDS", 40) as usize,
        Duration::from_secs(setting("IDLE_S", 20)),
    );
    let (soft, hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)?;
    if soft < hard {
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, hard, hard)?;
    }
    let tmp = tempfile::tempdir()?;
    let ws = format!("ssebench{}", std::process::id());
    std::fs::write(
        tmp.path().join("univers.yaml"),
        format!("workspace: {ws}\n{WORKSPACE}"),
    )?;
    let uc = Uc::new(tmp.path().to_path_buf(), "ssebench");
    uc.run(&["up"])?;
    let status: serde_json::Value = serde_json::from_str(&uc.run(&["status", "--json"])?)?;
    let engine = status["engine"]["pid"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no engine pid in uc status"))? as u32;
    let socket = tmp.path().join("state").join(&ws).join("engine.sock");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(measure(&socket, engine, subs, rounds, idle));
    uc.run(&["down"])?;
    outcome
}

async fn measure(
    socket: &Path,
    engine: u32,
    subs: usize,
    rounds: usize,
    idle: Duration,
) -> anyhow::Result<()> {
    tokio::time::sleep(Duration::from_secs(3)).await;
    let cpu = cpu_percent(engine, idle).await?;
    println!("engine idle CPU, no subscriber: {cpu:.2} % of one core");

    let before = memory_kib(engine)?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    for sub in 0..subs {
        let stream = subscribe(socket).await?;
        tokio::spawn(read(sub, stream, tx.clone()));
    }
    drop(tx);
    let mut snapshots = vec![false; subs];
    let deadline = Instant::now() + Duration::from_secs(60);
    while snapshots.iter().any(|s| !s) {
        let arrival = next(&mut rx, deadline).await?;
        if let Seen::Snapshot = arrival.seen {
            snapshots[arrival.sub] = true;
        }
    }
    drain(&mut rx, Duration::from_secs(2)).await;
    let after = memory_kib(engine)?;
    let per_sub = (after - before) / subs as f64;
    println!(
        "{subs} subscribers: engine PSS {before:.0} → {after:.0} KiB, {per_sub:.1} KiB per subscriber"
    );

    let events = tokio::spawn(async move {
        drain(&mut rx, idle).await;
        rx
    });
    let cpu = cpu_percent(engine, idle).await?;
    let mut rx = events.await?;
    println!("engine idle CPU, {subs} subscribers: {cpu:.2} % of one core");

    let (mut all, mut lasts) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let stop = round % 2 == 0;
        let verb = if stop { "stop" } else { "start" };
        let sent = Instant::now();
        post(socket, &format!("/api/v1/services/web/{verb}")).await?;
        let firsts = wait_round(&mut rx, subs, stop, sent).await?;
        lasts.push(firsts.iter().copied().max().unwrap_or_default());
        all.extend(firsts);
    }
    common::report("state change → each subscriber", &mut all);
    common::report("state change → last subscriber", &mut lasts);
    Ok(())
}

/// When each subscriber first heard of `web` after `sent`, once all have its final state.
async fn wait_round(
    rx: &mut mpsc::UnboundedReceiver<Arrival>,
    subs: usize,
    stop: bool,
    sent: Instant,
) -> anyhow::Result<Vec<Duration>> {
    let mut first = vec![None; subs];
    let mut done = vec![false; subs];
    let deadline = Instant::now() + Duration::from_secs(20);
    while done.iter().any(|d| !d) {
        let arrival = next(rx, deadline).await?;
        if let Seen::Web { stopped, running } = arrival.seen {
            first[arrival.sub].get_or_insert(arrival.at - sent);
            done[arrival.sub] |= if stop { stopped } else { running };
        }
    }
    Ok(first.into_iter().map(Option::unwrap_or_default).collect())
}

async fn next(
    rx: &mut mpsc::UnboundedReceiver<Arrival>,
    deadline: Instant,
) -> anyhow::Result<Arrival> {
    let left = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(left, rx.recv()).await {
        Ok(Some(arrival)) => Ok(arrival),
        Ok(None) => anyhow::bail!("every subscriber was closed by the engine"),
        Err(_) => anyhow::bail!("the subscribers did not all get what they wait for"),
    }
}

async fn drain(rx: &mut mpsc::UnboundedReceiver<Arrival>, time: Duration) {
    let _ = tokio::time::timeout(time, async { while rx.recv().await.is_some() {} }).await;
}

async fn subscribe(socket: &Path) -> anyhow::Result<UnixStream> {
    let mut stream = UnixStream::connect(socket).await?;
    stream
        .write_all(b"GET /api/v1/events HTTP/1.0\r\nHost: uc\r\n\r\n")
        .await?;
    Ok(stream)
}

/// Reads one subscriber's stream, reporting each read's blocks with the time it returned.
async fn read(sub: usize, mut stream: UnixStream, tx: mpsc::UnboundedSender<Arrival>) {
    let mut buf = Vec::with_capacity(64 << 10);
    let mut chunk = vec![0; 64 << 10];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let at = Instant::now();
        buf.extend_from_slice(&chunk[..n]);
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let seen = classify(&buf[..end]);
            buf.drain(..end + 2);
            if tx.send(Arrival { sub, at, seen }).is_err() {
                return;
            }
        }
    }
}

fn classify(block: &[u8]) -> Seen {
    let has = |needle: &[u8]| block.windows(needle.len()).any(|w| w == needle);
    if has(b"event: snapshot") {
        Seen::Snapshot
    } else if block.starts_with(b"id:") && has(b"event: service\n") && has(b"\"name\":\"web\"") {
        Seen::Web {
            stopped: has(b"\"state\":\"stopped\""),
            running: has(b"\"state\":\"running\""),
        }
    } else {
        Seen::Other
    }
}

async fn post(socket: &Path, path: &str) -> anyhow::Result<()> {
    let mut stream = UnixStream::connect(socket).await?;
    let head = format!("POST {path} HTTP/1.0\r\nHost: uc\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    anyhow::ensure!(
        answer.starts_with(b"HTTP/1.0 200") || answer.starts_with(b"HTTP/1.1 200"),
        "{path}: {}",
        String::from_utf8_lossy(&answer[..answer.len().min(300)])
    );
    Ok(())
}

fn memory_kib(pid: u32) -> anyhow::Result<f64> {
    let rollup = std::fs::read_to_string(PathBuf::from(format!("/proc/{pid}/smaps_rollup")))?;
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no Pss in /proc/{pid}/smaps_rollup"))
}

/// The engine's CPU over `window`, in % of one core, while this runtime goes on serving.
async fn cpu_percent(pid: u32, window: Duration) -> anyhow::Result<f64> {
    let ticks = || -> anyhow::Result<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let fields: Vec<&str> = stat[stat.rfind(')').unwrap_or(0) + 2..]
            .split_whitespace()
            .collect();
        Ok(fields[11].parse::<u64>()? + fields[12].parse::<u64>()?)
    };
    let (t0, c0) = (Instant::now(), ticks()?);
    tokio::time::sleep(window).await;
    let used = (ticks()? - c0) as f64 / clock_ticks() as f64;
    Ok(used / t0.elapsed().as_secs_f64() * 100.0)
}

fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100, |t| t as u64)
}
