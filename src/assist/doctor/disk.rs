//! Disk filling: a file system holding the workspace, its state or its logs that is full,
//! nearly full, or losing its free space fast enough to be full soon, with the time left at
//! the current rate and the biggest files under those directories.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity};
use crate::format;

use super::Facts;
use super::filesystems::Filesystem;
use super::trend;

/// The rate is read over the readings of at most the last this many ms.
const TREND_MS: u64 = 5 * 60_000;
/// A rate needs this many readings over this long, this well fitted by a line.
const MIN_READINGS: usize = 3;
const MIN_SPAN: f64 = 1.0;
const MIN_FIT: f64 = 0.8;
/// Filling: in the window, at least this share of what is left now went (a disk with 40 GB
/// free that lost a few hundred MB to a build is not filling).
const MIN_SHARE_GONE: f64 = 0.2;
/// Full at the current rate within this long is worth a warning.
const HORIZON_SECS: f64 = 24.0 * 3600.0;
/// Full now: less free than this share of the size (or than 1 MiB).
const FULL_SHARE: f64 = 0.01;
const FULL_BYTES: u64 = 1 << 20;
/// Nearly full, whatever the rate.
const NEARLY_FULL_PCT: f64 = 95.0;

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    facts
        .filesystems
        .iter()
        .filter_map(|fs| filling(fs, facts.now_ms))
        .collect()
}

/// Bytes lost per second, over the span (s) it was seen, when the disk is filling.
fn rate(fs: &Filesystem, now_ms: u64) -> Option<(f64, f64, u64)> {
    let from = now_ms.saturating_sub(TREND_MS);
    let readings: Vec<(f64, f64)> = (fs.readings.iter())
        .filter(|r| r.0 >= from)
        .map(|&(at, free)| (at as f64 / 1000.0, free as f64))
        .collect();
    let t = trend::fit(&readings)?;
    let (first, last) = (readings.first()?, readings.last()?);
    let gone = first.1 - last.1;
    let steady = readings.len() >= MIN_READINGS && t.span >= MIN_SPAN && t.fit >= MIN_FIT;
    (steady && t.slope < 0.0 && gone >= last.1 * MIN_SHARE_GONE).then_some((
        -t.slope,
        t.span,
        (first.0 * 1000.0) as u64,
    ))
}

/// Whether the file system is full, nearly full or filling soon: what this analyzer reports,
/// and what the gathering walks the directories for (the biggest files) — only then.
pub fn in_trouble(fs: &Filesystem, now_ms: u64) -> bool {
    fs.total != 0 && state(fs, now_ms).troubled
}

struct State {
    used_pct: f64,
    full: bool,
    rate: Option<(f64, f64, u64)>,
    eta: Option<f64>,
    soon: bool,
    troubled: bool,
}

fn state(fs: &Filesystem, now_ms: u64) -> State {
    let used_pct = 100.0 * (1.0 - fs.free as f64 / fs.total as f64);
    let full = fs.free < FULL_BYTES || (fs.free as f64) < fs.total as f64 * FULL_SHARE;
    let rate = rate(fs, now_ms);
    let eta = rate.and_then(|(r, _, _)| trend::time_to(0.0, fs.free as f64, r));
    let soon = eta.is_some_and(|e| e <= HORIZON_SECS);
    let troubled = full || soon || used_pct >= NEARLY_FULL_PCT;
    State {
        used_pct,
        full,
        rate,
        eta,
        soon,
        troubled,
    }
}

