//! The log store and the file index on real files: round trips with every filter, rotation
//! and retention, repair after a crash, a reader racing the writer, index size, and
//! `uc logs --path` / `uc logs index` as users run them (in `files`).

#[path = "logs_store/files.rs"]
mod files;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use univers_container::logs::store::{Classify, LogStore, StoreLimits, StoreReader};
use univers_container::logs::{Level, LevelCounts, LogLine, LogQuery};

/// Lines are from the last few hours: the store deletes what is older than its age limit.
fn t0() -> u64 {
    static T0: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *T0.get_or_init(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.expect("clock").as_millis() as u64 - 3 * 3_600_000
    })
}

/// Levels from the word after the timestamp, times from the `t=` field of the test lines.
struct TestParser;

impl Classify for TestParser {
    fn level(&self, line: &[u8]) -> Option<Level> {
        let text = std::str::from_utf8(line).ok()?;
        text.split(' ').nth(1).and_then(Level::from_name)
    }

    fn time(&self, line: &[u8]) -> Option<u64> {
        let text = std::str::from_utf8(line).ok()?;
        text.split(' ')
            .find_map(|w| w.strip_prefix("t=")?.parse().ok())
    }
}

/// One appended line and what the store was told about it.
#[derive(Debug, Clone)]
struct Sent {
    seq: u64,
    source: String,
    at: u64,
    level: Option<Level>,
    pattern: Option<u32>,
    text: String,
}

/// A service-like line `i`: mostly INFO, some DEBUG/WARN/ERROR, some without a level.
fn sample(i: u64) -> (u64, Option<Level>, Option<u32>, String) {
    let level = match i % 50 {
        0 => Some(Level::Error),
        1..=3 => Some(Level::Warn),
        4..=9 => Some(Level::Debug),
        10 => None,
        _ => Some(Level::Info),
    };
    let at = t0() + i * 7;
    let status = [200, 200, 200, 201, 404, 500, 503][(i % 7) as usize];
    let name = level.map_or("-", Level::as_str);
    let text = format!(
        "{i:08} {name} t={at} [svc-api-{}] req={:012x} GET /api/v1/items/{} status={status} latency_ms={}.{}",
        i % 4,
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16,
        i * 31 % 99_991,
        i % 97,
        i % 10
    );
    (at, level, Some((i % 13) as u32), text)
}

/// Appends lines `0..n` round-robin to `sources`, flushing every `flush_every` lines.
fn fill(store: &mut LogStore, sources: &[&str], n: u64, flush_every: u64) -> Vec<Sent> {
    (0..n)
        .map(|i| {
            if i > 0 && i % flush_every == 0 {
                store.flush().expect("flush");
            }
            let (at, level, pattern, text) = sample(i);
            let source = sources[(i as usize) % sources.len()];
            let seq = store
                .append(source, at, level, pattern, text.as_bytes())
                .expect("append");
            Sent {
                seq,
                source: source.into(),
                at,
                level,
                pattern,
                text,
            }
        })
        .collect()
}

/// What the store must answer: the same filters applied to what was sent.
fn expected(sent: &[Sent], q: &LogQuery) -> Vec<LogLine> {
    let re = q
        .grep
        .as_deref()
        .map(|g| regex::Regex::new(g).expect("regex"));
    let mut out: Vec<LogLine> = sent
        .iter()
        .filter(|s| q.sources.is_empty() || q.sources.contains(&s.source))
        .filter(|s| q.level.is_none_or(|min| s.level.is_some_and(|l| l >= min)))
        .filter(|s| q.pattern.is_none_or(|p| s.pattern == Some(p)))
        .filter(|s| q.since.is_none_or(|t| s.at >= t))
        .filter(|s| re.as_ref().is_none_or(|r| r.is_match(&s.text)))
        .map(|s| LogLine {
            seq: s.seq,
            at: s.at,
            source: s.source.clone(),
            level: s.level,
            pattern: s.pattern,
            text: s.text.clone(),
            header: None,
            continues: false,
        })
        .collect();
    if let Some(n) = q.limit {
        out.drain(..out.len().saturating_sub(n));
    }
    out
}

