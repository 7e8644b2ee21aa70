//! Time from `kill -9` of a service to its new process running, through the real `uc`
//! engine and tmux. The service writes the time it started (ns) before exec'ing its long
//! sleep, so the measurement does not depend on how fast we poll.
//!
//! `cargo bench --bench restart_latency` (50 trials; `TRIALS=n` to change).

mod common;

use std::process::Command;

use common::{Uc, report};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const WORKSPACE: &str = r#"services:
  api:
    command: date +%s%N > started; exec sleep 1000000
    restart: { policy: always, backoff: 0s..0s }
metrics: { history: false }
alerts: { enabled: false }
"#;

fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let trials: usize = std::env::var("TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(50);
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let ws = format!("restart{}", std::process::id());
    std::fs::write(
        dir.join("univers.yaml"),
        format!("workspace: {ws}\n{WORKSPACE}"),
    )?;
    let uc = Uc::new(dir.to_path_buf(), "rbench");
    uc.run(&["up"])?;
    let mut times = Vec::new();
    for _ in 0..trials {
        // `backoff: 0s..0s` makes every restart immediate, as the first one after a stable
        // run is: this measures exit detection plus relaunch, not a backoff.
        let pid = uc.pid("api")?;
        let before = std::fs::read_to_string(dir.join("started"))?;
        let killed_ns = now_ns();
        Command::new("kill")
            .arg("-9")
            .arg(pid.to_string())
            .status()?;
        let start = Instant::now();
        let started = loop {
            let now = std::fs::read_to_string(dir.join("started")).unwrap_or_default();
            if now != before && now.ends_with('\n') {
                break now;
            }
            anyhow::ensure!(start.elapsed() < Duration::from_secs(10), "no restart");
            std::thread::sleep(Duration::from_micros(200));
        };
        let started_ns: u128 = started.trim().parse()?;
        times.push(Duration::from_nanos(
            (started_ns.saturating_sub(killed_ns)) as u64,
        ));
        std::thread::sleep(Duration::from_millis(200));
    }
    report("kill -9 → new process running", &mut times);
    uc.run(&["down"])?;
    Ok(())
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
