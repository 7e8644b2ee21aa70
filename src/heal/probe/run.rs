//! One run of one probe. `Err` carries what the user should read: the exit code and the
//! command's last output, a refused connection, an unexpected HTTP status.

use std::time::Duration;

use super::{ProbeContext, net};
use crate::config::Probe;
use crate::heal::child::{self, ChildError, Ran};
use crate::heal::output;

/// Run `probe` once, within `timeout`. A probe that hangs is abandoned (an exec probe's
/// whole process group is killed), so it never holds up the next run or other probes.
pub async fn check(probe: &Probe, timeout: Duration, ctx: &ProbeContext) -> Result<(), String> {
    match probe {
        Probe::Exec(command) => exec(command, timeout, ctx).await,
        Probe::Tcp(addr) => net::tcp(addr, timeout).await,
        Probe::Http(http) => net::http(http, timeout).await,
        Probe::Process => process_alive(ctx.pid),
    }
}

async fn exec(command: &str, timeout: Duration, ctx: &ProbeContext) -> Result<(), String> {
    match child::run(command, &ctx.cwd, &ctx.env, timeout).await {
        Ok(Ran::Finished(status, _)) if status.success() => Ok(()),
        Ok(Ran::Finished(status, output)) => {
            let head = format!("failed ({status})");
            Err(match output::last_words(&output) {
                Some(words) => format!("{head}: {words}"),
                None => head,
            })
        }
        Ok(Ran::TimedOut) => Err(format!(
            "timed out after {}",
            humantime::format_duration(timeout)
        )),
        Err(ChildError::Start(e)) => Err(format!("cannot run the probe command: {e}")),
        Err(ChildError::Wait(e)) => Err(format!("cannot wait for the probe command: {e}")),
    }
}

fn process_alive(pid: Option<u32>) -> Result<(), String> {
    let pid = pid.ok_or("no process")?;
    match crate::procfs::process::read_stat(pid) {
        None => Err(format!("process {pid} is gone")),
        Some(stat) if stat.is_zombie() => Err(format!("process {pid} has exited")),
        Some(stat) if stat.state == 'T' => Err(format!("process {pid} is stopped (SIGSTOP)")),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HttpProbe;
    use std::collections::BTreeMap;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn ctx() -> ProbeContext {
        ProbeContext {
            cwd: std::env::temp_dir(),
            env: BTreeMap::new(),
            pid: Some(std::process::id()),
            secrets: Default::default(),
        }
    }

    fn http(url: String, status: (u16, u16), body: Option<&str>) -> Probe {
        Probe::Http(HttpProbe {
            url,
            status,
            body: body.map(str::to_owned),
        })
    }

    #[tokio::test]
    async fn exec_probe_follows_exit_code_and_reports_output() {
        let t = Duration::from_secs(5);
        assert!(check(&Probe::Exec("true".into()), t, &ctx()).await.is_ok());
        let err = check(&Probe::Exec("echo db down >&2; exit 3".into()), t, &ctx()).await;
        assert_eq!(err, Err("failed (exit status: 3): db down".into()));
    }

    #[tokio::test]
    async fn a_hung_exec_probe_is_killed_with_everything_it_started() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pidfile = dir.path().join("pid");
        let command = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
        let began = std::time::Instant::now();
        let r = check(&Probe::Exec(command), Duration::from_millis(300), &ctx()).await;
        assert!(r.is_err_and(|e| e.contains("timed out")));
        assert!(began.elapsed() < Duration::from_secs(2));
        let pid: u32 = std::fs::read_to_string(&pidfile)
            .expect("pid written")
            .trim()
            .parse()
            .expect("a pid");
        // Killed, then reaped by init: gone or a zombie within a moment.
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while crate::procfs::process::read_stat(pid).is_some_and(|s| !s.is_zombie()) {
            assert!(std::time::Instant::now() < deadline, "sleep {pid} survived");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A listener answering `/ok` with 200 and a body, anything else with 503.
    async fn server() -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let (status, body) = if req.starts_with("GET /ok") {
                    ("200 OK", "status: ready")
                } else {
                    ("503 Busy", "")
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn http_probe_checks_status_range_and_body() {
        let addr = server().await;
        let t = Duration::from_secs(5);
        let ok = format!("http://{addr}/ok");
        assert!(
            check(&http(ok.clone(), (200, 399), None), t, &ctx())
                .await
                .is_ok()
        );
        let ready = http(ok.clone(), (200, 200), Some("ready"));
        assert!(check(&ready, t, &ctx()).await.is_ok());
        let missing = check(&http(ok, (200, 299), Some("alive")), t, &ctx()).await;
        assert!(missing.is_err_and(|e| e.contains("does not contain \"alive\"")));
        let busy = check(
            &http(format!("http://{addr}/busy"), (200, 399), None),
            t,
            &ctx(),
        )
        .await;
        assert!(busy.is_err_and(|e| e.contains("HTTP 503 (expected 200..399)")));
        let accepted = http(format!("http://{addr}/busy"), (500, 599), None);
        assert!(check(&accepted, t, &ctx()).await.is_ok());
    }

    #[tokio::test]
    async fn tcp_probe_and_a_closed_port() {
        let addr = server().await;
        let t = Duration::from_secs(5);
        assert!(
            check(&Probe::Tcp(addr.to_string()), t, &ctx())
                .await
                .is_ok()
        );
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr")
        };
        let r = check(&Probe::Tcp(closed.to_string()), t, &ctx()).await;
        assert!(r.is_err_and(|e| e.contains("refused")));
    }

    #[tokio::test]
    async fn process_probe_sees_the_main_process() {
        let t = Duration::from_secs(1);
        assert!(check(&Probe::Process, t, &ctx()).await.is_ok());
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("reap");
        let gone = ProbeContext {
            pid: Some(pid),
            ..ctx()
        };
        assert!(check(&Probe::Process, t, &gone).await.is_err());
    }
}