fn queries() -> Vec<LogQuery> {
    let q = LogQuery::default;
    vec![
        q(),
        LogQuery {
            sources: vec!["web".into()],
            ..q()
        },
        LogQuery {
            level: Some(Level::Warn),
            ..q()
        },
        LogQuery {
            level: Some(Level::Error),
            ..q()
        },
        LogQuery {
            grep: Some("status=5[0-9]{2}".into()),
            ..q()
        },
        LogQuery {
            grep: Some("ERROR".into()),
            sources: vec!["api".into(), "db".into()],
            ..q()
        },
        LogQuery {
            pattern: Some(5),
            ..q()
        },
        LogQuery {
            since: Some(t0() + 7 * 9_000),
            ..q()
        },
        LogQuery {
            limit: Some(25),
            ..q()
        },
        LogQuery {
            limit: Some(0),
            ..q()
        },
        LogQuery {
            level: Some(Level::Warn),
            grep: Some("svc-api-[12]".into()),
            limit: Some(40),
            ..q()
        },
        LogQuery {
            since: Some(t0() + 7 * 5_000),
            pattern: Some(3),
            grep: Some("status=20".into()),
            ..q()
        },
        LogQuery {
            grep: Some("no such text".into()),
            ..q()
        },
    ]
}

fn check_all(reader: &StoreReader, sent: &[Sent]) {
    for q in queries() {
        let want = expected(sent, &q);
        let got = reader.query(&q).expect("query");
        assert_eq!(got.len(), want.len(), "{q:?}");
        assert_eq!(got, want, "{q:?}");
        let counted = reader
            .count(&LogQuery {
                limit: None,
                ..q.clone()
            })
            .expect("count");
        let all = expected(
            sent,
            &LogQuery {
                limit: None,
                ..q.clone()
            },
        );
        assert_eq!(counted, all.len() as u64, "count of {q:?}");
    }
}

fn store_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for source in fs::read_dir(dir).expect("store dir") {
        for f in fs::read_dir(source.expect("entry").path()).expect("source dir") {
            let p = f.expect("entry").path();
            if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn stored_lines_come_back_with_every_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = StoreLimits {
        segment_bytes: 64 << 10,
        ..StoreLimits::default()
    };
    let mut store = LogStore::open(dir.path(), limits, &TestParser).expect("open");
    let sent = fill(&mut store, &["api", "web", "db"], 10_000, 700);
    store.flush().expect("flush");
    assert!(
        store_files(dir.path(), "log").len() > 6,
        "small segments rotate"
    );
    check_all(&StoreReader::open(dir.path()), &sent);
    let sources = StoreReader::open(dir.path()).sources().expect("sources");
    assert_eq!(sources, ["api", "db", "web"]);
}

#[test]
fn per_minute_totals_come_from_the_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = StoreLimits {
        segment_bytes: 64 << 10,
        ..StoreLimits::default()
    };
    let mut store = LogStore::open(dir.path(), limits, &TestParser).expect("open");
    let sent = fill(&mut store, &["api", "web"], 20_000, 1_000);
    store.flush().expect("flush");
    let since = t0() + 7 * 4_000;
    let got = StoreReader::open(dir.path())
        .minutes(&["web".to_owned()], since)
        .expect("minutes");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].source, "web");
    let mut want: std::collections::BTreeMap<u64, (LevelCounts, LevelCounts)> = Default::default();
    for s in sent.iter().filter(|s| s.source == "web" && s.at >= since) {
        let m = want.entry(s.at - s.at % 60_000).or_default();
        m.0.add(s.level, 1);
        m.1.add(s.level, s.text.len() as u64 + 1);
    }
    let got: Vec<(u64, LevelCounts, LevelCounts)> = got[0]
        .minutes
        .iter()
        .map(|m| (m.minute, m.lines, m.bytes))
        .collect();
    let want: Vec<(u64, LevelCounts, LevelCounts)> =
        want.into_iter().map(|(k, (l, b))| (k, l, b)).collect();
    assert!(want.len() > 1);
    assert_eq!(got, want);
}

