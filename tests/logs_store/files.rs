//! Plain files: the sidecar index, searching with and without it, and the `uc` binary.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use univers_container::logs::LineClassifier;
use univers_container::logs::mine::Miner;
use univers_container::logs::store::{self, Patterns};
use univers_container::logs::{Level, LogLine, LogQuery};

use super::{TestParser, t0};

/// A log file like genlog.py's: `n` lines, and how many contain ERROR and a 5xx status.
fn write_log(path: &Path, n: u64) -> (u64, u64) {
    let mut out = String::new();
    let (mut errors, mut fives) = (0, 0);
    for i in 0..n {
        let level = ["INFO", "INFO", "DEBUG", "WARN", "INFO", "ERROR", "INFO"][(i % 7) as usize];
        let status = [200, 500, 404, 503, 200, 201][(i % 6) as usize];
        let secs = i / 10;
        out.push_str(&format!(
            "2024-05-01T10:{:02}:{:02}.{:03}000Z {level:<5} [svc-api-{}] req={i:012x} GET /api/v1/items/{} status={status} latency_ms=3.{}\n",
            secs / 60 % 60, secs % 60, i % 10 * 100, i % 4, i * 7, i % 10
        ));
        errors += u64::from(level == "ERROR");
        fives += u64::from(status >= 500);
    }
    fs::write(path, out).expect("write log");
    (errors, fives)
}

fn uc(state: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_uc"))
        .args(args)
        .env("UC_STATE_DIR", state)
        .output()
        .expect("run uc");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn uc_logs_path_counts_and_prints_matching_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    let (errors, fives) = write_log(&log, 20_000);
    let state = dir.path().join("state");
    let f = log.to_str().expect("path");
    let (ok, out, err) = uc(&state, &["logs", "--path", f, "-c", "--grep", "ERROR"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), errors.to_string());
    let (ok, out, err) = uc(&state, &["logs", "--path", f, "--grep", "status=5[0-9]{2}"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count() as u64, fives);
    assert!(out.lines().all(|l| l.contains("status=50")));
    let (ok, out, _) = uc(
        &state,
        &["logs", "--path", f, "--grep", "ERROR", "-n", "2", "--json"],
    );
    assert!(ok);
    let last: Vec<LogLine> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(last.len(), 2);
    assert_eq!(last[1].level, Some(Level::Error));
    let newest_error = (0..20_000u64)
        .rev()
        .find(|i| i % 7 == 5)
        .expect("an error line");
    assert!(last[1].text.contains(&format!("req={newest_error:012x}")));
    let (ok, _, err) = uc(&state, &["logs", "--path", f, "--grep", "("]);
    assert!(!ok && err.contains("regex"), "{err}");
}

#[test]
fn uc_logs_index_builds_a_sidecar_that_level_and_since_filters_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    let (errors, _) = write_log(&log, 30_000);
    let state = dir.path().join("state");
    let f = log.to_str().expect("path");
    let (ok, _, err) = uc(&state, &["logs", "--path", f, "--pattern", "1"]);
    assert!(!ok && err.contains("uc logs index"), "{err}");
    let (ok, without_index, _) = uc(&state, &["logs", "--path", f, "-c", "--level", "error"]);
    assert!(ok);
    assert_eq!(without_index.trim(), errors.to_string());

    let (ok, out, err) = uc(&state, &["logs", "index", f]);
    assert!(ok, "{err}");
    let field = |name: &str| -> String {
        let line = out.lines().find(|l| l.starts_with(name)).expect(name);
        line[name.len()..].trim().to_owned()
    };
    assert_eq!(field("lines"), "30000");
    let per_line: f64 = field("bytes/line").parse().expect("bytes/line");
    assert!(per_line <= 8.0, "{per_line} B/line");
    assert!(
        fs::read_dir(state.join("file-index"))
            .expect("sidecar dir")
            .count()
            == 1
    );

    let (ok, with_index, _) = uc(&state, &["logs", "--path", f, "-c", "--level", "error"]);
    assert!(ok);
    assert_eq!(with_index, without_index);
    let (ok, out, _) = uc(
        &state,
        &[
            "logs",
            "--path",
            f,
            "--level",
            "warn",
            "--grep",
            "status=503",
            "--json",
        ],
    );
    assert!(ok);
    let lines: Vec<LogLine> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| l.level >= Some(Level::Warn) && l.text.contains("status=503"))
    );
    // The file's times are in 2024: nothing is from the last hour.
    let (ok, out, _) = uc(&state, &["logs", "--path", f, "-c", "--since", "1h"]);
    assert!(ok);
    assert_eq!(out.trim(), "0");
}

/// Patterns by the service tag: a stand-in for the miner.
struct ByService;

impl Patterns for ByService {
    fn pattern(&mut self, line: &str) -> Option<u32> {
        let at = line.find("[svc-api-")? + "[svc-api-".len();
        line[at..at + 1].parse().ok()
    }

    fn template(&self, id: u32) -> Option<String> {
        Some(format!("[svc-api-{id}]"))
    }
}

fn by_service() -> Box<dyn Patterns> {
    Box::new(ByService)
}

