//! Health probes (exec, tcp, http) and the loop that runs one against a service.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::config::{Health, Probe};
use crate::engine::Health as HealthState;

/// Where a probe runs: exec probes see the service's cwd and env.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeContext {
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
}

/// Run `probe` once. `Err` carries what the user should read (exit code, refused, status).
pub async fn check(probe: &Probe, timeout: Duration, ctx: &ProbeContext) -> Result<(), String> {
    match tokio::time::timeout(timeout, check_inner(probe, ctx)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "timed out after {}",
            humantime::format_duration(timeout)
        )),
    }
}

async fn check_inner(probe: &Probe, ctx: &ProbeContext) -> Result<(), String> {
    match probe {
        Probe::Exec(command) => exec(command, ctx).await,
        Probe::Tcp(addr) => TcpStream::connect(addr)
            .await
            .map(drop)
            .map_err(|e| format!("{addr}: {e}")),
        Probe::Http(url) => http_get(url).await,
    }
}

async fn exec(command: &str, ctx: &ProbeContext) -> Result<(), String> {
    let status = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .current_dir(&ctx.cwd)
        .envs(&ctx.env)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .map_err(|e| format!("cannot run health command: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("health command failed ({status})"))
    }
}

async fn http_get(url: &str) -> Result<(), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let host = uri.host().ok_or_else(|| format!("{url}: no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    tokio::spawn(conn);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("{url}: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    if status.is_success() || status.is_redirection() {
        Ok(())
    } else {
        Err(format!("{url}: HTTP {status}"))
    }
}

/// A health change worth reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    pub service: String,
    pub state: HealthState,
    /// Why the last probe failed.
    pub detail: Option<String>,
}

/// Probe `health` until the receiver is dropped, reporting every change of state. Docker's
/// semantics, plus a fast start: failures during `start_period` do not count until the first success, and
/// `retries` consecutive failures make a service unhealthy.
pub async fn watch(
    service: String,
    health: Health,
    ctx: ProbeContext,
    reports: mpsc::UnboundedSender<HealthReport>,
) {
    let started = tokio::time::Instant::now();
    let mut state = HealthState::Unknown;
    let mut failures = 0u32;
    // Until the first success, probe on a fast ramp (50 ms doubling up to `interval`), so
    // dependents start as soon as the service is ready, not an interval later.
    let mut delay = Duration::ZERO;
    loop {
        tokio::time::sleep(delay).await;
        delay = if state == HealthState::Unknown {
            (delay * 2).clamp(Duration::from_millis(50), health.interval)
        } else {
            health.interval
        };
        let result = check(&health.probe, health.timeout, &ctx).await;
        let next = match &result {
            Ok(()) => {
                failures = 0;
                HealthState::Healthy
            }
            Err(_) if state == HealthState::Unknown && started.elapsed() < health.start_period => {
                HealthState::Unknown
            }
            Err(_) => {
                failures += 1;
                if failures >= health.retries.max(1) {
                    HealthState::Unhealthy
                } else {
                    state
                }
            }
        };
        if next != state {
            state = next;
            let report = HealthReport {
                service: service.clone(),
                state,
                detail: result.err(),
            };
            if reports.send(report).is_err() {
                return;
            }
        }
        if reports.is_closed() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ProbeContext {
        ProbeContext {
            cwd: std::env::temp_dir(),
            env: BTreeMap::new(),
        }
    }

    #[tokio::test]
    async fn exec_probe_follows_exit_code() {
        let t = Duration::from_secs(5);
        assert!(check(&Probe::Exec("true".into()), t, &ctx()).await.is_ok());
        let err = check(&Probe::Exec("exit 3".into()), t, &ctx()).await;
        assert!(err.is_err_and(|e| e.contains("exit status: 3")));
    }

    #[tokio::test]
    async fn tcp_and_http_probes_against_a_real_listener() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 1024];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let status = if req.starts_with("GET /ok") {
                    "200 OK"
                } else {
                    "503 Busy"
                };
                let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
                let _ = sock.write_all(reply.as_bytes()).await;
            }
        });
        let t = Duration::from_secs(5);
        assert!(
            check(&Probe::Tcp(addr.to_string()), t, &ctx())
                .await
                .is_ok()
        );
        let ok = Probe::Http(format!("http://{addr}/ok"));
        assert!(check(&ok, t, &ctx()).await.is_ok());
        let busy = Probe::Http(format!("http://{addr}/busy"));
        assert!(
            check(&busy, t, &ctx())
                .await
                .is_err_and(|e| e.contains("503"))
        );
    }

    #[tokio::test]
    async fn timeouts_are_failures() {
        let r = check(
            &Probe::Exec("sleep 5".into()),
            Duration::from_millis(100),
            &ctx(),
        )
        .await;
        assert!(r.is_err_and(|e| e.contains("timed out")));
    }
}
