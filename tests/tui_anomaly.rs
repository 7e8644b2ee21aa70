//! Anomalies on the graphs: the stretches the engine's detector flagged are drawn again in
//! the alarm colour and the chart's title says `anomalous`, from memory (short windows) and
//! from the history answer (long ones).

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use common::tui::{NOW, Tui, running, workspace};
use ratatui::buffer::Buffer;
use univers_container::metrics::anomaly::Anomaly;
use univers_container::metrics::{
    AnomalySpan, HistoryQuery, HistoryResponse, HostSample, Metric, Point, Sample, SeriesHistory,
    SeriesKey, ServiceSample,
};
use univers_container::protocol::{Event, Snapshot};
use univers_container::tui::{Request, Theme, Update};

const SAMPLES: usize = 300;
/// api's CPU jumps at this sample; the detector flags it from two samples later.
const JUMP: usize = 240;

fn at(i: usize) -> u64 {
    NOW - (SAMPLES - 1 - i) as u64 * 1000
}

fn cpu_key() -> SeriesKey {
    SeriesKey::new(Metric::ServiceCpu, "api")
}

/// Sample `i`: api idles at 10 % and jumps to 80 % at `JUMP`; with `flagged`, the samples
/// carry the detector's flag as the engine sends it.
fn sample(i: usize, flagged: bool) -> Sample {
    let jumped = i >= JUMP;
    Sample {
        at: at(i),
        anomalies: if flagged && i >= JUMP + 2 {
            vec![Anomaly {
                series: cpu_key(),
                since: at(JUMP) as f64 / 1000.0,
                score: 35.0,
            }]
        } else {
            Vec::new()
        },
        host: HostSample {
            cpu_pct: 20.0,
            mem_used: 4 << 30,
            mem_total: 16 << 30,
            ..HostSample::default()
        },
        services: vec![ServiceSample {
            name: "api".into(),
            cpu_pct: if jumped { 80.0 } else { 10.0 },
            rss: 45 << 20,
            threads: 7,
            procs: 1,
            ..ServiceSample::default()
        }],
    }
}

fn tui(flagged: bool) -> Tui {
    let mut tui = Tui::new((120, 30), NOW);
    tui.snapshot(Snapshot {
        services: vec![running("api")],
        seq: 1,
        ..workspace()
    });
    for i in 0..SAMPLES {
        tui.event(Event::Metrics(Box::new(sample(i, flagged))));
    }
    tui
}

/// Braille cells (chart lines) drawn in `colour`.
fn braille_in(buffer: &Buffer, colour: ratatui::style::Color) -> usize {
    buffer
        .content()
        .iter()
        .filter(|cell| {
            let braille = cell
                .symbol()
                .chars()
                .next()
                .is_some_and(|c| ('\u{2801}'..='\u{28ff}').contains(&c));
            braille && cell.fg == colour
        })
        .count()
}

#[test]
fn a_flagged_stretch_is_drawn_in_the_alarm_colour_and_named() {
    let danger = Theme::default().danger;
    let quiet = tui(false);
    assert!(
        quiet.screen().contains("cpu 80.0%"),
        "api's graphs are shown:\n{}",
        quiet.screen()
    );
    assert!(!quiet.screen().contains("anomalous"), "{}", quiet.screen());
    assert_eq!(braille_in(&quiet.buffer(), danger), 0);

    let flagged = tui(true);
    let screen = flagged.screen();
    assert!(screen.contains("anomalous"), "{screen}");
    // Only the CPU chart: memory was not flagged.
    assert_eq!(screen.matches("anomalous").count(), 1, "{screen}");
    assert!(braille_in(&flagged.buffer(), danger) > 0, "{screen}");
}

#[test]
fn long_windows_mark_the_stretches_of_the_history_answer() {
    let danger = Theme::default().danger;
    let mut tui = tui(false);
    tui.keys(&["3"]);
    let keys = [cpu_key(), SeriesKey::new(Metric::ServiceRss, "api")];
    let asked = tui.sent();
    assert_eq!(
        asked,
        [Request::History(HistoryQuery {
            series: keys.to_vec(),
            since: 3600,
            step: None,
        })]
    );
    // An hour at one point a minute; the detector flagged api's CPU twenty minutes ago.
    let now = NOW as f64 / 1000.0;
    let ago = |minutes: f64| now - minutes * 60.0;
    let series = keys
        .iter()
        .map(|key| SeriesHistory {
            key: key.clone(),
            points: (0..60)
                .map(|m| {
                    let t = ago(60.0 - f64::from(m));
                    let v = if (38..=42).contains(&m) { 80.0 } else { 10.0 };
                    Point {
                        t,
                        avg: v,
                        min: v,
                        max: v,
                    }
                })
                .collect(),
            anomalies: if *key == cpu_key() {
                vec![AnomalySpan {
                    from: ago(22.0),
                    to: ago(18.0),
                    score: 20.0,
                }]
            } else {
                Vec::new()
            },
        })
        .collect();
    tui.update(Update::History(Ok(HistoryResponse {
        tier: "1m".into(),
        step: 60,
        series,
    })));
    let screen = tui.screen();
    assert_eq!(screen.matches("anomalous").count(), 1, "{screen}");
    assert!(braille_in(&tui.buffer(), danger) > 0, "{screen}");
}