fn filling(fs: &Filesystem, now_ms: u64) -> Option<Finding> {
    if !in_trouble(fs, now_ms) {
        return None;
    }
    let State {
        used_pct,
        full,
        rate,
        eta,
        soon,
        ..
    } = state(fs, now_ms);
    let what = holder(fs);
    let room = format!(
        "{} free of {}",
        format::bytes(fs.free as f64),
        format::bytes(fs.total as f64)
    );
    let cause = match (full, rate, eta) {
        (true, _, _) => format!("the disk holding {what} is full: {room}"),
        (false, Some((r, _, _)), Some(eta)) if soon => format!(
            "the disk holding {what} fills at {}: {room}, full in {}",
            format::rate(r),
            format::duration(eta as u64)
        ),
        _ => format!(
            "the disk holding {what} is {} used: {room}",
            format::percent(used_pct)
        ),
    };
    let mut evidence = vec![Evidence {
        kind: EvidenceKind::Disk,
        text: format!("{} ({})", fs.mount, fs.holds.join(", ")),
        at_ms: Some(now_ms),
    }];
    if let Some((r, span, _)) = rate {
        evidence.push(Evidence {
            kind: EvidenceKind::Disk,
            text: format!(
                "{} written over the last {} ({})",
                format::bytes(r * span),
                format::duration(span as u64),
                format::rate(r)
            ),
            at_ms: Some(now_ms),
        });
    }
    evidence.extend(fs.biggest.iter().map(|(path, size)| Evidence {
        kind: EvidenceKind::Disk,
        text: format!("{} {}", format::bytes(*size as f64), path.display()),
        at_ms: None,
    }));
    Some(Finding {
        analyzer: "disk_filling".into(),
        severity: if full {
            Severity::Critical
        } else {
            Severity::Warning
        },
        // A full disk stops writers everywhere: it explains their failures.
        rank: 6,
        service: None,
        cause,
        evidence,
        actions: Vec::new(),
        since_ms: rate.map(|(_, _, since)| since),
    })
}

/// `the workspace (/srv/app)`: the first thing of ours the disk holds.
fn holder(fs: &Filesystem) -> String {
    match fs.holds.first().and_then(|h| h.split_once(' ')) {
        Some((what, path)) => format!("the {what} ({path})"),
        None => fs.mount.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const MIB: u64 = 1 << 20;

    fn fs(readings: Vec<(u64, u64)>) -> Filesystem {
        Filesystem {
            mount: "/srv".into(),
            holds: vec!["workspace /srv/app".into(), "logs /srv/state/logs".into()],
            free: readings.last().map_or(0, |r| r.1),
            total: 64 * MIB,
            readings,
            biggest: vec![(PathBuf::from("/srv/app/data.bin"), 30 * MIB)],
        }
    }

    fn facts(filesystems: Vec<Filesystem>, now_ms: u64) -> Facts {
        Facts {
            now_ms,
            filesystems,
            ..Facts::default()
        }
    }

    #[test]
    fn a_disk_losing_4m_a_second_is_full_in_the_time_its_free_space_lasts() {
        let readings = (0..=4).map(|s| (s * 1000, (60 - 4 * s) * MIB)).collect();
        let f = analyze(&facts(vec![fs(readings)], 4000));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].cause,
            "the disk holding the workspace (/srv/app) fills at 4.0M/s: 44.0M free of 64.0M, \
             full in 11s"
        );
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].since_ms, Some(0));
        assert!(
            f[0].evidence
                .iter()
                .any(|e| e.text == "30.0M /srv/app/data.bin")
        );
    }

    #[test]
    fn a_full_disk_is_critical() {
        let f = analyze(&facts(vec![fs(vec![(0, 0)])], 0));
        assert_eq!(
            f[0].cause,
            "the disk holding the workspace (/srv/app) is full: 0B free of 64.0M"
        );
        assert_eq!(f[0].severity, Severity::Critical);
    }

    #[test]
    fn a_steady_disk_or_a_small_dent_in_a_roomy_one_is_fine() {
        let steady = (0..=4).map(|s| (s * 1000, 40 * MIB)).collect();
        assert!(analyze(&facts(vec![fs(steady)], 4000)).is_empty());
        let dent = (0..=4).map(|s| (s * 1000, (40 - s) * MIB)).collect();
        assert!(
            analyze(&facts(vec![fs(dent)], 4000)).is_empty(),
            "4M of 40M"
        );
        let old = (0..=4).map(|s| (s * 1000, (60 - 4 * s) * MIB)).collect();
        assert!(
            analyze(&facts(vec![fs(old)], 3_600_000)).is_empty(),
            "an hour ago"
        );
    }
}
