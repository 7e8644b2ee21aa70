//! Probes and restart triggers against a real tmux server, real processes and real
//! loopback listeners: readiness gating a dependent (HTTP 500, then 200), liveness on a TCP
//! port that closes, a hung exec probe next to a healthy one, `watch` and `max_memory`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use common::{Harness, exec_check, service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use univers_container::config::{
    Check, Condition, Dependency, HttpProbe, MemoryLimit, Probe, RestartPolicy, Watch,
};
use univers_container::heal::{HealEvent, HealKind};
use univers_container::metrics::MetricsWorker;
use univers_container::protocol::{Event, Health, ProbeKind, ServiceState};

const T: Duration = Duration::from_secs(15);

fn fast(probe: Probe) -> Check {
    Check {
        probe,
        ..exec_check("true")
    }
}

/// A loopback HTTP server answering every request with the status in `status`.
async fn http_server(status: Arc<AtomicU16>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let code = status.load(Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = sock.read(&mut buf).await;
                let reply = format!("HTTP/1.1 {code} X\r\ncontent-length: 2\r\n\r\nok");
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_holds_a_dependent_until_http_answers_200() {
    let status = Arc::new(AtomicU16::new(500));
    let addr = http_server(status.clone()).await;
    let h = Harness::start(|dir| {
        let mut web = service("web", "exec sleep 1000", dir);
        web.readiness = Some(fast(Probe::Http(HttpProbe {
            url: format!("http://{addr}/health"),
            status: (200, 299),
            body: Some("ok".into()),
        })));
        let mut client = service("client", "exec sleep 1000", dir);
        client.depends_on = vec![Dependency {
            service: "web".into(),
            condition: Condition::Healthy,
        }];
        vec![web, client]
    })
    .await;
    h.start_services(&["client"]).await;
    let failing = h
        .wait("web", T, |s| s.health == Some(Health::Unhealthy))
        .await;
    let probe = &failing.probes[0];
    assert_eq!(probe.kind, ProbeKind::Readiness);
    assert!(
        probe
            .output
            .as_deref()
            .is_some_and(|o| o.contains("HTTP 500 (expected 200..299)")),
        "{probe:?}"
    );
    assert!(probe.latency_us.is_some() && probe.checked_at.is_some());
    let waiting = h
        .wait("client", T, |s| {
            s.reason.as_deref() == Some("waiting for web (healthy)")
        })
        .await;
    assert_eq!(waiting.state, ServiceState::Starting, "{waiting:?}");

    status.store(200, Ordering::SeqCst);
    h.wait("client", T, |s| s.state == ServiceState::Running)
        .await;
    let web = h.status("web");
    assert_eq!(web.health, Some(Health::Healthy));
    assert_eq!(web.probes[0].failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_liveness_probe_restarts_the_service() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let h = Harness::start(|dir| {
        let mut api = service("api", "exec sleep 1000", dir);
        let mut live = fast(Probe::Tcp(addr.to_string()));
        live.failure_threshold = 2;
        api.liveness = Some(live);
        api.restart.policy = RestartPolicy::Always;
        vec![api]
    })
    .await;
    let (_, mut events) = h.hub.subscribe();
    h.start_services(&["api"]).await;
    let first = h
        .wait("api", T, |s| {
            s.probes.first().is_some_and(|p| p.state == Health::Healthy)
        })
        .await;
    let pid = first.pid.expect("pid");
    // The port closes: the probe fails twice, the service is killed and started again.
    drop(listener);
    let again = h
        .wait("api", T, |s| {
            s.state == ServiceState::Running && s.pid.is_some_and(|p| p != pid)
        })
        .await;
    assert_eq!(again.restarts, 1);
    let restart = next_heal(&mut events, HealKind::Restart).await;
    assert!(
        restart
            .reason
            .starts_with(&format!("liveness probe failed: {addr}:")),
        "{restart:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_exec_probe_never_holds_up_another_service() {
    let h = Harness::start(|dir| {
        let mut stuck = service("stuck", "exec sleep 1000", dir);
        let mut hung = exec_check("sleep 100");
        hung.timeout = Duration::from_millis(300);
        stuck.readiness = Some(hung);
        let mut quick = service("quick", "exec sleep 1000", dir);
        quick.readiness = Some(exec_check("true"));
        vec![stuck, quick]
    })
    .await;
    h.start_services(&["stuck", "quick"]).await;
    h.wait("quick", Duration::from_secs(3), |s| {
        s.health == Some(Health::Healthy)
    })
    .await;
    let stuck = h
        .wait("stuck", T, |s| s.health == Some(Health::Unhealthy))
        .await;
    assert_eq!(
        stuck.probes[0].output.as_deref(),
        Some("timed out after 300ms")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_restarts_on_a_matching_change_only() {
    let h = Harness::start(|dir| {
        let src = dir.join("src");
        std::fs::create_dir_all(&src).expect("src");
        let mut api = service("api", "exec sleep 1000", dir);
        api.triggers.watch = Some(Watch {
            paths: vec![src],
            include: vec!["**/*.py".into()],
            exclude: vec!["cache/**".into()],
            debounce: Duration::from_millis(100),
        });
        vec![api]
    })
    .await;
    h.start_services(&["api"]).await;
    let first = h.wait("api", T, |s| s.state == ServiceState::Running).await;
    let src = h.dir.join("src");
    assert!(
        common::eventually(T, || inotify_watches(&src)),
        "the watch was never set up"
    );
    let (_, mut events) = h.hub.subscribe();
    std::fs::create_dir_all(h.dir.join("src/cache")).expect("cache");
    std::fs::write(h.dir.join("src/cache/x.py"), "x").expect("write");
    std::fs::write(h.dir.join("src/notes.md"), "x").expect("write");
    std::fs::write(h.dir.join("src/app.py"), "print()").expect("write");
    // The excluded files changed first: had either counted, the restart would name it.
    let restart = next_heal(&mut events, HealKind::Restart).await;
    assert_eq!(restart.reason, "changed: app.py", "{restart:?}");
    let again = h
        .wait("api", T, |s| {
            s.state == ServiceState::Running && s.pid.is_some() && s.pid != first.pid
        })
        .await;
    // A saved file is a restart someone planned, not a crash.
    assert_eq!((again.restarts, again.user_restarts), (0, 1));
}

/// Whether this process (the engine, in these tests) has an inotify watch on `dir`.
fn inotify_watches(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return false;
    };
    let inode = format!("ino:{:x} ", meta.ino());
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    fds.flatten().any(|fd| {
        let inotify = std::fs::read_link(fd.path())
            .is_ok_and(|target| target.as_os_str() == "anon_inode:inotify");
        inotify
            && std::fs::read_to_string(format!(
                "/proc/self/fdinfo/{}",
                fd.file_name().to_string_lossy()
            ))
            .is_ok_and(|info| {
                info.lines()
                    .any(|l| l.starts_with("inotify") && l.contains(&inode))
            })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_memory_restarts_a_service_that_stays_above_it() {
    let h = Harness::start(|dir| {
        let hog = "exec python3 -c 'import time; b = bytearray(48 << 20); time.sleep(1000)'";
        let mut api = service("api", hog, dir);
        api.triggers.max_memory = Some(MemoryLimit {
            bytes: 24 << 20,
            sustain: Duration::from_secs(1),
        });
        vec![api]
    })
    .await;
    // The trigger reads the engine's metrics samples, as often as the engine's default.
    let _metrics =
        MetricsWorker::spawn(h.hub.clone(), Duration::from_secs(1), None).expect("metrics worker");
    let (_, mut events) = h.hub.subscribe();
    h.start_services(&["api"]).await;
    let first = h.wait("api", T, |s| s.state == ServiceState::Running).await;
    let restart = next_heal(&mut events, HealKind::Restart).await;
    assert!(
        restart.reason.contains("above max_memory 24 MiB for 1s"),
        "{restart:?}"
    );
    h.wait("api", T, |s| {
        s.state == ServiceState::Running && s.pid.is_some() && s.pid != first.pid
    })
    .await;
}

async fn next_heal(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    kind: HealKind,
) -> HealEvent {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(Event::Heal(e))) if e.kind == kind => return e,
            Ok(Ok(_)) => {}
            other => panic!("no {kind:?} heal event: {other:?}"),
        }
    }
}
