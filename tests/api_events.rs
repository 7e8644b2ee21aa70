//! The engine's Server-Sent Events over its Unix socket, against a real engine in tmux: event
//! ids, resuming after a dropped connection with `Last-Event-ID` (no event lost, none
//! twice), a foreign id answered with `resync` and a fresh snapshot, and the same resume for
//! a followed log.

mod common;

use std::time::Duration;

use common::cli::Env;
use common::http::Socket;

const T: Duration = Duration::from_secs(20);

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3201"
  web:
    command: "exec sleep 3202"
  talker:
    command: "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.02; done"
"#;

#[test]
fn a_resumed_stream_loses_and_repeats_no_event() {
    let env = Env::new(SERVICES);
    env.ok(&["up", "api"]);
    let api = Socket::of(&env.state, &env.workspace);

    let mut first = api.events("/api/v1/events", None);
    let snapshot = first.next();
    assert_eq!(snapshot.event.as_deref(), Some("snapshot"));
    assert_eq!(snapshot.seq(), snapshot.data["seq"].as_u64().unwrap());
    assert_eq!(api.post("/api/v1/services/web/start", "").status, 200);
    let seen = first.until(T, |e| {
        e.data["event"] == "service" && e.data["state"] == "running"
    });
    for (before, after) in std::iter::once(&snapshot).chain(&seen).zip(&seen) {
        assert_eq!(after.seq(), before.seq() + 1, "{after:?}");
        assert_eq!(
            after.event.as_deref(),
            after.data["event"].as_str(),
            "typed"
        );
    }
    let last = seen.last().unwrap().clone();
    drop(first);

    // Missed while disconnected.
    assert_eq!(api.post("/api/v1/services/web/stop", "").status, 200);
    env.wait_status(T, |s| Env::service(s, "web")["state"] == "stopped");
    assert_eq!(api.post("/api/v1/services/web/start", "").status, 200);
    env.wait_status(T, |s| Env::service(s, "web")["state"] == "running");
    let target = api.get("/api/v1/snapshot").body["seq"].as_u64().unwrap();
    assert!(target > last.seq() + 3, "events happened meanwhile");

    let mut resumed = api.events("/api/v1/events", last.id.as_deref());
    let replayed = resumed.until(T, |e| e.seq() >= target);
    let seqs: Vec<u64> = replayed.iter().map(|e| e.seq()).collect();
    let expected: Vec<u64> = (last.seq() + 1..=target).collect();
    assert_eq!(seqs, expected, "exactly the events after the last one seen");
    assert!(
        replayed
            .iter()
            .all(|e| e.event.as_deref() != Some("snapshot"))
    );
    let states: Vec<&str> = replayed
        .iter()
        .filter(|e| e.data["event"] == "service" && e.data["name"] == "web")
        .filter_map(|e| e.data["state"].as_str())
        .collect();
    let stopped = states.iter().position(|s| *s == "stopped");
    assert!(
        stopped.is_some() && states.last() == Some(&"running"),
        "web stopped, then ran again: {states:?}"
    );
}

#[test]
fn a_foreign_event_id_gets_resync_then_a_snapshot() {
    let env = Env::new(SERVICES);
    env.ok(&["up", "api"]);
    let api = Socket::of(&env.state, &env.workspace);
    let mut stream = api.events("/api/v1/events", Some("1-5"));
    let resync = stream.next();
    assert_eq!(resync.event.as_deref(), Some("resync"));
    assert!(
        resync.data["reason"]
            .as_str()
            .unwrap()
            .contains("not from this engine")
    );
    let snapshot = stream.next();
    assert_eq!(snapshot.event.as_deref(), Some("snapshot"));
    assert_eq!(snapshot.data["services"].as_array().map(Vec::len), Some(3));
    let next = stream.next();
    assert_eq!(next.seq(), snapshot.seq() + 1);
}

#[test]
fn a_resumed_log_follow_continues_after_the_last_line() {
    let env = Env::new(SERVICES);
    env.ok(&["up", "talker"]);
    let api = Socket::of(&env.state, &env.workspace);
    let path = "/api/v1/logs/follow?service=talker&limit=5";
    let mut first = api.events(path, None);
    let lines = first.until(T, |e| e.event.as_deref() == Some("lines") && e.id.is_some());
    let last: u64 = lines
        .last()
        .unwrap()
        .id
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    drop(first);
    assert!(common::eventually(T, || {
        let newest = api.get("/api/v1/logs?sources=talker&limit=1").body;
        newest[0]["seq"].as_u64().is_some_and(|s| s > last + 20)
    }));

    let mut resumed = api.events(&format!("{path}0"), Some(&last.to_string()));
    let events = resumed.until(T, |e| e.event.as_deref() == Some("caught_up"));
    let seqs: Vec<u64> = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("lines"))
        .flat_map(|e| e.data["lines"].as_array().unwrap().clone())
        .map(|l| l["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.len() > 20, "{seqs:?}");
    let expected: Vec<u64> = (last + 1..last + 1 + seqs.len() as u64).collect();
    assert_eq!(
        seqs, expected,
        "the lines after the last one seen, once each"
    );
}
