//! The metric history in a real SQLite file: reading back after reopening, bucketing,
//! tiers, anomalies, schema upgrades, concurrent readers, and `kill -9` in the middle of
//! writes.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rusqlite::{Connection, OpenFlags};
use univers_container::metrics::anomaly::Anomaly;
use univers_container::metrics::{AnomalySpan, Metric, Point, SeriesKey};
use univers_container::store::{Fault, History, Retention};

/// On an hour boundary.
const T0: i64 = 1_699_999_200;

fn a() -> SeriesKey {
    SeriesKey::host(Metric::HostCpu)
}

fn b() -> SeriesKey {
    SeriesKey::new(Metric::ServiceRss, "api")
}

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("ws").join("history.db")
}

/// The buckets a correct store must answer, computed from the points directly.
fn expected(points: &[(i64, f64)], step: i64) -> Vec<Point> {
    let mut buckets: BTreeMap<i64, (f64, f64, f64, f64)> = BTreeMap::new();
    for &(t, v) in points {
        let b = buckets
            .entry(t - t.rem_euclid(step))
            .or_insert((v, v, 0.0, 0.0));
        *b = (b.0.min(v), b.1.max(v), b.2 + v, b.3 + 1.0);
    }
    buckets
        .into_iter()
        .map(|(t, (min, max, sum, n))| Point {
            t: t as f64,
            avg: sum / n,
            min,
            max,
        })
        .collect()
}

fn user_version(path: &Path) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn history_reads_back_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut history = History::open(&path).unwrap();
    let points: Vec<(i64, f64)> = (0..120).map(|s| (T0 + s, s as f64 * 0.5)).collect();
    for &(t, v) in &points {
        history.write(t, &[(a(), v), (b(), 4096.0)]).unwrap();
    }
    drop(history);

    for history in [
        History::open(&path).unwrap(),
        History::open_read_only(&path).unwrap(),
    ] {
        assert_eq!(history.series().unwrap(), vec![a(), b()]);
        let answer = history.query(&[a()], T0, T0 + 119, None).unwrap();
        assert_eq!((answer.tier.as_str(), answer.step), ("raw", 1));
        assert_eq!(answer.series.len(), 1);
        assert_eq!(answer.series[0].key, a());
        assert_eq!(answer.series[0].points, expected(&points, 1));
    }
}

#[test]
fn a_given_step_gives_exact_buckets_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::open(db(&dir)).unwrap();
    let a_points: Vec<(i64, f64)> = (0..30).map(|s| (T0 + s, (s * s) as f64)).collect();
    for &(t, v) in &a_points {
        let mut tick = vec![(a(), v)];
        if t == T0 + 3 {
            tick.push((b(), -2.0));
        }
        history.write(t, &tick).unwrap();
    }

    let answer = history.query(&[], T0, T0 + 29, Some(10)).unwrap();
    assert_eq!((answer.tier.as_str(), answer.step), ("raw", 10));
    let keys: Vec<_> = answer.series.iter().map(|s| s.key.clone()).collect();
    assert_eq!(keys, vec![a(), b()]);
    assert_eq!(answer.series[0].points, expected(&a_points, 10));
    assert_eq!(
        answer.series[0].points[1],
        Point {
            t: (T0 + 10) as f64,
            avg: 218.5,
            min: 100.0,
            max: 361.0
        }
    );

    // `b` has no point in this window, and an unknown series none at all.
    let unknown = SeriesKey::new(Metric::ServiceCpu, "nope");
    let answer = history
        .query(&[b(), unknown, a()], T0 + 10, T0 + 29, Some(10))
        .unwrap();
    let keys: Vec<_> = answer.series.iter().map(|s| s.key.clone()).collect();
    assert_eq!(keys, vec![a()]);
    assert_eq!(answer.series[0].points.len(), 2);
}

