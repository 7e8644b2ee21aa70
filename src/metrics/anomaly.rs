//! Online anomaly detection, one small detector per metric series, the same for every series.
//!
//! Each detector keeps two robust baselines of the series: a recent one (time constant ~5 min)
//! and one per hour of the day (UTC, time constant ~1 h of that hour's samples, so it carries
//! yesterday's shape into today). A baseline is a Huber-style online estimate: a location
//! moved by the residual clipped to `CLIP` spreads, and a spread (mean absolute deviation of
//! the clipped residual), so one outlier moves neither far. A sample's score is its robust
//! z-score against each warmed-up baseline; the series is anomalous only when *both* agree
//! (the smaller score is over `THRESHOLD`) for `DEBOUNCE` samples in a row: a daily cycle is
//! normal for the hour baseline, a slow drift is normal for the recent one.
//!
//! Why not Netdata's consensus of k-means models: those retrain every few hours over a
//! window of feature vectors; this costs a few dozen floating-point operations and 600 bytes
//! per series, with no training step, and still agrees across two models before flagging.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Sample, SeriesKey};

/// Score over which a sample is unusual.
pub const THRESHOLD: f64 = 6.0;
/// Unusual samples in a row before the series is flagged.
pub const DEBOUNCE: u32 = 3;
/// Samples a baseline needs before it is trusted.
pub const WARMUP: u32 = 60;
/// Residuals are clipped to this many spreads when updating a baseline.
const CLIP: f64 = 3.0;
/// Recent baseline: ~5 minutes of 1 s samples.
const RECENT_RATE: f64 = 1.0 / 300.0;
/// Hour-of-day baselines: ~1 hour of that hour's samples.
const HOUR_RATE: f64 = 1.0 / 3600.0;
/// Mean absolute deviation to standard deviation, for normal noise.
const MAD_TO_SIGMA: f64 = 1.2533;
/// The spread never counts as smaller than this share of the series' typical magnitude:
/// a flat series (total memory, an idle counter) is not anomalous for moving by a hair.
const FLOOR_SHARE: f64 = 0.01;

/// A flagged series: since when (the first unusual sample of the run) and how unusual now.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub since: f64,
    pub score: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Baseline {
    level: f64,
    spread: f64,
    seen: u32,
}

impl Baseline {
    fn warm(&self) -> bool {
        self.seen >= WARMUP
    }

    fn score(&self, value: f64, floor: f64) -> f64 {
        (value - self.level).abs() / (self.spread * MAD_TO_SIGMA).max(floor)
    }

    /// A plain running mean while warming up (fast, unbiased start), then the clipped
    /// exponential update.
    fn update(&mut self, value: f64, rate: f64, floor: f64) {
        self.seen = self.seen.saturating_add(1);
        let rate = rate.max(1.0 / f64::from(self.seen));
        let residual = value - self.level;
        let residual = if self.warm() {
            let limit = CLIP * (self.spread * MAD_TO_SIGMA).max(floor);
            residual.clamp(-limit, limit)
        } else {
            residual
        };
        self.level += rate * residual;
        self.spread += rate * (residual.abs() - self.spread);
    }
}

/// One series' detector. Feed it every sample in time order.
#[derive(Debug, Clone)]
pub struct Detector {
    recent: Baseline,
    hours: [Baseline; 24],
    magnitude: f64,
    run: u32,
    run_since: f64,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    pub fn new() -> Self {
        Self {
            recent: Baseline::default(),
            hours: [Baseline::default(); 24],
            magnitude: 0.0,
            run: 0,
            run_since: 0.0,
        }
    }

    /// Score the sample at unix time `t`, then learn from it. Returns the flag when the
    /// series is anomalous at this sample.
    pub fn observe(&mut self, t: f64, value: f64) -> Option<Flag> {
        if !value.is_finite() {
            return None;
        }
        let hour = ((t / 3600.0).rem_euclid(24.0)) as usize % 24;
        let floor = (FLOOR_SHARE * self.magnitude).max(f64::MIN_POSITIVE);
        let score = self.score(hour, value, floor);
        self.recent.update(value, RECENT_RATE, floor);
        self.hours[hour].update(value, HOUR_RATE, floor);
        self.magnitude +=
            RECENT_RATE.max(1.0 / f64::from(self.recent.seen)) * (value.abs() - self.magnitude);
        self.debounce(t, score)
    }

    /// The smaller score of the warmed-up baselines (the recent one alone while no hour has
    /// history); 0 while the recent baseline warms up.
    fn score(&self, hour: usize, value: f64, floor: f64) -> f64 {
        if !self.recent.warm() {
            return 0.0;
        }
        let recent = self.recent.score(value, floor);
        let by_hour = &self.hours[hour];
        if by_hour.warm() {
            recent.min(by_hour.score(value, floor))
        } else {
            recent
        }
    }

    fn debounce(&mut self, t: f64, score: f64) -> Option<Flag> {
        if score <= THRESHOLD {
            self.run = 0;
            return None;
        }
        if self.run == 0 {
            self.run_since = t;
        }
        self.run = self.run.saturating_add(1);
        (self.run >= DEBOUNCE).then_some(Flag {
            since: self.run_since,
            score,
        })
    }
}

/// A series flagged at a sample: plain data, so it lives with the series' model.
pub use super::series::Anomaly;

/// One detector per series of the samples fed to it; a series seen for the first time
/// starts warming up.
///
/// Kept in the order of the samples' series: from one sample to the next the series are the
/// same, in the same order, so each finds its detector by position and one key comparison,
/// with no hashing. When they change (a service started or stopped), every detector follows
/// its series into the new order once.
#[derive(Debug, Default)]
pub struct Detectors(Vec<(SeriesKey, Detector)>);

impl Detectors {
    /// The series anomalous at this sample, in the sample's series order.
    pub fn observe(&mut self, sample: &Sample) -> Vec<Anomaly> {
        let t = sample.t();
        let points = sample.points();
        if !self.aligned(&points) {
            self.realign(&points);
        }
        points
            .into_iter()
            .zip(&mut self.0)
            .filter_map(|((series, value), (_, detector))| {
                let flag = detector.observe(t, value)?;
                Some(Anomaly {
                    series,
                    since: flag.since,
                    score: flag.score,
                })
            })
            .collect()
    }

    fn aligned(&self, points: &[(SeriesKey, f64)]) -> bool {
        self.0.len() == points.len()
            && self
                .0
                .iter()
                .zip(points)
                .all(|((kept, _), (series, _))| kept == series)
    }

    /// A series gone from the samples (a stopped or removed service) takes its detector
    /// along, so services coming and going do not grow the list for the engine's life; one
    /// that comes back warms up again.
    fn realign(&mut self, points: &[(SeriesKey, f64)]) {
        let mut kept: HashMap<SeriesKey, Detector> = self.0.drain(..).collect();
        self.0 = points
            .iter()
            .map(|(series, _)| {
                let detector = kept.remove(series).unwrap_or_default();
                (series.clone(), detector)
            })
            .collect();
    }
}

#[cfg(test)]
#[path = "anomaly_tests.rs"]
mod tests;
