//! Breach-to-delivery latency: the real `uc` engine, a real CPU burner and a loopback
//! webhook receiver. Each trial starts the burner (the breach: its CPU use jumps at once),
//! and measures until the firing notification reaches the receiver; then stops it and waits
//! for the resolved one. A second series kills a service (`service_down`).
//!
//! `cargo bench --bench alert_latency` (20 trials each; `TRIALS=n` to change).

mod common;

use std::process::Command;

use common::{Uc, report};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;

type Received = Arc<Mutex<Vec<(Instant, String, String)>>>;

const SERVICES: &str = r#"services:
  burner:
    command: |
      while :; do
        if [ -e go ]; then while [ -e go ]; do :; done; else sleep 0.02; fi
      done
  victim:
    command: exec sleep 1000000
metrics: { interval: 1s, history: false }
alerts: { rules: rules.yaml, channels: channels.yaml }
"#;

const RULES: &str = r#"rules:
  - name: Burning
    expr: service_cpu{service="burner"} > 5
  - name: Down
    expr: service_down{service="victim"}
"#;

fn main() -> anyhow::Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let trials: usize = std::env::var("TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(20);
    let runtime = tokio::runtime::Runtime::new()?;
    let received: Received = Arc::default();
    let port = runtime.block_on(receiver(received.clone()))?;

    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let ws = format!("bench{}", std::process::id());
    std::fs::write(
        dir.join("univers.yaml"),
        format!("workspace: {ws}\n{SERVICES}"),
    )?;
    std::fs::write(dir.join("rules.yaml"), RULES)?;
    std::fs::write(
        dir.join("channels.yaml"),
        format!(
            "channels:\n  hook: {{ type: webhook, url: \"http://127.0.0.1:{port}/hook\" }}\n\
             route:\n  channels: [hook]\n  group_wait: 0s\n  group_interval: 1s\n"
        ),
    )?;
    let uc = Uc::new(dir.to_path_buf(), "abench");
    uc.run(&["up"])?;
    std::thread::sleep(Duration::from_secs(3));

    let mut cpu = Vec::new();
    for _ in 0..trials {
        received
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clear();
        let start = Instant::now();
        std::fs::write(dir.join("go"), "")?;
        let fired = wait_for(&received, "Burning", "firing", Duration::from_secs(10))?;
        cpu.push(fired - start);
        std::fs::remove_file(dir.join("go"))?;
        wait_for(&received, "Burning", "resolved", Duration::from_secs(10))?;
        // Past group_interval, so the next trial opens a fresh group.
        std::thread::sleep(Duration::from_millis(1500));
    }
    report("cpu > 5 (burner started)", &mut cpu);

    let mut down = Vec::new();
    for _ in 0..trials {
        received
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clear();
        let pid = uc.pid("victim")?;
        let start = Instant::now();
        Command::new("kill")
            .arg("-9")
            .arg(pid.to_string())
            .status()?;
        let fired = wait_for(&received, "Down", "firing", Duration::from_secs(10))?;
        down.push(fired - start);
        uc.run(&["up", "victim"])?;
        wait_for(&received, "Down", "resolved", Duration::from_secs(10))?;
        std::thread::sleep(Duration::from_millis(1500));
    }
    report("service_down (kill -9)", &mut down);
    uc.run(&["down"])?;
    Ok(())
}

/// A webhook receiver recording when each notification (alertname, status) arrived.
async fn receiver(received: Received) -> anyhow::Result<u16> {
    let app = Router::new().route(
        "/hook",
        post(move |body: Bytes| {
            let received = received.clone();
            async move {
                let at = Instant::now();
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let status = json["status"].as_str().unwrap_or_default().to_owned();
                let name = json["groupLabels"]["alertname"]
                    .as_str()
                    .or_else(|| json["commonLabels"]["alertname"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                if let Ok(mut r) = received.lock() {
                    r.push((at, name, status));
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(port)
}

fn wait_for(
    received: &Received,
    name: &str,
    status: &str,
    timeout: Duration,
) -> anyhow::Result<Instant> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Some((at, ..)) = received
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .iter()
            .find(|(_, n, s)| n == name && s == status)
        {
            return Ok(*at);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    anyhow::bail!("no {status} notification for {name} within {timeout:?}")
}