/// Every 5 s for 3 hours; within minute `m`, values `m`, `m + 1`, `m + 2`, `m + 3` repeated,
/// so every minute and hour average is exact in binary.
fn three_hours() -> Vec<(i64, f64)> {
    (0..3 * 3600)
        .step_by(5)
        .map(|s| (T0 + s, (s / 60 + (s / 5) % 4) as f64))
        .collect()
}

#[test]
fn long_windows_read_coarser_tiers_completed_by_the_finer_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::open(db(&dir)).unwrap();
    let points = three_hours();
    for &(t, v) in &points {
        history.write(t, &[(a(), v)]).unwrap();
    }
    // Hours 0 and 1 are in the hour tier, minutes up to 2:30 in the minute tier; the rest
    // is only raw.
    history.maintain(T0 + 9000 + 30).unwrap();

    let answer = history.query(&[a()], T0, T0 + 3 * 3600 - 1, None).unwrap();
    assert_eq!((answer.tier.as_str(), answer.step), ("1m", 60));
    assert_eq!(answer.series[0].points, expected(&points, 60));
    assert_eq!(answer.series[0].points.len(), 180);

    let answer = history.query(&[a()], T0, T0 + 31 * 3600, None).unwrap();
    assert_eq!((answer.tier.as_str(), answer.step), ("1h", 3600));
    assert_eq!(answer.series[0].points, expected(&points, 3600));
    assert_eq!(answer.series[0].points[2].avg, 151.0);
}

#[test]
fn a_second_write_in_the_same_second_adds_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::open(db(&dir)).unwrap();
    history.write(T0, &[(a(), 1.0), (b(), f64::NAN)]).unwrap();
    history
        .write(T0, &[(a(), 3.0), (b(), f64::INFINITY)])
        .unwrap();
    let answer = history.query(&[], T0, T0, None).unwrap();
    assert_eq!(answer.series.len(), 1, "non-finite values are not stored");
    assert_eq!(
        answer.series[0].points,
        expected(&[(T0, 1.0), (T0, 3.0)], 1)
    );
}

#[test]
fn an_older_file_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Version 0: a database without any of the schema, in the default rollback journal.
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE unrelated (x INTEGER)")
        .unwrap();
    assert_eq!(user_version(&path), 0);
    let err = History::open_read_only(&path).err().unwrap();
    assert!(
        matches!(err.fault, Fault::Outdated { found: 0, .. }),
        "{err}"
    );

    let mut history = History::open(&path).unwrap();
    history.write(T0, &[(a(), 1.0)]).unwrap();
    drop(history);
    assert_eq!(user_version(&path), History::SCHEMA_VERSION);
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let history = History::open_read_only(&path).unwrap();
    assert_eq!(history.query(&[a()], T0, T0, None).unwrap().series.len(), 1);

    // An empty file is a version-0 database too.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    History::open(&empty).unwrap();
    assert_eq!(user_version(&empty), History::SCHEMA_VERSION);
}

fn flagged(series: SeriesKey, since: i64, score: f64) -> Anomaly {
    Anomaly {
        series,
        since: since as f64 + 0.5,
        score,
    }
}

fn spans(history: &History, from: i64, to: i64) -> Vec<(SeriesKey, Vec<AnomalySpan>)> {
    let answer = history.query(&[a(), b()], from, to, None).unwrap();
    answer
        .series
        .into_iter()
        .map(|s| (s.key, s.anomalies))
        .collect()
}

