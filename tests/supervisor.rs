//! The supervisor against a real tmux server on a private socket and real processes.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, eventually, exec_check, pid_alive, read_pid, service};
use univers_container::config::{Condition, Dependency, Stop};
use univers_container::protocol::{Command, Health, ServiceState};

const T: Duration = Duration::from_secs(15);

fn running(s: &univers_container::protocol::ServiceStatus) -> bool {
    s.state == ServiceState::Running
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_restart_stop_with_output_captured_from_the_first_line() {
    let h = Harness::start(|dir| vec![service("sleeper", "echo first line; exec sleep 300", dir)])
        .await;
    let reply = h.start_services(&["sleeper"]).await;
    assert_eq!(reply.services, ["sleeper"]);
    let up = h.wait("sleeper", T, running).await;
    let pid = up.pid.expect("pid");
    assert!(pid_alive(pid));
    assert!(up.started_at.is_some() && up.window.is_some());
    let log = h.paths.service_log("sleeper");
    assert!(
        eventually(T, || std::fs::read_to_string(&log)
            .is_ok_and(|s| s.contains("first line"))),
        "pipe-pane must capture output from the very first line"
    );

    h.cmd(Command::Restart {
        services: vec!["sleeper".into()],
    })
    .await
    .expect("restart");
    let again = h
        .wait("sleeper", T, |s| running(s) && s.user_restarts == 1)
        .await;
    assert_ne!(again.pid, Some(pid));
    assert!(!pid_alive(pid), "old process is gone after restart");
    assert_eq!(
        again.window, up.window,
        "restart reuses the service's window"
    );

    h.stop_services(&["sleeper"]).await;
    let down = h
        .wait("sleeper", T, |s| s.state == ServiceState::Stopped)
        .await;
    assert_eq!(down.pid, None);
    assert!(!pid_alive(again.pid.expect("pid")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_report_code_and_signal() {
    let h = Harness::start(|dir| {
        vec![
            service("fails", "echo bye; exit 3", dir),
            service("killed", "kill -9 $$", dir),
        ]
    })
    .await;
    h.start_services(&["fails", "killed"]).await;
    let fails = h
        .wait("fails", T, |s| s.state == ServiceState::Exited)
        .await;
    assert_eq!(fails.exit_code, Some(3));
    let killed = h
        .wait("killed", T, |s| s.state == ServiceState::Exited)
        .await;
    assert_eq!(killed.signal.as_deref(), Some("SIGKILL"));
    assert_eq!(killed.exit_code, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependents_wait_for_a_healthy_dependency() {
    let h = Harness::start(|dir| {
        let mut db = service("db", "sleep 1; touch ready; exec sleep 300", dir);
        db.readiness = Some(exec_check("test -f ready"));
        let mut api = service("api", "date +%s%N > api.started; exec sleep 300", dir);
        api.depends_on = vec![Dependency {
            service: "db".into(),
            condition: Condition::Healthy,
        }];
        vec![api, db]
    })
    .await;
    let reply = h.start_services(&["api"]).await;
    assert_eq!(reply.services, ["db", "api"], "dependencies first");
    let waiting = h
        .wait("api", T, |s| {
            s.reason.as_deref() == Some("waiting for db (healthy)")
        })
        .await;
    assert_eq!(waiting.state, ServiceState::Starting);
    assert!(!h.dir.join("api.started").exists());
    let db = h.wait("db", T, |s| s.health == Some(Health::Healthy)).await;
    assert_eq!(db.state, ServiceState::Running);
    h.wait("api", T, running).await;
    // Running means its process exists; its first line may not have run yet.
    assert!(eventually(T, || h.dir.join("api.started").exists()));
    let ready = std::fs::metadata(h.dir.join("ready"))
        .and_then(|m| m.modified())
        .expect("ready");
    let started = std::fs::metadata(h.dir.join("api.started"))
        .and_then(|m| m.modified())
        .expect("api started");
    assert!(started >= ready, "api started only after db became healthy");

    // Stopping db stops api first.
    let reply = h.stop_services(&["db"]).await;
    assert_eq!(reply.services, ["api", "db"]);
    h.wait("db", T, |s| s.state == ServiceState::Stopped).await;
    assert_eq!(h.status("api").state, ServiceState::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_lets_a_trapping_service_clean_up() {
    let h = Harness::start(|dir| {
        vec![service(
            "trapper",
            "trap 'echo cleaned > cleaned.txt; exit 0' TERM; while true; do sleep 0.1; done",
            dir,
        )]
    })
    .await;
    h.start_services(&["trapper"]).await;
    h.wait("trapper", T, running).await;
    let start = Instant::now();
    h.stop_services(&["trapper"]).await;
    let stopped = h
        .wait("trapper", T, |s| s.state == ServiceState::Stopped)
        .await;
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(stopped.reason, None, "no SIGKILL was needed");
    assert!(h.dir.join("cleaned.txt").exists(), "the TERM trap ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_after_the_stop_timeout() {
    let h = Harness::start(|dir| {
        let mut stubborn = service(
            "stubborn",
            "trap '' TERM; echo $$ > pid; while true; do sleep 0.1; done",
            dir,
        );
        stubborn.stop = Stop {
            signal: nix::sys::signal::Signal::SIGTERM,
            timeout: Duration::from_millis(500),
        };
        vec![stubborn]
    })
    .await;
    h.start_services(&["stubborn"]).await;
    h.wait("stubborn", T, running).await;
    let pid = read_pid(&h.dir.join("pid"), T);
    let start = Instant::now();
    h.stop_services(&["stubborn"]).await;
    let stopped = h
        .wait("stubborn", T, |s| s.state == ServiceState::Stopped)
        .await;
    assert!(start.elapsed() >= Duration::from_millis(500));
    assert!(
        stopped
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("SIGKILL")),
        "{stopped:?}"
    );
    assert!(!pid_alive(pid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_that_left_the_process_group_are_stopped_too() {
    let h = Harness::start(|dir| {
        vec![service(
            "leaky",
            // One child leaves the group but keeps its parent; another double-forks into
            // its own session and loses its parent link altogether (a daemon).
            "setsid sh -c 'echo $$ > setsid.pid; exec sleep 300' & \
             sh -c \"setsid sh -c 'echo \\$\\$ > daemon.pid; exec sleep 300' &\" ; \
             exec sleep 300",
            dir,
        )]
    })
    .await;
    h.start_services(&["leaky"]).await;
    let up = h.wait("leaky", T, running).await;
    let escaped = read_pid(&h.dir.join("setsid.pid"), T);
    let daemon = read_pid(&h.dir.join("daemon.pid"), T);
    assert!(pid_alive(escaped) && pid_alive(daemon));
    let pgid = |pid: u32| nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(pid as i32)));
    assert_ne!(
        pgid(escaped).ok(),
        pgid(up.pid.expect("pid")).ok(),
        "left the group"
    );
    h.stop_services(&["leaky"]).await;
    h.wait("leaky", T, |s| s.state == ServiceState::Stopped)
        .await;
    assert!(!pid_alive(escaped), "setsid child survived the stop");
    assert!(!pid_alive(daemon), "double-forked daemon survived the stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_services_are_refused_with_the_field_and_a_suggestion() {
    let h = Harness::start(|dir| vec![service("api", "sleep 300", dir)]).await;
    let err = h
        .cmd(Command::Start {
            services: vec!["apii".into()],
            tags: vec![],
        })
        .await
        .expect_err("refused");
    assert_eq!(err.field.as_deref(), Some("services"));
    assert!(err.message.contains("did you mean `api`"), "{err}");
    assert_eq!(
        h.status("api").state,
        ServiceState::Stopped,
        "nothing started"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_dependency_fails_its_dependents() {
    let h = Harness::start(|dir| {
        let mut db = service("db", "exit 2", dir);
        db.readiness = Some(exec_check("false"));
        let mut api = service("api", "sleep 300", dir);
        api.depends_on = vec![Dependency {
            service: "db".into(),
            condition: Condition::Healthy,
        }];
        vec![db, api]
    })
    .await;
    h.start_services(&["api"]).await;
    let api = h.wait("api", T, |s| s.state == ServiceState::Failed).await;
    assert_eq!(
        api.reason.as_deref(),
        Some("dependency db exited with code 2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_closed_by_the_user_is_noticed() {
    let h = Harness::start(|dir| vec![service("api", "exec sleep 300", dir)]).await;
    h.start_services(&["api"]).await;
    let up = h.wait("api", T, running).await;
    let window = up.window.expect("window");
    h.server.tmux(&["kill-window", "-t", &window]);
    // What the engine's window-unlinked hook does.
    h.wake.send(()).await.expect("wake");
    let gone = h.wait("api", T, |s| s.state == ServiceState::Exited).await;
    assert_eq!(gone.reason.as_deref(), Some("its window was closed"));
    assert_eq!(gone.window, None);
    h.start_services(&["api"]).await;
    let again = h.wait("api", T, running).await;
    assert!(
        again.window.is_some() && again.pid != up.pid,
        "runs again in a new window"
    );
}
