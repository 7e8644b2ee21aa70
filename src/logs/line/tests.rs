use super::*;
use crate::logs::Level;

/// 2024-07-01T00:00:00Z: stamps without a year are placed relative to it.
const NOW: u64 = 1_719_792_000_000;

fn fixture(text: &str) -> Vec<&[u8]> {
    text.lines().map(str::as_bytes).collect()
}

/// Each fixture line's (level, time), in file order.
fn classify(text: &str) -> Vec<(Option<Level>, Option<u64>)> {
    fixture(text)
        .into_iter()
        .map(|line| (level(line), timestamp(line, NOW)))
        .collect()
}

use Level::{Error, Fatal, Info, Warn};

#[test]
fn bgl() {
    let got = classify(include_str!("../../../tests/fixtures/logs/bgl.log"));
    let levels: Vec<_> = got.iter().map(|g| g.0).collect();
    assert_eq!(
        levels,
        [
            Some(Info),
            Some(Fatal),
            Some(Fatal),
            Some(Error),
            Some(Warn)
        ]
    );
    // The readable stamp, not the epoch column that follows `-` or `APPREAD`.
    assert_eq!(got[0].1, Some(1_117_813_370_675));
    assert_eq!(got[1].1, Some(1_117_844_672_432));
}

#[test]
fn hdfs() {
    let got = classify(include_str!("../../../tests/fixtures/logs/hdfs.log"));
    assert_eq!(got[0], (Some(Info), Some(1_226_262_975_000)));
    assert_eq!(got[1].0, Some(Warn));
}

#[test]
fn hadoop() {
    let got = classify(include_str!("../../../tests/fixtures/logs/hadoop.log"));
    let levels: Vec<_> = got.iter().map(|g| g.0).collect();
    assert_eq!(levels, [Some(Info), Some(Warn), Some(Error), Some(Fatal)]);
    assert_eq!(got[0].1, Some(1_445_191_307_978));
}

#[test]
fn healthapp() {
    let got = classify(include_str!("../../../tests/fixtures/logs/healthapp.log"));
    assert_eq!(got[0], (None, Some(1_514_067_329_606)));
    // `errorCode` and `ERR_DATA_INSERT` are no level words.
    assert_eq!(got[1].0, None);
}

#[test]
fn linux() {
    let got = classify(include_str!("../../../tests/fixtures/logs/linux.log"));
    assert_eq!(got[0], (None, Some(1_718_378_161_000)));
    // July 25th this year would be ahead of now: last year's.
    assert_eq!(got[1], (Some(Warn), Some(1_690_327_393_000)));
    // A space-padded day; minutes ahead of now is still this year.
    assert_eq!(got[2].1, Some(1_719_793_288_000));
}

#[test]
fn openssh() {
    let got = classify(include_str!("../../../tests/fixtures/logs/openssh.log"));
    assert_eq!(got[0], (None, Some(1_702_191_346_000)));
    assert_eq!(got[1].0, Some(Error));
    assert_eq!(got[2].0, None);
}

#[test]
fn proxifier() {
    let got = classify(include_str!("../../../tests/fixtures/logs/proxifier.log"));
    assert_eq!(got[0], (None, Some(1_698_684_546_000)));
    assert_eq!(got[1].0, Some(Error));
}

#[test]
fn zookeeper() {
    let got = classify(include_str!("../../../tests/fixtures/logs/zookeeper.log"));
    assert_eq!(got[0], (Some(Info), Some(1_438_191_704_747)));
    assert_eq!(got[1].0, Some(Warn));
    assert_eq!(got[2].0, Some(Error));
}

