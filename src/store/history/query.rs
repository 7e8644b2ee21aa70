//! Reading a window back: the tier, the bucket width, and exact min/avg/max per bucket.

use std::collections::HashMap;

use super::agg::{Agg, floor};
use super::schema::{self, TIERS, Tier};
use super::{Fault, History, StoreError};
use crate::metrics::series::{HistoryResponse, Point, SeriesHistory, SeriesKey};

/// Buckets per series a query aims to stay under.
const MAX_POINTS: u64 = 2000;

/// The widest bucket a caller may ask for: a year and a bit.
const MAX_STEP: u64 = 400 * 24 * 3600;

impl History {
    /// The points of `series` (all series when empty) from `from` to `to` (unix seconds,
    /// inclusive), in buckets of `step` seconds aligned to the epoch (chosen from the window
    /// when `None`), oldest first; a bucket's time is its start. The
    /// answer comes from the finest tier that still holds `from` and answers windows this
    /// long (raw up to 1 h, minutes up to 30 h, hours beyond), with the step widened to keep
    /// under about 2,000 buckets and rounded up to a multiple of the tier's. The newest
    /// minutes and hours, not yet downsampled, come from the finer tiers. Series without
    /// points in the window are left out.
    pub fn query(
        &self,
        series: &[SeriesKey],
        from: i64,
        to: i64,
        step: Option<u64>,
    ) -> Result<HistoryResponse, StoreError> {
        self.run_query(series, from, to, step)
            .map_err(|f| self.db.error(f))
    }

    fn run_query(
        &self,
        series: &[SeriesKey],
        from: i64,
        to: i64,
        step: Option<u64>,
    ) -> Result<HistoryResponse, Fault> {
        let latest = self.latest()?.unwrap_or(to);
        let tier = pick_tier(latest, from, to, self.retention.periods());
        let step = pick_step(TIERS[tier], from, to, step);
        let (slots, keys) = self.slots(series)?;
        let mut buckets = vec![Vec::new(); keys.len()];
        if to >= from {
            self.fill(&mut buckets, &slots, tier, step, floor(from, step), to)?;
        }
        let spans = super::anomalies::spans(self.db.conn(), &slots, from, to)?;
        Ok(HistoryResponse {
            tier: TIERS[tier].name.to_owned(),
            step: step.unsigned_abs(),
            series: keys
                .into_iter()
                .zip(buckets)
                .zip(spans)
                .filter(|((_, points), _)| !points.is_empty())
                .map(|((key, points), anomalies)| SeriesHistory {
                    anomalies,
                    ..history(key, points)
                })
                .collect(),
        })
    }

    /// Adds to `buckets` (by slot) every point or row of the buckets holding `from..=to`: the
    /// chosen tier up to where it is complete, then each finer tier from the next coarser
    /// one's watermark on. The ranges do not overlap, and a row never straddles buckets
    /// (steps are multiples of the tier's), so every bucket is exact.
    fn fill(
        &self,
        buckets: &mut [Vec<(i64, Agg)>],
        slots: &HashMap<u16, usize>,
        tier: usize,
        step: i64,
        from: i64,
        to: i64,
    ) -> Result<(), Fault> {
        let mut add = |t: i64, series: u16, agg: Agg| {
            if let Some(points) = slots.get(&series).and_then(|s| buckets.get_mut(*s)) {
                push(points, floor(t, step), agg);
            }
            Ok(())
        };
        let end = to.saturating_add(1);
        let mut start = from;
        for finer in TIERS[..=tier].iter().rev() {
            let done = end.min(schema::done(self.db.conn(), *finer)?);
            schema::scan(self.db.conn(), *finer, start, done, &mut add)?;
            start = start.max(done);
        }
        Ok(())
    }

    /// The newest tick, the store's idea of "now" for deciding which tiers still hold a time.
    fn latest(&self) -> Result<Option<i64>, Fault> {
        Ok(self
            .db
            .conn()
            .prepare_cached("SELECT max(t) FROM raw")?
            .query_row([], |r| r.get(0))?)
    }

