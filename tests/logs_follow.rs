//! The follower on real files in temp dirs, a writer thread appending while it reads: every
//! line must come out exactly once through rotations, truncations and restarts.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use univers_container::logs::follow::{Follower, Options, Position, Start};
use univers_container::logs::line::MAX_LINE;

/// Lines read, as (source, text).
#[derive(Default)]
struct Read(Vec<(String, Vec<u8>)>);

impl Read {
    /// Reads until `want` lines came, then a little longer to catch duplicates.
    fn until(&mut self, follower: &mut Follower, want: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.0.len() < want && Instant::now() < deadline {
            self.step(follower);
        }
        let settle = Instant::now() + Duration::from_millis(400);
        while Instant::now() < settle {
            self.step(follower);
        }
    }

    fn step(&mut self, follower: &mut Follower) {
        follower.wait(Duration::from_millis(50));
        follower.read(&mut |source, line| self.0.push((source.to_owned(), line.to_vec())));
    }

    fn texts(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(_, line)| String::from_utf8_lossy(line).into_owned())
            .collect()
    }

    /// Asserts the lines are exactly `want`, each once (in any order across files).
    fn assert_exactly(&self, want: &[String]) {
        assert_eq!(self.0.len(), want.len(), "count");
        assert_eq!(
            checksum(self.texts().iter()),
            checksum(want.iter()),
            "checksum"
        );
        let mut got = self.texts();
        got.sort();
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(got, want);
    }
}

/// Order-independent: a sum of FNV-1a hashes.
fn checksum<'a>(lines: impl Iterator<Item = &'a String>) -> u64 {
    lines
        .map(|line| {
            line.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
        })
        .fold(0, u64::wrapping_add)
}

fn lines(tag: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{tag} line {i:08}")).collect()
}

fn append(file: &mut File, lines: &[String]) {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    file.write_all(text.as_bytes()).expect("write");
}

fn open_append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open")
}

/// Both ways of noticing changes: the watcher (with polling as its safety net) and
/// polling alone.
fn followers() -> [Follower; 2] {
    let follower = Follower::new();
    assert!(follower.is_watching(), "inotify is available here");
    [follower, Follower::polling()]
}

fn follow(follower: &mut Follower, source: &str, path: &Path, start: Start) {
    follower.add(source, path, start).expect("add");
}

#[test]
fn rename_and_recreate() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("app.log");
        let mut old = open_append(&log);
        follow(&mut follower, "app", &log, Start::Beginning);
        let mut read = Read::default();
        read.until(&mut follower, 0);
        let writer = {
            let log = log.clone();
            thread::spawn(move || {
                append(&mut old, &lines("a", 0..500));
                fs::rename(&log, log.with_extension("log.1")).expect("rename");
                // The writer notices the rotation only later (a few polls later).
                thread::sleep(Duration::from_millis(700));
                append(&mut old, &lines("a", 500..600));
                let mut new = open_append(&log);
                append(&mut new, &lines("a", 600..1000));
            })
        };
        read.until(&mut follower, 1000);
        writer.join().expect("writer");
        read.assert_exactly(&lines("a", 0..1000));
        assert!(read.0.iter().all(|(source, _)| source == "app"));
    }
}

#[test]
fn a_glob_that_also_matches_the_rotated_name_keeps_reading_it_once() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("app.log");
        let mut old = open_append(&log);
        follow(
            &mut follower,
            "app",
            &dir.path().join("app.log*"),
            Start::Beginning,
        );
        append(&mut old, &lines("g", 0..300));
        let mut read = Read::default();
        read.until(&mut follower, 300);
        fs::rename(&log, dir.path().join("app.log.1")).expect("rename");
        append(&mut old, &lines("g", 300..400));
        append(&mut open_append(&log), &lines("g", 400..500));
        read.until(&mut follower, 500);
        read.assert_exactly(&lines("g", 0..500));
    }
}

#[test]
fn copytruncate() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("app.log");
        let mut file = open_append(&log);
        follow(&mut follower, "app", &log, Start::Beginning);
        append(&mut file, &lines("t", 0..1000));
        let mut read = Read::default();
        read.until(&mut follower, 1000);
        fs::copy(&log, dir.path().join("app.log.1")).expect("copy");
        file.set_len(0).expect("truncate");
        // Fewer bytes than before: the file is found shorter than what was read.
        append(&mut file, &lines("t", 1000..1100));
        read.until(&mut follower, 1100);
        read.assert_exactly(&lines("t", 0..1100));
    }
}

