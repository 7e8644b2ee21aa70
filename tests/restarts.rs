//! Restart policies against a real tmux server and real processes: growing backoff, giving
//! up after `max`, a user's stop winning over a pending restart, and `kill -9` recovery.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, service};
use univers_container::config::{GiveUp, Restart, RestartPolicy};
use univers_container::heal::HealKind;
use univers_container::protocol::{Event, ServiceState};

const T: Duration = Duration::from_secs(20);

fn with_policy(
    mut svc: univers_container::config::Service,
    policy: RestartPolicy,
    backoff: (u64, u64),
    max: Option<(u32, u64)>,
) -> univers_container::config::Service {
    svc.restart = Restart {
        policy,
        backoff: Some((
            Duration::from_millis(backoff.0),
            Duration::from_millis(backoff.1),
        )),
        max: max.map(|(n, secs)| (n, Duration::from_secs(secs))),
        then: GiveUp::Stop,
    };
    svc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_backs_off_then_gives_up() {
    let h = Harness::start(|dir| {
        vec![with_policy(
            service("flaky", "exit 1", dir),
            RestartPolicy::OnFailure,
            (300, 5_000),
            Some((4, 60)),
        )]
    })
    .await;
    let (_, mut events) = h.hub.subscribe();
    h.start_services(&["flaky"]).await;
    // Every start time the service had, until it gives up.
    let mut starts: Vec<u64> = Vec::new();
    let deadline = Instant::now() + T;
    let last = loop {
        let status = h.status("flaky");
        if let Some(at) = status.started_at
            && starts.last() != Some(&at)
        {
            starts.push(at);
        }
        if status.state == ServiceState::GaveUp {
            break status;
        }
        assert!(Instant::now() < deadline, "never gave up: {status:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(
        last.reason.as_deref(),
        Some("gave up: 4 restarts within 1m (last: exited with code 1)")
    );
    assert_eq!(last.restarts, 4);
    assert_eq!(starts.len(), 5, "first start and four restarts: {starts:?}");
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    // Immediate, then 300 ms, 600 ms, 1.2 s (±10 %), each plus the launch itself.
    assert!(gaps[0] < 250, "first restart is immediate: {gaps:?}");
    for (gap, nominal) in gaps[1..].iter().zip([300u64, 600, 1200]) {
        assert!(
            *gap >= nominal * 9 / 10 && *gap < nominal * 11 / 10 + 700,
            "gap {gap} ms for a {nominal} ms backoff: {gaps:?}"
        );
    }
    // Each step was an event with its reason; the give-up comes last (after the logs are read).
    let mut kinds = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !kinds.contains(&HealKind::GaveUp) {
        assert!(Instant::now() < deadline, "no give-up event: {kinds:?}");
        match tokio::time::timeout(Duration::from_secs(1), events.recv()).await {
            Ok(Ok(Event::Heal(e))) => {
                assert_eq!(e.service.as_deref(), Some("flaky"));
                assert!(!e.escalate, "then: stop does not escalate");
                kinds.push(e.kind);
            }
            _ => continue,
        }
    }
    use HealKind::{Backoff, GaveUp, Restart};
    assert_eq!(
        kinds,
        [
            Restart, Backoff, Restart, Backoff, Restart, Backoff, Restart, GaveUp
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_during_the_backoff_keeps_the_service_down() {
    let h = Harness::start(|dir| {
        vec![with_policy(
            service("flaky", "sleep 0.2; exit 1", dir),
            RestartPolicy::Always,
            (3_000, 3_000),
            None,
        )]
    })
    .await;
    h.start_services(&["flaky"]).await;
    let waiting = h
        .wait("flaky", T, |s| {
            s.state == ServiceState::CrashLooping
                && s.restart_at.is_some()
                && s.reason
                    .as_deref()
                    .is_some_and(|r| r.contains("; restarting in 3s"))
        })
        .await;
    h.stop_services(&["flaky"]).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after = h.status("flaky");
    assert_eq!(after.state, ServiceState::Stopped, "{after:?}");
    assert_eq!(after.restarts, waiting.restarts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_running_service_brings_a_new_pid() {
    let h = Harness::start(|dir| {
        vec![with_policy(
            service("api", "exec sleep 1000", dir),
            RestartPolicy::Always,
            (1_000, 1_000),
            None,
        )]
    })
    .await;
    h.start_services(&["api"]).await;
    let first = h.wait("api", T, |s| s.state == ServiceState::Running).await;
    let pid = first.pid.expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill");
    // The first failure restarts at once (no backoff), well within a second.
    let again = h
        .wait("api", Duration::from_secs(2), |s| {
            s.state == ServiceState::Running && s.pid.is_some_and(|p| p != pid)
        })
        .await;
    assert_eq!(again.restarts, 1);
}
