//! A full disk loses nothing: each test mounts a small tmpfs, fills it to the last byte,
//! writes while it is full, frees it, and finds every line (and notification) once. The
//! tests skip, saying why, only where this process may not mount (CI runs as root).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::disk::{SmallDisk, write_calls};
use common::eventually;
use univers_container::logs::store::{LogStore, StoreLimits, StoreReader};
use univers_container::logs::{LineClassifier, LogQuery};

const T: Duration = Duration::from_secs(30);

fn now_ms() -> u64 {
    univers_container::engine::now_ms()
}

fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let mut status = None;
    let ended = eventually(T, || {
        status = child.try_wait().expect("wait");
        status.is_some()
    });
    assert!(ended, "still running");
    status.expect("exit status")
}

fn all_lines(dir: &std::path::Path) -> Vec<String> {
    StoreReader::open(dir)
        .query(&LogQuery::default())
        .expect("query")
        .into_iter()
        .map(|l| l.text)
        .collect()
}

#[test]
fn the_log_store_keeps_what_it_could_not_write_and_writes_it_later() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(disk) = SmallDisk::mount(&tmp.path().join("disk"), "1m") else {
        return;
    };
    let dir = disk.dir.join("store");
    let classify = LineClassifier { now_ms: now_ms() };
    let mut store = LogStore::open(&dir, StoreLimits::default(), &classify).expect("open");
    let line = |i: usize| format!("INFO request {i:05} served");
    let append = |store: &mut LogStore, range: std::ops::Range<usize>| {
        for i in range {
            store
                .append("api", now_ms(), None, None, line(i).as_bytes())
                .expect("append takes the line");
        }
    };
    append(&mut store, 0..1000);
    store.flush().expect("flush with room");

    disk.fill();
    append(&mut store, 1000..3000);
    assert!(store.flush().is_err(), "nothing can be written");
    assert!(store.flush().is_err(), "still nothing");

    disk.free();
    store.flush().expect("flush once there is room");
    let expected: Vec<String> = (0..3000).map(line).collect();
    assert_eq!(all_lines(&dir), expected);

    drop(store);
    let reopened = LogStore::open(&dir, StoreLimits::default(), &classify).expect("reopen");
    assert_eq!(reopened.next_seq(), 3000, "nothing torn to repair");
    assert_eq!(all_lines(&dir), expected);
}

#[test]
fn log_capture_waits_for_space_and_loses_no_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(disk) = SmallDisk::mount(&tmp.path().join("disk"), "1m") else {
        return;
    };
    let file = disk.dir.join("api.log");
    let mut capture = Command::new(env!("CARGO_BIN_EXE_uc"))
        .arg("log-capture")
        .arg(&file)
        .stdin(Stdio::piped())
        .spawn()
        .expect("uc log-capture");
    let mut pipe = capture.stdin.take().expect("stdin");
    let line = |i: usize| format!("line {i:04} of the service's output\n");
    let read = || std::fs::read_to_string(&file).unwrap_or_default();
    for i in 0..100 {
        pipe.write_all(line(i).as_bytes()).expect("feed");
    }
    assert!(
        eventually(T, || read().lines().count() == 100),
        "{}",
        read()
    );

    disk.fill();
    let calls = write_calls(capture.id()).expect("capture runs");
    for i in 100..1000 {
        pipe.write_all(line(i).as_bytes()).expect("feed");
    }
    // The capture tried to write into the full disk (or, as before this was fixed, gave up).
    assert!(eventually(T, || write_calls(capture.id())
        .is_none_or(|now| now > calls)));
    assert!(
        capture.try_wait().expect("wait").is_none(),
        "it keeps running"
    );

    disk.free();
    drop(pipe);
    let status = wait_exit(&mut capture);
    assert!(status.success(), "{status}");
    let expected: String = (0..1000).map(line).collect();
    assert_eq!(read(), expected, "every line, once, in order");
}