#[test]
fn delete_and_recreate() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("app.log");
        follow(&mut follower, "app", &log, Start::Beginning);
        let mut file = open_append(&log);
        let mut read = Read::default();
        // A poller cannot know of a file deleted before it first looked.
        read.until(&mut follower, 0);
        let writer = {
            let log = log.clone();
            thread::spawn(move || {
                append(&mut file, &lines("d", 0..400));
                fs::remove_file(&log).expect("delete");
                append(&mut file, &lines("d", 400..450));
                drop(file);
                thread::sleep(Duration::from_millis(100));
                append(&mut open_append(&log), &lines("d", 450..900));
            })
        };
        read.until(&mut follower, 900);
        writer.join().expect("writer");
        read.assert_exactly(&lines("d", 0..900));
    }
}

#[test]
fn a_glob_picks_up_new_files_and_skips_others() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let logs = dir.path().join("logs");
        fs::create_dir(&logs).expect("mkdir");
        let mut first = open_append(&logs.join("a.log"));
        append(&mut first, &lines("before", 0..10));
        follow(&mut follower, "web", &logs.join("*.log"), Start::End);
        let mut read = Read::default();
        read.until(&mut follower, 0);
        assert!(read.0.is_empty(), "lines before the source was added");
        append(&mut first, &lines("a", 0..100));
        append(&mut open_append(&logs.join("b.log")), &lines("b", 0..100));
        append(&mut open_append(&logs.join("c.txt")), &lines("c", 0..100));
        read.until(&mut follower, 200);
        let mut want = lines("a", 0..100);
        want.extend(lines("b", 0..100));
        read.assert_exactly(&want);
    }
}

#[test]
fn a_directory_created_later_is_followed() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let logs = dir.path().join("later");
        follow(&mut follower, "late", &logs.join("*.log"), Start::End);
        let mut read = Read::default();
        read.until(&mut follower, 0);
        fs::create_dir(&logs).expect("mkdir");
        append(&mut open_append(&logs.join("x.log")), &lines("x", 0..50));
        read.until(&mut follower, 50);
        read.assert_exactly(&lines("x", 0..50));
    }
}

#[test]
fn a_line_longer_than_a_mebibyte_comes_in_pieces() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("big.log");
        let mut file = open_append(&log);
        follow(&mut follower, "big", &log, Start::Beginning);
        let long = "x".repeat(2 * MAX_LINE + MAX_LINE / 2);
        file.write_all(long.as_bytes()).expect("write");
        file.write_all(b"\nshort\n").expect("write");
        let mut read = Read::default();
        read.until(&mut follower, 4);
        let sizes: Vec<usize> = read.0.iter().map(|(_, line)| line.len()).collect();
        assert_eq!(sizes, [MAX_LINE, MAX_LINE, MAX_LINE / 2, 5]);
        assert_eq!(read.0[3].1, b"short");
    }
}

#[test]
fn an_unfinished_line_waits_for_its_newline() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("app.log");
        let mut file = open_append(&log);
        follow(&mut follower, "app", &log, Start::Beginning);
        file.write_all(b"hello wor").expect("write");
        let mut read = Read::default();
        for _ in 0..4 {
            read.step(&mut follower);
        }
        assert!(read.0.is_empty(), "delivered before its newline");
        file.write_all(b"ld\r\nno newline yet").expect("write");
        read.until(&mut follower, 1);
        assert_eq!(read.texts(), ["hello world"]);
        // Past the grace time, the unfinished line is delivered as it is.
        read.until(&mut follower, 2);
        assert_eq!(read.texts(), ["hello world", "no newline yet"]);
    }
}

