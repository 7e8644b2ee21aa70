//! Pattern mining on real logs: Grouping Accuracy per Loghub system (the `Content` column
//! fed line by line, as the Loghub benchmark and Drain3's figures do), and `uc logs
//! patterns` run as a binary.

#[path = "common/ga.rs"]
mod ga;
use ga::grouping_accuracy;

use std::path::{Path, PathBuf};
use std::process::Command;

use univers_container::logs::header::Detector;
use univers_container::logs::mine::Miner;

/// The shared Loghub-2k samples, found by walking up from the crate (worktrees and the main
/// checkout sit next to `shared/`).
fn loghub() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data/loghub"))
        .find(|dir| dir.is_dir())
}

struct Labelled {
    content: Vec<String>,
    events: Vec<String>,
}

fn labelled(root: &Path, system: &str) -> Labelled {
    let path = root.join(format!("{system}/{system}_2k.log_structured.csv"));
    let mut reader = csv::Reader::from_path(&path).expect("open structured csv");
    let headers = reader.headers().expect("headers").clone();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (content, event) = (col("Content"), col("EventId"));
    let mut out = Labelled {
        content: Vec::new(),
        events: Vec::new(),
    };
    for record in reader.records() {
        let record = record.expect("record");
        out.content.push(record[content].to_string());
        out.events.push(record[event].to_string());
    }
    out
}

/// Each line's final template, as `uc logs patterns --assignments` writes it.
fn mine(lines: &[String]) -> Vec<String> {
    let mut miner = Miner::new();
    let ids: Vec<u32> = lines.iter().map(|l| miner.add(l)).collect();
    ids.iter()
        .map(|&id| miner.template(id).expect("pattern kept").to_string())
        .collect()
}

fn ga(root: &Path, system: &str) -> f64 {
    let data = labelled(root, system);
    let ga = grouping_accuracy(&data.events, &mine(&data.content));
    println!("{system}: GA {ga:.4}");
    ga
}

/// GA on the raw `.log` lines (header included), the header learned from the file's first
/// lines as `uc logs patterns` does.
fn raw_ga(root: &Path, system: &str) -> f64 {
    let data = labelled(root, system);
    let path = root.join(format!("{system}/{system}_2k.log"));
    let text = std::fs::read_to_string(&path).expect("read raw log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        data.events.len(),
        "{system}: one raw line per row"
    );
    let format = Detector::primed(&lines).format().clone();
    let messages: Vec<String> = lines
        .iter()
        .map(|l| format.message(l).into_owned())
        .collect();
    let ga = grouping_accuracy(&data.events, &mine(&messages));
    println!("{system}: raw GA {ga:.4}");
    ga
}

fn skipped() {
    let here = env!("CARGO_MANIFEST_DIR");
    println!("skipped: no shared/data/loghub above {here}");
}

/// Floors are the measured GA less a little slack (measured when set: BGL 0.991, HDFS 1,
/// Hadoop 0.9935, HealthApp 1, Linux 0.938, OpenSSH 1, Proxifier 0.99, Zookeeper 0.9945);
/// raise them with the miner, never lower them.
fn assert_ga(system: &str, floor: f64) {
    let Some(root) = loghub() else {
        return skipped();
    };
    let ga = ga(&root, system);
    assert!(ga >= floor, "{system}: GA {ga:.4} < {floor}");
}

const SYSTEMS: [&str; 8] = [
    "BGL",
    "HDFS",
    "Hadoop",
    "HealthApp",
    "Linux",
    "OpenSSH",
    "Proxifier",
    "Zookeeper",
];

/// Issue 5's target is a mean GA >= 0.92 with one setting and no system below 0.80; the
/// floor is what was measured when set (0.9884) less slack.
#[test]
fn ga_mean_over_all_systems() {
    let Some(root) = loghub() else {
        return skipped();
    };
    let all: Vec<f64> = SYSTEMS.iter().map(|s| ga(&root, s)).collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    println!("mean GA {mean:.4}");
    assert!(mean >= 0.98, "mean GA {mean:.4}");
    assert!(all.iter().all(|&g| g >= 0.80), "{all:?}");
}

/// Raw-line floors, per system and for the mean: measured when set (BGL 0.991, HDFS 1,
/// Hadoop 0.9935, HealthApp 1, Linux 0.938, OpenSSH 1, Proxifier 0.99, Zookeeper 0.9945,
/// mean 0.9884; before header detection the raw mean was 0.813, Proxifier 0) less slack; raise them with the miner, never lower them.
#[test]
fn raw_ga_per_system() {
    let Some(root) = loghub() else {
        return skipped();
    };
    let floors = [0.98, 0.99, 0.98, 0.99, 0.93, 0.99, 0.98, 0.98];
    let all: Vec<f64> = SYSTEMS.iter().map(|s| raw_ga(&root, s)).collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    println!("raw mean GA {mean:.4}");
    for ((system, ga), floor) in SYSTEMS.iter().zip(&all).zip(floors) {
        assert!(*ga >= floor, "{system}: raw GA {ga:.4} < {floor}");
    }
    assert!(mean >= 0.97, "raw mean GA {mean:.4}");
}

