//! `uc logs --since` over a store much larger than the memory either side may take: the
//! engine writes what it reads as it reads it, the client prints what it gets as it gets it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::cli::Env;
use univers_container::clock::now_ms;
use univers_container::logs::LineClassifier;
use univers_container::logs::store::{LogStore, StoreLimits};
use univers_container::paths::Paths;

const LINES: usize = 300_000;
/// More than the engine may grow by: the lines are 60 MB, their JSON more.
const MAX_GROWTH_KIB: u64 = 40 << 10;
/// More than the client may take in all (a debug build starts at about 33 MiB).
const MAX_CLIENT_KIB: u64 = 64 << 10;

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {status}"))
}

#[test]
fn a_large_answer_is_streamed_by_the_engine_and_printed_as_it_comes() {
    let env = Env::new("  idle:\n    command: exec sleep 600\n");
    let paths = Paths::new(&env.state, &env.workspace, env.private.socket.clone());
    let classify = LineClassifier { now_ms: now_ms() };
    let mut store =
        LogStore::open(paths.log_store(), StoreLimits::default(), &classify).expect("store");
    let start = now_ms() - 3_600_000;
    let padding = "x".repeat(160);
    for i in 0..LINES {
        let text = format!("INFO request {i:07} served {padding}");
        store
            .append("idle", start + i as u64, None, None, text.as_bytes())
            .expect("append");
    }
    store.flush().expect("flush");
    drop(store);

    env.ok(&["up"]);
    let engine = env.status()["engine"]["pid"].as_u64().expect("pid") as u32;
    // Peak resident memory counts from here.
    std::fs::write(format!("/proc/{engine}/clear_refs"), "5").expect("reset the peak");
    let before = status_kib(engine, "VmRSS:");

    let mut client = env
        .uc(&["logs", "idle", "--since", "2h"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("uc logs");
    let out = BufReader::new(client.stdout.take().expect("stdout"));
    let mut count = 0;
    let mut client_peak = 0;
    for line in out.lines() {
        let line = line.expect("line");
        if count == 0 {
            // The level in its column, then the message without it.
            assert!(line.contains(" INFO  request 0000000 served"), "{line}");
        }
        if count % 10_000 == 0 {
            client_peak = client_peak.max(status_kib(client.id(), "VmHWM:"));
        }
        count += 1;
    }
    let result = client.wait_with_output().expect("wait");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(count, LINES);

    let engine_growth = status_kib(engine, "VmHWM:").saturating_sub(before);
    eprintln!("engine grew by {engine_growth} KiB, the client peaked at {client_peak} KiB");
    assert!(
        engine_growth < MAX_GROWTH_KIB,
        "the engine grew by {engine_growth} KiB"
    );
    assert!(
        client_peak < MAX_CLIENT_KIB,
        "the client peaked at {client_peak} KiB"
    );
    env.ok(&["down"]);
}