#[test]
fn unflushed_lines_are_not_visible_and_flushed_ones_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), StoreLimits::default(), &TestParser).expect("open");
    let reader = StoreReader::open(dir.path());
    let first = fill(&mut store, &["api"], 100, 100);
    store.flush().expect("flush");
    let (at, level, pattern, text) = sample(100);
    store
        .append("api", at, level, pattern, text.as_bytes())
        .expect("append");
    assert_eq!(
        reader.query(&LogQuery::default()).expect("query").len(),
        first.len()
    );
    store.flush().expect("flush");
    assert_eq!(reader.count(&LogQuery::default()).expect("count"), 101);
}

#[test]
fn newlines_inside_a_line_do_not_split_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), StoreLimits::default(), &TestParser).expect("open");
    store
        .append("api", t0(), None, None, b"one\ntwo")
        .expect("append");
    store
        .append("api", t0(), None, None, b"three")
        .expect("append");
    store.flush().expect("flush");
    let texts: Vec<String> = StoreReader::open(dir.path())
        .query(&LogQuery::default())
        .expect("query")
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert_eq!(texts, ["one two", "three"]);
}

#[test]
fn oldest_segments_go_first_when_a_source_is_over_its_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = StoreLimits {
        segment_bytes: 16 << 10,
        max_bytes_per_source: 80 << 10,
        ..StoreLimits::default()
    };
    let mut store = LogStore::open(dir.path(), limits, &TestParser).expect("open");
    let sent = fill(&mut store, &["api"], 5_000, 5_000);
    store.flush().expect("flush");
    let total: u64 = store_files(dir.path(), "log")
        .iter()
        .chain(&store_files(dir.path(), "idx"))
        .map(|p| fs::metadata(p).expect("meta").len())
        .sum();
    assert!(total <= (80 << 10) + (16 << 10), "{total} bytes kept");
    let kept = StoreReader::open(dir.path())
        .query(&LogQuery::default())
        .expect("query");
    assert!(
        kept.len() > 500 && kept.len() < 1_000,
        "{} kept",
        kept.len()
    );
    // What is kept is the newest lines, without holes.
    let newest: Vec<u64> = sent[sent.len() - kept.len()..]
        .iter()
        .map(|s| s.seq)
        .collect();
    assert_eq!(kept.iter().map(|l| l.seq).collect::<Vec<_>>(), newest);
}

/// `quotas.log_retention`: every source together stays within the total, the oldest lines
/// of any source going first, so a quiet source loses its old lines to a chatty one.
#[test]
fn the_oldest_segments_of_any_source_go_when_the_store_is_over_its_total() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = StoreLimits {
        segment_bytes: 8 << 10,
        max_bytes_total: Some(64 << 10),
        ..StoreLimits::default()
    };
    let mut store = LogStore::open(dir.path(), limits, &TestParser).expect("open");
    let quiet = fill(&mut store, &["quiet"], 500, 100);
    let chatty = fill(&mut store, &["chatty"], 5_000, 100);
    store.flush().expect("flush");
    let total: u64 = store_files(dir.path(), "log")
        .iter()
        .chain(&store_files(dir.path(), "idx"))
        .map(|p| fs::metadata(p).expect("meta").len())
        .sum();
    // The total, and the open segments of both sources past it at most.
    assert!(total <= (64 << 10) + 2 * (8 << 10), "{total} bytes kept");
    let kept = StoreReader::open(dir.path())
        .query(&LogQuery::default())
        .expect("query");
    let of = |source: &str| kept.iter().filter(|l| l.source == source).count();
    assert!(
        of("quiet") < quiet.len(),
        "the quiet source's old lines stayed"
    );
    assert!(
        of("chatty") > 0 && of("chatty") < chatty.len(),
        "{}",
        of("chatty")
    );
    // What is kept of the chatty source is its newest lines, without holes.
    let newest: Vec<u64> = chatty[chatty.len() - of("chatty")..]
        .iter()
        .map(|s| s.seq)
        .collect();
    let got: Vec<u64> = (kept.iter())
        .filter(|l| l.source == "chatty")
        .map(|l| l.seq)
        .collect();
    assert_eq!(got, newest);
}

