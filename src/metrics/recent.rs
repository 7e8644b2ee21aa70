//! The last minutes of every series, in memory, fed one sample at a time.

use std::collections::BTreeMap;

use super::{Point, RECENT_POINTS, Ring, Sample, SeriesHistory, SeriesKey};

#[derive(Debug, Clone, PartialEq)]
pub struct Recent {
    series: BTreeMap<SeriesKey, Ring>,
    capacity: usize,
}

impl Default for Recent {
    fn default() -> Self {
        Self::new(RECENT_POINTS)
    }
}

impl Recent {
    pub fn new(capacity: usize) -> Self {
        Self {
            series: BTreeMap::new(),
            capacity,
        }
    }

    pub fn push(&mut self, sample: &Sample) {
        let t = sample.t();
        for (key, value) in sample.points() {
            self.push_point(key, t, value);
        }
    }

    pub fn push_point(&mut self, key: SeriesKey, t: f64, value: f64) {
        let capacity = self.capacity;
        self.series
            .entry(key)
            .or_insert_with(|| Ring::new(capacity))
            .push(t, value);
    }

    pub fn get(&self, key: &SeriesKey) -> Option<&Ring> {
        self.series.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&SeriesKey, &Ring)> {
        self.series.iter()
    }

    /// Forget series whose newest point is older than `t` (a service that went away).
    pub fn drop_stale(&mut self, t: f64) {
        self.series
            .retain(|_, ring| ring.last().is_some_and(|(last, _)| last >= t));
    }
}

impl Recent {
    /// The last `since` seconds (before `now`, unix s) of `keys` (empty: all) in `step`-second
    /// buckets, as the history API answers from memory.
    pub fn history(
        &self,
        keys: &[SeriesKey],
        now: f64,
        since: u64,
        step: u64,
    ) -> Vec<SeriesHistory> {
        let from = now - since as f64;
        self.series
            .iter()
            .filter(|(key, _)| keys.is_empty() || keys.contains(key))
            .map(|(key, ring)| SeriesHistory {
                key: key.clone(),
                points: bucket(ring.since(from), step.max(1) as f64),
            })
            .filter(|h| !h.points.is_empty())
            .collect()
    }
}

/// Points `(t, v)` in time order, grouped into buckets of `step` seconds aligned to
/// multiples of `step`, with exact min / avg / max per bucket.
pub fn bucket(points: &[(f64, f64)], step: f64) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    let mut count = 0.0;
    for &(t, v) in points {
        let start = (t / step).floor() * step;
        match out.last_mut() {
            Some(p) if p.t == start => {
                count += 1.0;
                p.min = p.min.min(v);
                p.max = p.max.max(v);
                p.avg += (v - p.avg) / count;
            }
            _ => {
                count = 1.0;
                out.push(Point {
                    t: start,
                    avg: v,
                    min: v,
                    max: v,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric;

    #[test]
    fn buckets_have_exact_min_avg_max() {
        let points = [
            (10.0, 1.0),
            (11.0, 5.0),
            (12.0, 3.0),
            (15.0, 7.0),
            (19.0, 9.0),
        ];
        let out = bucket(&points, 5.0);
        assert_eq!(
            out,
            [
                Point {
                    t: 10.0,
                    avg: 3.0,
                    min: 1.0,
                    max: 5.0
                },
                Point {
                    t: 15.0,
                    avg: 8.0,
                    min: 7.0,
                    max: 9.0
                },
            ]
        );
    }

    #[test]
    fn history_from_memory_covers_the_window() {
        let mut recent = Recent::new(100);
        let key = SeriesKey::host(Metric::HostCpu);
        for t in 0..50 {
            recent.push_point(key.clone(), f64::from(t), f64::from(t));
        }
        let h = recent.history(std::slice::from_ref(&key), 49.0, 9, 1);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].points.len(), 10, "t = 40..=49");
        assert_eq!(h[0].points[0].t, 40.0);
        assert!(
            recent
                .history(&[SeriesKey::host(Metric::Load1)], 49.0, 9, 1)
                .is_empty()
        );
    }
}
