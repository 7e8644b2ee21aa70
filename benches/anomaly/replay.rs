//! Two quiet days built from a recording of real series, and the share of samples the
//! detector flags on each.
//!
//! The recording is a history answer at 1 s (`GET /api/v1/metrics/history?step=1`). A day is
//! made of 60 s blocks of the recording, every series of a block taken together (so a
//! service that was down in the block is down in the day, and its detector starts over as
//! in the engine), blocks drawn with a fixed seed. The joins between blocks are steps the
//! real series never made, so the rate is an upper bound.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use univers_container::metrics::anomaly::Detector;
use univers_container::metrics::{HistoryResponse, SeriesKey};

use crate::{DAY, Noise, T0, share};

const BLOCK: usize = 60;

/// One row per second of the recording that has a sample; `None` where a series is absent.
struct Table {
    keys: Vec<SeriesKey>,
    rows: Vec<Vec<Option<f64>>>,
}

fn table(recording: &HistoryResponse) -> Table {
    let keys: Vec<SeriesKey> = recording.series.iter().map(|s| s.key.clone()).collect();
    let mut by_second: BTreeMap<i64, Vec<Option<f64>>> = BTreeMap::new();
    for (column, series) in recording.series.iter().enumerate() {
        for point in &series.points {
            let row = by_second
                .entry(point.t as i64)
                .or_insert_with(|| vec![None; keys.len()]);
            row[column] = Some(point.avg);
        }
    }
    // A second no series has is a tick the sampler skipped, not a series gone: leaving it
    // out keeps the detectors going.
    Table {
        keys,
        rows: by_second.into_values().collect(),
    }
}

pub fn run(path: &Path) -> Result<(), Box<dyn Error>> {
    let recording: HistoryResponse = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let table = table(&recording);
    if table.rows.len() < 2 * BLOCK {
        return Err(format!(
            "{} s recorded; at least {} needed",
            table.rows.len(),
            2 * BLOCK
        )
        .into());
    }
    let mut noise = Noise(0xde70);
    let day = DAY as usize;
    let starts: Vec<usize> = (0..2 * day / BLOCK)
        .map(|_| (noise.uniform() * (table.rows.len() - BLOCK + 1) as f64) as usize)
        .collect();
    println!(
        "{} s recorded, {} series; two days of {BLOCK} s blocks",
        table.rows.len(),
        table.keys.len()
    );
    println!(
        "{:<26} {:>13} {:>13}",
        "series", "day 1 flagged", "day 2 flagged"
    );
    let mut groups: BTreeMap<&str, ([u64; 2], [u64; 2])> = BTreeMap::new();
    for (column, key) in table.keys.iter().enumerate() {
        let mut detector: Option<Detector> = None;
        let (mut present, mut flagged) = ([0u64; 2], [0u64; 2]);
        for i in 0..2 * day {
            let row = &table.rows[starts[i / BLOCK] + i % BLOCK];
            let Some(value) = row[column] else {
                detector = None;
                continue;
            };
            let d = detector.get_or_insert_with(Detector::new);
            present[i / day] += 1;
            if d.observe(T0 + i as f64, value).is_some() {
                flagged[i / day] += 1;
            }
        }
        println!(
            "{:<26} {:>12.4}% {:>12.4}%",
            key.to_string(),
            share(flagged[0], present[0]),
            share(flagged[1], present[1])
        );
        let group = if key.metric.name().starts_with("service_") {
            "demo services"
        } else {
            "host"
        };
        let (p, f) = groups.entry(group).or_default();
        for d in 0..2 {
            p[d] += present[d];
            f[d] += flagged[d];
        }
    }
    for (group, (present, flagged)) in groups {
        println!(
            "{:<26} {:>12.4}% {:>12.4}%   ({} flagged of {} samples)",
            format!("all {group}"),
            share(flagged[0], present[0]),
            share(flagged[1], present[1]),
            flagged[0] + flagged[1],
            present[0] + present[1]
        );
    }
    Ok(())
}