#[test]
fn anomalies_are_stored_as_spans_and_read_back_with_their_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut history = History::open(&path).unwrap();
    for t in T0..T0 + 20 {
        history.write(t, &[(a(), 1.0), (b(), 2.0)]).unwrap();
        // `a` flagged at 3..=5 (a run since 2.5), then at 12..=13 (since 11.5).
        let flags = match t - T0 {
            3..=5 => vec![flagged(a(), T0 + 2, (t - T0) as f64)],
            12..=13 => vec![flagged(a(), T0 + 11, 7.0)],
            _ => Vec::new(),
        };
        history.write_anomalies(t as u64 * 1000, &flags).unwrap();
    }
    let span = |from: i64, to: i64, score: f64| AnomalySpan {
        from: from as f64 + 0.5,
        to: to as f64,
        score,
    };
    let both = vec![span(T0 + 2, T0 + 5, 5.0), span(T0 + 11, T0 + 13, 7.0)];
    assert_eq!(
        spans(&history, T0, T0 + 19),
        [(a(), both.clone()), (b(), Vec::new())]
    );
    // Only the spans overlapping the window.
    assert_eq!(spans(&history, T0 + 6, T0 + 19)[0].1, both[1..]);
    assert_eq!(spans(&history, T0 + 4, T0 + 8)[0].1, both[..1]);
    drop(history);
    let reader = History::open_read_only(&path).unwrap();
    assert_eq!(spans(&reader, T0, T0 + 19)[0].1, both);

    // Kept as long as the hour tier.
    let mut history = History::open(&path).unwrap();
    history.maintain(T0 + 364 * 86_400).unwrap();
    let rows = |path: &Path| -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT count(*) FROM anomalies", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(rows(&path), 2);
    history.maintain(T0 + 366 * 86_400).unwrap();
    assert_eq!(rows(&path), 0);
}

#[test]
fn a_version_1_file_gains_the_anomalies_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut history = History::open(&path).unwrap();
    history.write(T0, &[(a(), 1.0)]).unwrap();
    drop(history);
    // What a version-1 file is: the same tables, without `anomalies`.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE anomalies; PRAGMA user_version = 1;")
        .unwrap();
    drop(conn);
    assert!(History::open_read_only(&path).is_err());

    let mut history = History::open(&path).unwrap();
    assert_eq!(user_version(&path), History::SCHEMA_VERSION);
    history
        .write_anomalies(T0 as u64 * 1000, &[flagged(a(), T0, 9.0)])
        .unwrap();
    let answer = history.query(&[a()], T0, T0, None).unwrap();
    assert_eq!(answer.series[0].points.len(), 1, "the old points stay");
    assert_eq!(answer.series[0].anomalies.len(), 1);
}

#[test]
fn a_file_from_a_newer_uc_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    drop(History::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", History::SCHEMA_VERSION + 1)
        .unwrap();
    for err in [
        History::open(&path).err().unwrap(),
        History::open_read_only(&path).err().unwrap(),
    ] {
        assert!(matches!(err.fault, Fault::TooNew { .. }), "{err}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
}

#[test]
fn readers_query_while_the_writer_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut history = History::open(&path).unwrap();
    let writer = std::thread::spawn(move || {
        for t in T0..T0 + 600 {
            history.write(t, &[(a(), 1.0), (b(), 2.0)]).unwrap();
            if t % 60 == 0 {
                history.maintain(t).unwrap();
            }
        }
    });
    let reader = History::open_read_only(&path).unwrap();
    let count = || {
        let answer = reader.query(&[a()], T0, T0 + 599, Some(1)).unwrap();
        answer.series.first().map_or(0, |s| s.points.len())
    };
    let mut seen = 0;
    while !writer.is_finished() {
        let now = count();
        assert!(now >= seen, "{now} points after {seen}");
        seen = now;
    }
    writer.join().unwrap();
    assert_eq!(count(), 600);
}

#[test]
fn disk_usage_counts_each_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut history = History::open(&path).unwrap();
    for t in T0..T0 + 120 {
        history.write(t, &[(a(), 1.5), (b(), 2.5)]).unwrap();
    }
    history.maintain(T0 + 120).unwrap();
    let usage = history.disk_usage().unwrap();
    let names: Vec<_> = usage.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["anomalies", "h1", "m1", "meta", "raw", "series"]);
    let rows: Vec<_> = usage.tables.iter().map(|t| t.rows).collect();
    assert_eq!(rows, [0, 0, 4, 2, 120, 2]);
    let raw = &usage.tables[4];
    assert!(
        raw.payload >= 120 * 12 && raw.bytes >= raw.payload,
        "{raw:?}"
    );
    assert_eq!(raw.bytes, raw.pages * usage.page_size);
    assert!(usage.file_bytes + usage.wal_bytes > 0);
}