    /// The ids to collect and, by slot, their keys: the requested series in request order,
    /// or every series sorted.
    fn slots(&self, wanted: &[SeriesKey]) -> Result<(HashMap<u16, usize>, Vec<SeriesKey>), Fault> {
        let known = super::load_series(self.db.conn())?;
        let mut pairs: Vec<(u16, SeriesKey)> = if wanted.is_empty() {
            let mut all: Vec<_> = known.into_iter().collect();
            all.sort_by(|a, b| a.1.cmp(&b.1));
            all
        } else {
            let ids: HashMap<&SeriesKey, u16> = known.iter().map(|(id, k)| (k, *id)).collect();
            wanted
                .iter()
                .filter_map(|k| Some((*ids.get(k)?, k.clone())))
                .collect()
        };
        let mut slots = HashMap::new();
        pairs.retain(|(id, _)| {
            let next = slots.len();
            slots.insert(*id, next).is_none()
        });
        Ok((slots, pairs.into_iter().map(|(_, key)| key).collect()))
    }
}

/// The finest tier that still holds `from` (judged against the newest tick) and answers a
/// window this long.
fn pick_tier(latest: i64, from: i64, to: i64, keep: [i64; 3]) -> usize {
    let window = to.saturating_sub(from);
    TIERS
        .iter()
        .zip(keep)
        .position(|(tier, keep)| from >= latest.saturating_sub(keep) && window <= tier.max_window)
        .unwrap_or(TIERS.len() - 1)
}

/// The requested or fitting step, widened to stay under `MAX_POINTS` buckets and rounded up
/// to a multiple of the tier's step.
fn pick_step(tier: Tier, from: i64, to: i64, asked: Option<u64>) -> i64 {
    let window = to.saturating_sub(from).max(0).unsigned_abs();
    let fit = window.div_ceil(MAX_POINTS).max(1);
    let step = asked.unwrap_or(0).max(fit).min(MAX_STEP);
    let tier_step = tier.step.unsigned_abs();
    // At most MAX_STEP, which fits.
    (step.div_ceil(tier_step) * tier_step) as i64
}

fn push(points: &mut Vec<(i64, Agg)>, bucket: i64, agg: Agg) {
    match points.last_mut() {
        Some((last, acc)) if *last == bucket => acc.merge(agg),
        _ => points.push((bucket, agg)),
    }
}

fn history(key: SeriesKey, points: Vec<(i64, Agg)>) -> SeriesHistory {
    let points = points
        .into_iter()
        .map(|(t, a)| Point {
            t: t as f64,
            avg: a.avg(),
            min: a.min,
            max: a.max,
        })
        .collect();
    SeriesHistory {
        key,
        points,
        anomalies: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600;
    const KEEP: [i64; 3] = [24 * HOUR, 30 * 24 * HOUR, 365 * 24 * HOUR];

    #[test]
    fn recent_short_windows_read_raw_and_longer_ones_coarser_tiers() {
        let now = 100 * 24 * HOUR;
        let tier = |from: i64, to: i64| TIERS[pick_tier(now, from, to, KEEP)].name;
        assert_eq!(tier(now - HOUR, now), "raw");
        assert_eq!(tier(now - 2 * HOUR, now), "1m");
        assert_eq!(tier(now - 30 * HOUR, now), "1m");
        assert_eq!(tier(now - 31 * HOUR, now), "1h");
        // Short windows too old for the tier that would suit them.
        assert_eq!(tier(now - 25 * HOUR, now - 24 * HOUR - 1800), "1m");
        assert_eq!(tier(now - 31 * 24 * HOUR, now - 31 * 24 * HOUR + 60), "1h");
        assert_eq!(tier(0, 60), "1h");
    }

    #[test]
    fn steps_fit_the_window_and_the_tier() {
        let (raw, m1, h1) = (TIERS[0], TIERS[1], TIERS[2]);
        assert_eq!(pick_step(raw, 0, 600, None), 1);
        assert_eq!(pick_step(raw, 0, 3600, None), 2);
        assert_eq!(pick_step(raw, 0, 600, Some(10)), 10);
        // Too fine for the window: widened to stay under 2,000 buckets.
        assert_eq!(pick_step(raw, 0, 3600, Some(1)), 2);
        assert_eq!(pick_step(m1, 0, 30 * HOUR, None), 60);
        assert_eq!(pick_step(m1, 0, 2 * HOUR, Some(90)), 120);
        assert_eq!(pick_step(h1, 0, 365 * 24 * HOUR, None), 5 * HOUR);
        assert_eq!(pick_step(h1, 0, HOUR, Some(u64::MAX)), MAX_STEP as i64);
    }
}