#[test]
fn segments_older_than_the_age_limit_are_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = StoreLimits {
        segment_bytes: 8 << 10,
        max_age: Duration::from_secs(3600),
        ..StoreLimits::default()
    };
    let mut store = LogStore::open(dir.path(), limits, &TestParser).expect("open");
    let now = t0() + 3 * 3_600_000;
    for i in 0..400u64 {
        let at = if i < 200 { t0() } else { now - 60_000 };
        store
            .append(
                "api",
                at,
                None,
                None,
                format!("line {i} {}", "x".repeat(80)).as_bytes(),
            )
            .expect("append");
    }
    // Full segments were written as they closed; nothing was deleted yet.
    let before = store_files(dir.path(), "log").len();
    store.retain(now).expect("retain");
    let after = store_files(dir.path(), "log").len();
    store.flush().expect("flush");
    assert!(after < before, "{before} -> {after} segments");
    let kept = StoreReader::open(dir.path())
        .query(&LogQuery::default())
        .expect("query");
    // Only the segment holding both old and recent lines keeps old ones.
    let old = kept.iter().filter(|l| l.at == t0()).count();
    assert!(old < 100, "{old} old lines kept");
    assert_eq!(kept.len() - old, 200, "recent lines lost");
}

/// The newest segment of `source` (its `.log` path).
fn newest_segment(dir: &Path, source: &str) -> PathBuf {
    let mut logs: Vec<PathBuf> = fs::read_dir(dir.join(source))
        .expect("source dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    logs.pop().expect("a segment")
}

#[test]
fn a_short_index_is_extended_from_its_segment_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), StoreLimits::default(), &TestParser).expect("open");
    let mut sent = fill(&mut store, &["api", "web"], 3_000, 400);
    store.flush().expect("flush");
    drop(store);
    // A crash between writing the lines and their index: the last block is cut short.
    let idx = newest_segment(dir.path(), "api").with_extension("idx");
    let len = fs::metadata(&idx).expect("idx").len();
    fs::OpenOptions::new()
        .write(true)
        .open(&idx)
        .expect("idx")
        .set_len(len * 2 / 3)
        .expect("cut");

    let mut store =
        LogStore::open(dir.path(), StoreLimits::default(), &TestParser).expect("reopen");
    let reader = StoreReader::open(dir.path());
    let api = reader
        .query(&LogQuery {
            sources: vec!["api".into()],
            ..LogQuery::default()
        })
        .expect("query");
    let sent_api: Vec<&Sent> = sent.iter().filter(|s| s.source == "api").collect();
    assert_eq!(api.len(), sent_api.len(), "every line is there again");
    for (got, want) in api.iter().zip(&sent_api) {
        assert_eq!(
            (got.text.as_str(), got.level, got.at),
            (want.text.as_str(), want.level, want.at)
        );
    }
    // Lines indexed again have new numbers, after every number in use; appends go on.
    let seqs: Vec<u64> = reader
        .query(&LogQuery::default())
        .expect("all")
        .iter()
        .map(|l| l.seq)
        .collect();
    let mut unique = seqs.clone();
    unique.dedup();
    assert_eq!(unique.len(), seqs.len(), "sequence numbers stay unique");
    assert!(store.next_seq() > *seqs.iter().max().expect("lines"));
    let (at, level, pattern, text) = sample(3_000);
    let seq = store
        .append("api", at, level, pattern, text.as_bytes())
        .expect("append");
    store.flush().expect("flush");
    sent.push(Sent {
        seq,
        source: "api".into(),
        at,
        level,
        pattern,
        text,
    });
    let last = reader
        .query(&LogQuery {
            limit: Some(1),
            ..LogQuery::default()
        })
        .expect("last");
    assert_eq!(last[0].seq, seq);
    assert_eq!(reader.count(&LogQuery::default()).expect("count"), 3_001);
}