#[test]
fn every_loghub_line_gets_a_time() {
    for text in [
        include_str!("../../../tests/fixtures/logs/bgl.log"),
        include_str!("../../../tests/fixtures/logs/hdfs.log"),
        include_str!("../../../tests/fixtures/logs/hadoop.log"),
        include_str!("../../../tests/fixtures/logs/healthapp.log"),
        include_str!("../../../tests/fixtures/logs/linux.log"),
        include_str!("../../../tests/fixtures/logs/openssh.log"),
        include_str!("../../../tests/fixtures/logs/proxifier.log"),
        include_str!("../../../tests/fixtures/logs/zookeeper.log"),
    ] {
        for line in fixture(text) {
            assert!(
                timestamp(line, NOW).is_some(),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }
}

#[test]
fn the_first_level_word_wins() {
    assert_eq!(level(b"INFO: 0 errors, 1 error expected"), Some(Info));
    assert_eq!(
        level(b"2024-05-01 10:00:00 DEBUG retrying after error"),
        Some(Level::Debug)
    );
    assert_eq!(
        level(b"request failed: error=timeout level=info"),
        Some(Error)
    );
}

#[test]
fn level_words_inside_other_words_are_no_levels() {
    for line in [
        "information about errors",
        "terror of the debugger",
        "Informational: warned, erratic, fatalities, criticality",
        "errorCode=4 ERR_DATA_INSERT tracer",
        "",
        "   ",
    ] {
        assert_eq!(level(line.as_bytes()), None, "{line}");
    }
}

#[test]
fn level_spellings() {
    let cases: [(&str, Level); 14] = [
        ("[ERROR] disk full", Error),
        ("level=warning msg=slow", Warn),
        ("time=x lvl=Debug", Level::Debug),
        ("Notice: restarting", Info),
        ("CRIT cpu on fire", Fatal),
        ("java: SEVERE: out of memory", Error),
        ("goroutine 1 panic: nil map", Fatal),
        ("trace span=4", Level::Trace),
        ("E1125 10:00:00.123456  1234 main.go:12] boom", Error),
        ("W0101 00:00:00.000000 1 x.go:1] slow", Warn),
        ("<3>kernel: oops", Error),
        ("<14>1 2024-05-01T10:00:00Z host app - - - ok", Info),
        ("<0>panic", Fatal),
        ("  CRITICAL  [main] down", Fatal),
    ];
    for (line, want) in cases {
        assert_eq!(level(line.as_bytes()), Some(want), "{line}");
    }
}

#[test]
fn json_levels_come_from_their_field() {
    let cases: [(&str, Option<Level>); 7] = [
        (r#"{"msg":"no error here","level":"info"}"#, Some(Info)),
        (
            r#"{"event": "error budget ok", "log_level": "WARNING"}"#,
            Some(Warn),
        ),
        (r#"{"level":50,"time":1,"msg":"x"}"#, Some(Error)),
        (r#"{"level":30,"msg":"fatal mistake"}"#, Some(Info)),
        (r#"{"severity":"CRITICAL","message":"x"}"#, Some(Fatal)),
        (r#"{"short_message":"x","level":3}"#, Some(Error)),
        (r#"{"message":"level","other":"INFO"}"#, Some(Info)),
    ];
    for (line, want) in cases {
        assert_eq!(level(line.as_bytes()), want, "{line}");
    }
}

#[test]
fn a_level_far_into_a_line_is_message_text() {
    let mut line = vec![b'x'; 600];
    line.extend_from_slice(b" ERROR");
    assert_eq!(level(&line), None);
}

#[test]
fn iso_spellings() {
    let cases: [(&str, u64); 9] = [
        ("2024-05-01T10:00:00.123Z GET /", 1_714_557_600_123),
        ("2024-05-01 10:00:00.123 INFO x", 1_714_557_600_123),
        ("2024-05-01T12:00:00+02:00 x", 1_714_557_600_000),
        ("2024-05-01T12:00:00.000+0200 x", 1_714_557_600_000),
        ("2024-05-01T05:00:00-05 x", 1_714_557_600_000),
        ("2024-05-01 12:00:00 +0200 CEST x", 1_714_557_600_000),
        (
            "ts=2024-05-01T10:00:00.123456789Z level=info",
            1_714_557_600_123,
        ),
        ("[2024/05/01 10:00:00] x", 1_714_557_600_000),
        (
            r#"{"ts":"2024-05-01T10:00:00.123Z","msg":"x"}"#,
            1_714_557_600_123,
        ),
    ];
    for (line, want) in cases {
        assert_eq!(timestamp(line.as_bytes(), NOW), Some(want), "{line}");
    }
}

#[test]
fn other_stamp_spellings() {
    let cases: [(&str, u64); 8] = [
        (
            "[Sun Dec 04 04:47:44 2005] [error] mod_jk",
            1_133_671_664_000,
        ),
        (
            r#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200"#,
            971_211_336_000,
        ),
        ("Sun, 04 Dec 2005 04:47:44 GMT x", 1_133_671_664_000),
        ("1717252400 job done", 1_717_252_400_000),
        ("1717252400.5 job done", 1_717_252_400_500),
        ("1717252400123 job done", 1_717_252_400_123),
        (
            "I1125 10:00:00.123456  1234 main.go:12] x",
            1_700_906_400_123,
        ),
        ("20240501T100000Z x", 1_714_557_600_000),
    ];
    for (line, want) in cases {
        assert_eq!(timestamp(line.as_bytes(), NOW), Some(want), "{line}");
    }
}

#[test]
fn lines_without_a_stamp_have_no_time() {
    for line in [
        "GET /index.html 200 1234",
        "took 12:30:45 hours",
        "pid 123456 654321 x",
        "2024-13-01 10:00:00 month 13",
        "2024-05-01 25:00:00 hour 25",
        "1234567890123456789012 too long",
        "version 10.30 16:49:06 unbracketed",
        "",
    ] {
        assert_eq!(timestamp(line.as_bytes(), NOW), None, "{line}");
    }
}

#[test]
fn a_stamp_past_the_head_is_ignored() {
    let line = format!("{} 2024-05-01T10:00:00Z", "x".repeat(80));
    assert_eq!(timestamp(line.as_bytes(), NOW), None);
}

#[test]
fn long_lines_are_cut_on_character_boundaries() {
    assert_eq!(pieces(b"").collect::<Vec<_>>(), [b"" as &[u8]]);
    let exact = vec![b'a'; MAX_LINE];
    assert_eq!(pieces(&exact).count(), 1);
    // "é" is two bytes: one straddles the cut and moves to the second piece.
    let mut line = vec![b'a'; MAX_LINE - 1];
    line.extend("é".repeat(10).as_bytes());
    let cut: Vec<&[u8]> = pieces(&line).collect();
    assert_eq!(cut.len(), 2);
    assert_eq!(cut[0].len(), MAX_LINE - 1);
    assert!(std::str::from_utf8(cut[1]).is_ok());
    assert_eq!(cut.concat(), line);
    let huge = vec![b'z'; 3 * MAX_LINE + 5];
    let sizes: Vec<usize> = pieces(&huge).map(<[u8]>::len).collect();
    assert_eq!(sizes, [MAX_LINE, MAX_LINE, MAX_LINE, 5]);
}

#[test]
fn level_words_across_the_scan_blocks() {
    // The scan looks at 64 bytes at a time: words straddling a block edge count whole.
    let across = format!("{} ERROR", "x".repeat(60));
    assert_eq!(level(across.as_bytes()), Some(Error));
    let joined = format!("{}ERROR then warn", "a".repeat(64));
    assert_eq!(level(joined.as_bytes()), Some(Warn));
    let at_edge = format!("{} info", ".".repeat(63));
    assert_eq!(level(at_edge.as_bytes()), Some(Info));
}
