//! The last minutes of every series, in memory, fed one sample at a time.

use std::collections::BTreeMap;

use super::{AnomalySpan, Point, RECENT_POINTS, Ring, Sample, SeriesHistory, SeriesKey};

#[derive(Debug, Clone, PartialEq)]
pub struct Recent {
    series: BTreeMap<SeriesKey, Ring>,
    /// The flagged stretches of each series, as far back as its ring goes.
    anomalies: BTreeMap<SeriesKey, Vec<AnomalySpan>>,
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
            anomalies: BTreeMap::new(),
            capacity,
        }
    }

    pub fn push(&mut self, sample: &Sample) {
        let t = sample.t();
        for (key, value) in sample.points() {
            self.push_point(key, t, value);
        }
        self.push_anomalies(sample);
    }

    /// A flagged series extends its current span (same run: same `since`) or opens one;
    /// spans older than their series' ring are dropped.
    fn push_anomalies(&mut self, sample: &Sample) {
        let t = sample.t();
        for anomaly in &sample.anomalies {
            let spans = self.anomalies.entry(anomaly.series.clone()).or_default();
            match spans.last_mut() {
                Some(span) if span.from == anomaly.since => span.extend(t, anomaly.score),
                _ => spans.push(AnomalySpan {
                    from: anomaly.since,
                    to: t,
                    score: anomaly.score,
                }),
            }
        }
        let series = &self.series;
        self.anomalies.retain(|key, spans| {
            let oldest = series
                .get(key)
                .and_then(|ring| ring.as_slice().first())
                .map_or(f64::INFINITY, |(t, _)| *t);
            spans.retain(|span| span.to >= oldest);
            !spans.is_empty()
        });
    }

    /// Merges spans from elsewhere (a history answer, a previous memory) into the series'
    /// own: a span of a run already known (same start) extends it.
    pub fn add_anomalies(&mut self, key: &SeriesKey, spans: &[AnomalySpan]) {
        if spans.is_empty() {
            return;
        }
        let own = self.anomalies.entry(key.clone()).or_default();
        for span in spans {
            match own.iter_mut().find(|s| s.from == span.from) {
                Some(known) => known.extend(span.to, span.score),
                None => own.push(*span),
            }
        }
        own.sort_by(|a, b| a.from.total_cmp(&b.from));
    }

    /// The flagged stretches of a series that overlap `from..`, oldest first.
    pub fn anomalies(&self, key: &SeriesKey, from: f64) -> &[AnomalySpan] {
        let spans = self.anomalies.get(key).map_or(&[][..], Vec::as_slice);
        let first = spans.partition_point(|span| span.to < from);
        &spans[first..]
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
        let series = &self.series;
        self.anomalies.retain(|key, _| series.contains_key(key));
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
                anomalies: self.anomalies(key, from).to_vec(),
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

    #[test]
    fn flagged_runs_become_spans_kept_as_long_as_their_series() {
        use crate::metrics::anomaly::Anomaly;
        let key = SeriesKey::host(Metric::HostCpu);
        let sample = |t: u64, since: Option<f64>| Sample {
            at: t * 1000,
            host: crate::metrics::HostSample::default(),
            services: Vec::new(),
            anomalies: since
                .map(|since| Anomaly {
                    series: key.clone(),
                    since,
                    score: t as f64,
                })
                .into_iter()
                .collect(),
        };
        let mut recent = Recent::new(20);
        for t in 0..30 {
            // Two runs: flagged at 10..=12 (since 8) and at 20..=21 (since 19).
            let since = match t {
                10..=12 => Some(8.0),
                20..=21 => Some(19.0),
                _ => None,
            };
            recent.push(&sample(t, since));
        }
        let span = |from: f64, to: f64, score: f64| AnomalySpan { from, to, score };
        assert_eq!(
            recent.anomalies(&key, 0.0),
            [span(8.0, 12.0, 12.0), span(19.0, 21.0, 21.0)]
        );
        assert_eq!(recent.anomalies(&key, 13.0), [span(19.0, 21.0, 21.0)]);
        let h = recent.history(std::slice::from_ref(&key), 29.0, 10, 1);
        assert_eq!(h[0].anomalies, [span(19.0, 21.0, 21.0)]);
        assert!(recent.history(&[], 29.0, 10, 1)[1].anomalies.is_empty());
        // The ring holds t = 10..=29: ten more samples push the first run's out, and it goes.
        for t in 30..40 {
            recent.push(&sample(t, None));
        }
        assert_eq!(recent.anomalies(&key, 0.0), [span(19.0, 21.0, 21.0)]);
        recent.drop_stale(100.0);
        assert!(recent.anomalies(&key, 0.0).is_empty());
    }
}