#[test]
fn ga_bgl() {
    assert_ga("BGL", 0.98);
}

#[test]
fn ga_hdfs() {
    assert_ga("HDFS", 0.99);
}

#[test]
fn ga_hadoop() {
    assert_ga("Hadoop", 0.98);
}

#[test]
fn ga_healthapp() {
    assert_ga("HealthApp", 0.99);
}

#[test]
fn ga_linux() {
    assert_ga("Linux", 0.93);
}

#[test]
fn ga_openssh() {
    assert_ga("OpenSSH", 0.99);
}

#[test]
fn ga_proxifier() {
    assert_ga("Proxifier", 0.98);
}

#[test]
fn ga_zookeeper() {
    assert_ga("Zookeeper", 0.98);
}

#[test]
fn ga_is_exact_grouping() {
    let truth: Vec<String> = ["a", "a", "b", "c"].map(String::from).into();
    let split: Vec<String> = ["x", "y", "z", "w"].map(String::from).into();
    let merged: Vec<String> = ["x", "x", "x", "w"].map(String::from).into();
    assert_eq!(grouping_accuracy(&truth, &truth), 1.0);
    assert_eq!(grouping_accuracy(&truth, &split), 0.5);
    assert_eq!(grouping_accuracy(&truth, &merged), 0.25);
}

#[test]
fn binary_writes_assignments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("app.log");
    let lines = [
        "Invalid user webmaster from 173.234.31.186",
        "cache miss key=\"a,b\" after 3 ms",
        "Invalid user test9 from 52.80.34.196",
        "",
        "cache miss key=\"a,b\" after 12 ms",
    ];
    std::fs::write(&input, lines.join("\r\n") + "\n").expect("write input");
    let out = dir.path().join("out.csv");
    let run = Command::new(env!("CARGO_BIN_EXE_uc"))
        .args(["logs", "patterns"])
        .arg(&input)
        .arg("--assignments")
        .arg(&out)
        .current_dir(dir.path())
        .output()
        .expect("run uc");
    succeeded(&run);

    let mut reader = csv::Reader::from_path(&out).expect("read assignments");
    assert_eq!(
        reader.headers().expect("header"),
        vec!["LineId", "EventTemplate"]
    );
    let rows: Vec<(usize, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[0].parse().expect("LineId"), r[1].to_string())
        })
        .collect();
    let ids: Vec<usize> = rows.iter().map(|r| r.0).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(rows[0].1, "Invalid user <*> from <*>");
    assert_eq!(rows[0].1, rows[2].1);
    assert_eq!(rows[1].1, rows[4].1);
    assert_eq!(rows[1].1, "cache miss key=\"a,b\" after <*>");
    assert_eq!(rows[3].1, "");

    let listing = String::from_utf8_lossy(&run.stdout);
    let first = listing.lines().nth(1).expect("a pattern line");
    assert!(
        first.trim_start().starts_with('2'),
        "sorted by count: {listing}"
    );
}

#[test]
fn binary_prints_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("app.log");
    std::fs::write(&input, "a 1\na 2\nb c\n").expect("write input");
    let run = Command::new(env!("CARGO_BIN_EXE_uc"))
        .args(["logs", "patterns", "--json"])
        .arg(&input)
        .current_dir(dir.path())
        .output()
        .expect("run uc");
    succeeded(&run);
    let patterns: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
    let patterns = patterns.as_array().expect("an array");
    assert_eq!(patterns.len(), 2);
    assert_eq!(patterns[0]["template"], "a <*>");
    assert_eq!(patterns[0]["count"], 2);
    assert!(patterns[0]["id"].is_u64());
}

#[test]
fn binary_reports_a_missing_file() {
    let run = Command::new(env!("CARGO_BIN_EXE_uc"))
        .args(["logs", "patterns", "/nonexistent/uc-test.log"])
        .output()
        .expect("run uc");
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn binary_prints_the_learned_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("app.log");
    let lines: Vec<String> = (0..10)
        .map(|i| format!("Dec 10 06:55:{i:02} web-1 sshd[24{i}]: Accepted key for user{i}"))
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").expect("write input");
    let run = Command::new(env!("CARGO_BIN_EXE_uc"))
        .args(["logs", "format"])
        .arg(&input)
        .output()
        .expect("run uc");
    succeeded(&run);
    let out = String::from_utf8_lossy(&run.stdout);
    let expected = [
        "header: time time time host component",
        "     time: Dec 10 06:55:00",
        "     host: web-1",
        "  process: sshd",
        "      pid: 240",
        "  message: Accepted key for user0",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
}

/// `uc` exited 0; else the test fails with what it printed on stderr.
fn succeeded(run: &std::process::Output) {
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