#[test]
fn a_file_index_answers_pattern_filters_until_the_file_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    write_log(&log, 12_000);
    let sidecar = store::sidecar_path(&dir.path().join("state"), &log).expect("sidecar");
    let summary =
        store::index_file(&log, &sidecar, &TestParser, Some(&by_service), 2).expect("index");
    assert_eq!(summary.lines, 12_000);
    let q = LogQuery {
        pattern: Some(2),
        grep: Some("status=(404|200)".into()),
        limit: Some(5),
        ..LogQuery::default()
    };
    let mut lines = Vec::new();
    store::search_file(&log, &q, &sidecar, &TestParser, &mut |l| {
        lines.push((
            l.offset,
            l.pattern,
            String::from_utf8_lossy(l.text).into_owned(),
        ));
        true
    })
    .expect("search");
    let text = fs::read_to_string(&log).expect("log");
    let want: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.contains("[svc-api-2]") && (l.contains("status=404") || l.contains("status=200"))
        })
        .collect();
    assert_eq!(lines.len(), 5);
    for ((offset, pattern, got), want) in lines.iter().zip(&want[want.len() - 5..]) {
        assert_eq!((got.as_str(), *pattern), (*want, Some(2)));
        assert!(text[*offset as usize..].starts_with(want));
    }
    let all = LogQuery {
        limit: None,
        ..q.clone()
    };
    let n = store::count_file(&log, &all, &sidecar, &TestParser).expect("count");
    assert_eq!(n, want.len() as u64);

    // Appending makes the index stale: a pattern filter then needs a new index.
    fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("log")
        .write_all(b"one more\n")
        .expect("append");
    let stale = store::count_file(&log, &all, &sidecar, &TestParser);
    assert!(stale.is_err_and(|e| e.to_string().contains("uc logs index")));
}

#[test]
fn a_file_index_survives_lines_longer_than_a_parsing_unit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    let mut lines: Vec<String> = (0..40_000)
        .map(|i| format!("{i} ERROR t={}", t0() + i))
        .collect();
    lines[20_000] = format!("long {} t={}", "y".repeat(5 << 20), t0() + 20_000);
    fs::write(&log, lines.join("\n")).expect("write");
    let sidecar = store::sidecar_path(&dir.path().join("state"), &log).expect("sidecar");
    let summary = store::index_file(&log, &sidecar, &TestParser, None, 2).expect("index");
    assert_eq!(summary.lines, 40_000);
    let q = LogQuery {
        since: Some(t0() + 19_999),
        ..LogQuery::default()
    };
    let mut got = Vec::new();
    store::search_file(&log, &q, &sidecar, &TestParser, &mut |l| {
        got.push((l.at, l.level, String::from_utf8_lossy(l.text).into_owned()));
        true
    })
    .expect("search");
    assert_eq!(got.len(), 20_001);
    for (i, (at, level, text)) in got.iter().enumerate() {
        let n = 19_999 + i;
        assert_eq!((*at, text), (t0() + n as u64, &lines[n]));
        assert_eq!(*level, (n != 20_000).then_some(Level::Error));
    }
}

/// Parts of a file are mined by miners of their own, whatever the number of threads: the
/// index built by two threads is the one built by one, and the same line shapes get the
/// same pattern in every part.
#[test]
fn an_index_built_by_two_threads_equals_the_one_built_by_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    // About 22 MiB: three parts.
    write_log(&log, 160_000);
    let miner = || Box::new(Miner::new()) as Box<dyn Patterns>;
    let parser = LineClassifier { now_ms: t0() };
    let index = |threads: usize| {
        let sidecar = dir.path().join(format!("{threads}.idx"));
        let summary =
            store::index_file(&log, &sidecar, &parser, Some(&miner), threads).expect("index");
        assert_eq!(summary.lines, 160_000);
        (fs::read(&sidecar).expect("sidecar"), sidecar)
    };
    let (one, _) = index(1);
    let (two, sidecar) = index(2);
    assert!(one == two, "the indexes differ");

    let patterns = |grep: &str| {
        // A level filter reads the index (and keeps every line: all have a level).
        let q = LogQuery {
            grep: Some(grep.into()),
            level: Some(Level::Trace),
            ..LogQuery::default()
        };
        let mut seen = std::collections::BTreeSet::new();
        store::search_file(&log, &q, &sidecar, &parser, &mut |l| {
            seen.insert(l.pattern);
            true
        })
        .expect("search");
        seen
    };
    let first = patterns("req=0000000000(0[0-9a-f]|1[0-9a-f]) ");
    let last = patterns("req=0000000270(0[0-9a-f]|1[0-9a-f]) ");
    assert!(first.iter().all(Option::is_some), "{first:?}");
    assert_eq!(first, last, "one line shape, one pattern across parts");
}

/// `uc logs --path F -c --grep RE` counts what `rg -c RE F` counts.
#[test]
fn counts_equal_ripgreps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    write_log(&log, 50_000);
    let state = dir.path().join("state");
    let f = log.to_str().expect("path");
    for grep in [
        "ERROR",
        "status=5[0-9]{2}",
        "svc-api-[23]\\]",
        "items/1\\d+ ",
        "^2024-05-01T10:0[0-4]",
    ] {
        let rg = Command::new("rg")
            .args(["-c", grep, f])
            .output()
            .expect("rg (apt-get install ripgrep)");
        assert!(rg.status.success(), "rg -c {grep}");
        let (ok, out, err) = uc(&state, &["logs", "--path", f, "-c", "--grep", grep]);
        assert!(ok, "{err}");
        assert_eq!(out, String::from_utf8_lossy(&rg.stdout), "--grep {grep}");
    }
}