#[test]
fn positions_carry_over_to_a_new_follower() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    let mut file = open_append(&log);
    append(&mut file, &lines("p", 0..100));
    let mut first = Follower::new();
    follow(&mut first, "app", &log, Start::Beginning);
    let mut read = Read::default();
    read.until(&mut first, 100);
    file.write_all(b"half a li").expect("write");
    read.step(&mut first);
    let saved = serde_json::to_string(&first.positions()).expect("save");
    drop(first);

    // While no follower runs: the line is finished, the file rotated, a new one written.
    file.write_all(b"ne\n").expect("write");
    append(&mut file, &lines("p", 100..150));
    fs::rename(&log, dir.path().join("app.log.1")).expect("rename");
    append(&mut open_append(&log), &lines("p", 150..200));

    let mut second = Follower::new();
    let positions: Vec<Position> = serde_json::from_str(&saved).expect("restore");
    second.restore(positions);
    follow(&mut second, "app", &log, Start::End);
    append(&mut open_append(&log), &lines("p", 200..220));
    let mut after = Read::default();
    after.until(&mut second, 121);
    let mut want = vec!["half a line".to_owned()];
    want.extend(lines("p", 100..220));
    after.assert_exactly(&want);
    assert_eq!(after.texts()[..51], want[..51], "the rotated file first");
}

#[test]
fn a_burst_across_a_rotation_is_read_exactly_once() {
    for mut follower in followers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("burst.log");
        follow(&mut follower, "burst", &log, Start::Beginning);
        let mut file = open_append(&log);
        let mut read = Read::default();
        read.until(&mut follower, 0);
        let writer = {
            let log = log.clone();
            thread::spawn(move || {
                for chunk in (0..50_000).step_by(1000) {
                    append(&mut file, &lines("b", chunk..chunk + 1000));
                }
                fs::rename(&log, log.with_extension("log.1")).expect("rename");
                let mut new = open_append(&log);
                for chunk in (50_000..100_000).step_by(1000) {
                    append(&mut new, &lines("b", chunk..chunk + 1000));
                }
            })
        };
        read.until(&mut follower, 100_000);
        writer.join().expect("writer");
        read.assert_exactly(&lines("b", 0..100_000));
        // Within each file, in order.
        let texts = read.texts();
        let (first, second): (Vec<&String>, Vec<&String>) = texts
            .iter()
            .partition(|line| line.as_str() < "b line 00050000");
        assert!(first.is_sorted() && second.is_sorted());
    }
}

#[test]
fn the_watcher_delivers_lines_before_any_poll() {
    let mut follower = Follower::with_options(Options {
        poll_interval: Duration::from_secs(60),
        ..Options::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    let mut file = open_append(&log);
    follow(&mut follower, "app", &log, Start::Beginning);
    // The first read is the initial full look.
    follower.read(&mut |_, _| {});
    append(&mut file, &lines("w", 0..1));
    let started = Instant::now();
    let mut read = Read::default();
    while read.0.is_empty() && started.elapsed() < Duration::from_secs(5) {
        read.step(&mut follower);
    }
    assert_eq!(read.texts(), lines("w", 0..1));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_waker_ends_a_wait() {
    let mut follower = Follower::with_options(Options {
        poll_interval: Duration::from_secs(60),
        ..Options::default()
    });
    follower.read(&mut |_, _| {});
    let waker = follower.waker();
    let started = Instant::now();
    let waking = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        waker.wake();
    });
    assert!(follower.wait(Duration::from_secs(10)));
    assert!(started.elapsed() < Duration::from_secs(5));
    waking.join().expect("waker");
    follower.read(&mut |_, _| {});
    assert!(!follower.wait(Duration::from_millis(50)), "woken once");
}

#[test]
fn a_removed_source_is_no_longer_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (one, two): (PathBuf, PathBuf) = (dir.path().join("one.log"), dir.path().join("two.log"));
    let mut follower = Follower::new();
    follow(&mut follower, "one", &one, Start::Beginning);
    follow(&mut follower, "two", &two, Start::Beginning);
    append(&mut open_append(&one), &lines("1", 0..10));
    append(&mut open_append(&two), &lines("2", 0..10));
    let mut read = Read::default();
    read.until(&mut follower, 20);
    follower.remove("one");
    append(&mut open_append(&one), &lines("1", 10..20));
    append(&mut open_append(&two), &lines("2", 10..20));
    read.until(&mut follower, 30);
    let mut want = lines("1", 0..10);
    want.extend(lines("2", 0..20));
    read.assert_exactly(&want);
    assert!(follower.positions().iter().all(|p| p.source == "two"));
}