#[test]
fn a_torn_last_line_and_an_index_past_the_segment_are_repaired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), StoreLimits::default(), &TestParser).expect("open");
    fill(&mut store, &["api"], 2_000, 300);
    store.flush().expect("flush");
    drop(store);
    let log = newest_segment(dir.path(), "api");
    // The machine died: the segment lost its last ~50 lines and the 50th is cut in half,
    // while the index still describes them all.
    let text = fs::read(&log).expect("log");
    let keep = text.len() - 50 * 100;
    fs::write(&log, &text[..keep]).expect("cut");
    let lines_left = text[..keep].iter().filter(|&&b| b == b'\n').count();

    let mut store =
        LogStore::open(dir.path(), StoreLimits::default(), &TestParser).expect("reopen");
    let reader = StoreReader::open(dir.path());
    let all = reader.query(&LogQuery::default()).expect("query");
    assert_eq!(all.len(), lines_left + 1, "whole lines plus the torn one");
    let cut_at = text[..keep]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    assert_eq!(all[all.len() - 1].text.as_bytes(), &text[cut_at..keep]);
    assert!(
        fs::read(&log).expect("log").ends_with(b"\n"),
        "the torn line was ended"
    );
    store
        .append("api", t0(), Some(Level::Error), None, b"after the crash")
        .expect("append");
    store.flush().expect("flush");
    let errors = reader
        .query(&LogQuery {
            grep: Some("after the crash".into()),
            level: Some(Level::Error),
            ..LogQuery::default()
        })
        .expect("query");
    assert_eq!(errors.len(), 1);
}

#[test]
fn a_reader_sees_a_consistent_growing_store_while_the_writer_appends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limits = StoreLimits {
        segment_bytes: 256 << 10,
        ..StoreLimits::default()
    };
    let mut store = LogStore::open(dir.path(), limits, &TestParser).expect("open");
    let path = dir.path().to_path_buf();
    let total = 40_000u64;
    let writer = std::thread::spawn(move || {
        for chunk in 0..total / 500 {
            for i in chunk * 500..(chunk + 1) * 500 {
                let (at, level, pattern, text) = sample(i);
                store
                    .append("api", at, level, pattern, text.as_bytes())
                    .expect("append");
            }
            store.flush().expect("flush");
        }
    });
    let reader = StoreReader::open(&path);
    let mut last = 0;
    let mut rounds = 0;
    loop {
        let done = writer.is_finished();
        let errors = reader
            .query(&LogQuery {
                level: Some(Level::Error),
                ..LogQuery::default()
            })
            .expect("query");
        for line in &errors {
            let (_, _, _, text) = sample(line.seq);
            assert_eq!(line.text, text, "a line read whole and in its place");
        }
        let n = reader.count(&LogQuery::default()).expect("count");
        assert!(n >= last, "{last} then {n}");
        last = n;
        rounds += 1;
        if done {
            break;
        }
    }
    writer.join().expect("writer");
    assert_eq!(reader.count(&LogQuery::default()).expect("count"), total);
    assert!(rounds > 1);
}

#[test]
fn the_index_costs_at_most_8_bytes_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = LogStore::open(dir.path(), StoreLimits::default(), &TestParser).expect("open");
    let n = 100_000;
    for i in 0..n {
        let (_, level, _, text) = sample(i);
        // Realistic arrival: a burst every 100 ms, a few hundred patterns.
        let at = t0() + i / 300 * 100;
        let pattern = Some((i * 7 % 300) as u32);
        store
            .append(
                ["api", "web"][(i % 2) as usize],
                at,
                level,
                pattern,
                text.as_bytes(),
            )
            .expect("append");
        if i % 10_000 == 9_999 {
            store.flush().expect("flush");
        }
    }
    store.flush().expect("flush");
    let idx: u64 = store_files(dir.path(), "idx")
        .iter()
        .map(|p| fs::metadata(p).expect("meta").len())
        .sum();
    let per_line = idx as f64 / n as f64;
    assert!(per_line <= 8.0, "{per_line:.2} B/line");
}
