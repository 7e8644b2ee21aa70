//! Exact min / avg / max / count of a bucket, merged from points or from coarser rows. Every
//! tier and every query bucket is built from these, so they all agree.

use std::collections::BTreeMap;

use rusqlite::{CachedStatement, Transaction, params};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Agg {
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub n: u64,
}

impl Agg {
    pub fn point(value: f64) -> Self {
        Self {
            min: value,
            max: value,
            sum: value,
            n: 1,
        }
    }

    /// A stored row; its sum is rebuilt from the average, so averages merge weighted by count.
    pub fn row(min: f64, avg: f64, max: f64, n: u64) -> Self {
        Self {
            min,
            max,
            sum: avg * n as f64,
            n,
        }
    }

    pub fn merge(&mut self, other: Agg) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        self.n += other.n;
    }

    pub fn avg(&self) -> f64 {
        self.sum / self.n as f64
    }
}

/// The start of the `step`-wide bucket holding `t`; buckets are aligned to the epoch.
pub(super) fn floor(t: i64, step: i64) -> i64 {
    t - t.rem_euclid(step)
}

/// Folds time-ordered points into `table` rows of `step` seconds: a bucket is written (one
/// row per series, in series order, so inserts append) when the first point of a later
/// bucket arrives, and the last one by `finish`.
pub(super) struct Folder<'tx> {
    insert: CachedStatement<'tx>,
    step: i64,
    bucket: i64,
    series: BTreeMap<u16, Agg>,
}

impl<'tx> Folder<'tx> {
    pub fn new(tx: &'tx Transaction<'_>, table: &str, step: i64) -> rusqlite::Result<Self> {
        let insert = tx.prepare_cached(&format!(
            "INSERT INTO {table} (t, series, min, avg, max, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        ))?;
        Ok(Self {
            insert,
            step,
            bucket: i64::MIN,
            series: BTreeMap::new(),
        })
    }

    pub fn add(&mut self, t: i64, series: u16, agg: Agg) -> rusqlite::Result<()> {
        let bucket = floor(t, self.step);
        if bucket != self.bucket {
            self.flush()?;
            self.bucket = bucket;
        }
        self.series
            .entry(series)
            .and_modify(|a| a.merge(agg))
            .or_insert(agg);
        Ok(())
    }

    pub fn finish(mut self) -> rusqlite::Result<()> {
        self.flush()
    }

    fn flush(&mut self) -> rusqlite::Result<()> {
        for (series, a) in std::mem::take(&mut self.series) {
            let n = i64::try_from(a.n).unwrap_or(i64::MAX);
            self.insert
                .execute(params![self.bucket, series, a.min, a.avg(), a.max, n])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_exactly_and_weights_averages_by_count() {
        let mut a = Agg::point(3.0);
        a.merge(Agg::point(-1.0));
        a.merge(Agg::point(4.0));
        assert_eq!((a.min, a.avg(), a.max, a.n), (-1.0, 2.0, 4.0, 3));

        // 3 points averaging 2 and 1 point of 10: (6 + 10) / 4.
        a.merge(Agg::row(10.0, 10.0, 10.0, 1));
        assert_eq!((a.min, a.avg(), a.max, a.n), (-1.0, 4.0, 10.0, 4));
    }

    #[test]
    fn buckets_align_to_the_epoch_before_and_after_it() {
        assert_eq!(floor(125, 60), 120);
        assert_eq!(floor(120, 60), 120);
        assert_eq!(floor(-1, 60), -60);
    }
}
