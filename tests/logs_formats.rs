//! Held-out check of header detection and mining: synthetic logs in formats the Loghub
//! sets do not have (JSON lines, logfmt, glog, pipes, bracketed stamps, Java stack traces),
//! each line's event known, scored by Grouping Accuracy. Nothing here was tuned on.

#[path = "common/ga.rs"]
mod ga;
use ga::grouping_accuracy;

use univers_container::logs::header::{Detector, records};
use univers_container::logs::mine::Miner;

/// A deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Events: (template id, message) with varying parameters.
fn message(rng: &mut Rng, event: u64) -> String {
    let n = rng.below(5000);
    let ip = format!(
        "10.{}.{}.{}",
        rng.below(255),
        rng.below(255),
        rng.below(255)
    );
    match event {
        0 => format!("user u{n} logged in from {ip}"),
        1 => format!("request /api/items/{n} took {} ms", rng.below(900)),
        2 => format!("cache miss for key sess:{n:x}"),
        3 => format!("connection to {ip}:{} closed", 1000 + rng.below(9000)),
        4 => format!("disk sd{} usage at {}%", rng.below(4), rng.below(100)),
        5 => format!(
            "retrying upload of /data/file_{n}.bin attempt {}",
            rng.below(5)
        ),
        6 => format!("worker {n} started"),
        _ => format!("request failed after {} retries", rng.below(9)),
    }
}

const LEVELS: [&str; 3] = ["INFO", "WARN", "ERROR"];

/// One record in format `format`, for event `event` at second `t`.
fn record(rng: &mut Rng, format: usize, event: u64, t: u64) -> String {
    let msg = message(rng, event);
    let level = LEVELS[rng.below(3) as usize];
    let (h, m, s) = (10 + t / 3600 % 10, t / 60 % 60, t % 60);
    let ms = rng.below(1000);
    match format {
        0 => format!(
            "2024-05-01T{h:02}:{m:02}:{s:02}.{ms:03}Z {level} [worker-{}] app.Service: {msg}",
            rng.below(8)
        ),
        1 => format!(
            "May  1 {h:02}:{m:02}:{s:02} host{} app[{}]: {msg}",
            rng.below(3),
            100 + rng.below(50)
        ),
        2 => format!("[2024/05/01 {h:02}:{m:02}:{s:02}.{ms:03}] [{level}] {msg}"),
        3 => {
            let quoted = msg.replace('"', "\\\"");
            format!(
                "time=2024-05-01T{h:02}:{m:02}:{s:02}Z level={} msg=\"{quoted}\"",
                level.to_lowercase()
            )
        }
        4 => {
            let msg = serde_json::to_string(&msg).expect("json string");
            format!(
                "{{\"ts\":\"2024-05-01T{h:02}:{m:02}:{s:02}Z\",\"level\":\"{}\",\"msg\":{msg}}}",
                level.to_lowercase()
            )
        }
        5 => format!(
            "2024-05-01 {h:02}:{m:02}:{s:02}|{level}|svc-{}|{msg}",
            rng.below(4)
        ),
        6 => format!(
            "{}0501 {h:02}:{m:02}:{s:02}.{ms:03}123 {:>6} main.go:{}] {msg}",
            &level[..1],
            4000 + rng.below(99),
            10 + rng.below(90)
        ),
        _ => {
            let head = format!(
                "2024-05-01 {h:02}:{m:02}:{s:02},{ms:03} {level} [main] com.example.Api: {msg}"
            );
            if event == 7 {
                format!(
                    "{head}\njava.io.IOException: reset by peer\n\tat com.example.Api.call(Api.java:{})\n\tat com.example.Main.main(Main.java:9)",
                    rng.below(300)
                )
            } else {
                head
            }
        }
    }
}

/// GA of one format: its lines written out (stack traces as several lines), grouped back
/// into records, each record's first line's message mined.
fn format_ga(format: usize) -> f64 {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ format as u64);
    let mut truth = Vec::new();
    let mut text = String::new();
    for t in 0..1000 {
        let event = rng.below(8);
        truth.push(event);
        text.push_str(&record(&mut rng, format, event, t));
        text.push('\n');
    }
    let lines: Vec<&str> = text.lines().collect();
    let detector = Detector::primed(&lines);
    let learned = detector.format();
    let records = records(learned, &lines);
    assert_eq!(records.len(), truth.len(), "format {format}: records");
    let mut miner = Miner::new();
    let ids: Vec<u32> = records
        .iter()
        .map(|r| miner.add(&learned.message(r.lines().next().unwrap_or_default())))
        .collect();
    let templates: Vec<String> = ids
        .iter()
        .map(|&id| miner.template(id).expect("kept").to_owned())
        .collect();
    let ga = grouping_accuracy(&truth, &templates);
    println!("format {format} ({}): GA {ga:.4}", learned.describe());
    ga
}

/// Floors: measured when set (1.0 on every format) less slack; never lowered.
#[test]
fn synthetic_formats_ga() {
    let all: Vec<f64> = (0..8).map(format_ga).collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    println!("synthetic mean GA {mean:.4}");
    assert!(all.iter().all(|&g| g >= 0.95), "{all:?}");
    assert!(mean >= 0.98, "synthetic mean GA {mean:.4}");
}
