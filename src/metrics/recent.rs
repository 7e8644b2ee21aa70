//! The last minutes of every series, in memory, fed one sample at a time.

use std::collections::BTreeMap;

use super::{RECENT_POINTS, Ring, Sample, SeriesKey};

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
