//! What the end-to-end benches share: the real `uc` binary on a temp workspace with its own
//! state dir and tmux socket, and percentile reports.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// `uc -f <dir>/univers.yaml …` with a private state dir and tmux socket.
pub struct Uc {
    pub dir: PathBuf,
    pub socket: String,
}

impl Uc {
    pub fn new(dir: PathBuf, tag: &str) -> Self {
        let socket = format!("uc-{tag}-{}", std::process::id());
        Self { dir, socket }
    }

    pub fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(env!("CARGO_BIN_EXE_uc"))
            .arg("-f")
            .arg(self.dir.join("univers.yaml"))
            .args(args)
            .current_dir(&self.dir)
            .env("UC_STATE_DIR", self.dir.join("state"))
            .env("UC_TMUX_SOCKET", &self.socket)
            .env_remove("TMUX")
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "uc {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The main PID of a running service, from `uc status --json`.
    pub fn pid(&self, service: &str) -> anyhow::Result<u32> {
        let status: serde_json::Value = serde_json::from_str(&self.run(&["status", "--json"])?)?;
        status["services"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == service))
            .and_then(|s| s["pid"].as_u64())
            .map(|p| p as u32)
            .ok_or_else(|| anyhow::anyhow!("{service} has no pid"))
    }
}

/// `what: N trials, p50 … ms, p90, p99, max`.
pub fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what}: {} trials, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        times.len(),
        ms(pct(0.5)),
        ms(pct(0.9)),
        ms(pct(0.99)),
        times.last().map_or(0.0, |t| ms(*t)),
    );
}