/// Set in the re-executed test binary: the path to write into.
const WRITER: &str = "UC_TEST_HISTORY_WRITER";

const CRASH_TEST: &str = "kill_9_during_writes_leaves_a_sound_database";

#[test]
fn kill_9_during_writes_leaves_a_sound_database() {
    if let Some(path) = std::env::var_os(WRITER) {
        write_until_killed(Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let mut committed = Vec::new();
    for _ in 0..5 {
        let writer = Writer::spawn(&path);
        // Some minutes past the previous round, so maintain runs too.
        let newest = writer.wait_for_tick(committed.last().unwrap_or(&T0) + 300);
        writer.kill();
        committed.push(newest);
    }

    let conn = Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // Every tick seen committed is still there, raw or folded into its minute; and no
    // minute was skipped or counted twice across the crashes.
    for &t in &committed {
        let found: i64 = conn
            .query_row(
                "SELECT (SELECT count(*) FROM raw WHERE t = ?1)
                      + (SELECT count(*) FROM m1 WHERE t = ?1 - ?1 % 60)",
                [t],
                |r| r.get(0),
            )
            .unwrap();
        assert!(found > 0, "tick {t} lost");
    }
    let bad: i64 = conn
        .query_row("SELECT count(*) FROM m1 WHERE n != 60", [], |r| r.get(0))
        .unwrap();
    assert_eq!(bad, 0, "minutes with a tick count other than 60");
    let (minutes, oldest): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM m1), (SELECT min(t) FROM raw)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(minutes > 0 && oldest > T0, "maintain and retention ran too");
    let mut history = History::open(&path).unwrap();
    history.maintain(T0 + 100 * 3600).unwrap();
}

/// 40 series per tick, one simulated second per write, maintained every simulated minute,
/// continuing after the newest tick in the file. Raw rows older than 10 minutes are
/// dropped, so deletes get killed too. Gives up after a minute in case the parent died.
fn write_until_killed(path: &Path) -> ! {
    let keep = Retention {
        raw: 600,
        ..Retention::default()
    };
    let mut history = History::open(path).unwrap().with_retention(keep);
    let keys: Vec<_> = (0..40)
        .map(|i| SeriesKey::new(Metric::CoreCpu, i.to_string()))
        .collect();
    let start = newest_tick(path).map_or(T0, |t| t + 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    for t in start.. {
        let tick: Vec<_> = keys.iter().map(|k| (k.clone(), (t % 97) as f64)).collect();
        history.write(t, &tick).unwrap();
        if t % 60 == 0 {
            history.maintain(t).unwrap();
        }
        if Instant::now() > deadline {
            break;
        }
    }
    std::process::exit(1)
}

fn newest_tick(path: &Path) -> Option<i64> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.query_row("SELECT max(t) FROM raw", [], |r| r.get(0))
        .ok()?
}

/// The writer child, killed when dropped if a check failed first.
struct Writer {
    child: Child,
    path: PathBuf,
}

impl Writer {
    fn spawn(path: &Path) -> Self {
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", CRASH_TEST, "--nocapture"])
            .env(WRITER, path)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Self {
            child,
            path: path.to_path_buf(),
        }
    }

    /// The newest committed tick, once it is at least `at_least`.
    fn wait_for_tick(&self, at_least: i64) -> i64 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(t) = newest_tick(&self.path).filter(|t| *t >= at_least) {
                return t;
            }
            assert!(Instant::now() < deadline, "no tick {at_least} yet");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        let _ = kill(pid, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop();
    }
}
