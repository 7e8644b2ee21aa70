//! Downsampling (raw → minutes → hours) and retention, run together in one transaction.

use rusqlite::Transaction;

use super::agg::{Folder, floor};
use super::schema::{self, H1, M1, RAW, Tier};
use super::{History, StoreError};

const DAY: i64 = 24 * 3600;

/// How long each tier keeps its rows, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw: i64,
    pub m1: i64,
    pub h1: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            raw: DAY,
            m1: 30 * DAY,
            h1: 365 * DAY,
        }
    }
}

impl Retention {
    /// In the order of `schema::TIERS`.
    pub(super) fn periods(&self) -> [i64; 3] {
        [self.raw, self.m1, self.h1]
    }
}

impl History {
    /// Folds every complete minute not yet in the minute tier into it and every complete hour
    /// not yet in the hour tier, then drops rows past their tier's retention. Idempotent: the
    /// progress is recorded in the same transaction, so a second call (or a call after a
    /// crash) neither skips nor counts a bucket twice. Ticks written later for a minute
    /// already folded stay in the raw tier only.
    pub fn maintain(&mut self, now: i64) -> Result<(), StoreError> {
        let keep = self.retention;
        self.db.transaction(|tx| {
            let m1_done = fold(tx, RAW, M1, floor(now, M1.step))?;
            let h1_done = fold(tx, M1, H1, floor(m1_done, H1.step))?;
            // Rows not yet folded into the next tier stay, however old (short test retentions).
            delete_before(tx, RAW, now.saturating_sub(keep.raw).min(m1_done))?;
            delete_before(tx, M1, now.saturating_sub(keep.m1).min(h1_done))?;
            delete_before(tx, H1, now.saturating_sub(keep.h1))?;
            super::anomalies::delete_before(tx, now.saturating_sub(keep.h1))
        })
    }
}

/// Folds the rows of `from` between `into`'s watermark and `end` into `into`, and moves the
/// watermark to `end`. Returns the watermark.
fn fold(tx: &Transaction<'_>, from: Tier, into: Tier, end: i64) -> rusqlite::Result<i64> {
    let start = schema::done(tx, into)?;
    if start >= end {
        return Ok(start);
    }
    let mut folder = Folder::new(tx, into.table, into.step)?;
    schema::scan(tx, from, start, end, |t, series, agg| {
        folder.add(t, series, agg)
    })?;
    folder.finish()?;
    schema::set_done(tx, into, end)?;
    Ok(end)
}

fn delete_before(tx: &Transaction<'_>, tier: Tier, t: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!("DELETE FROM {} WHERE t < ?1", tier.table))?
        .execute([t])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::series::{Metric, SeriesKey};

    /// On an hour boundary.
    const T0: i64 = 1_699_999_200;

    type Row = (i64, u16, f64, f64, f64, i64);

    fn a() -> SeriesKey {
        SeriesKey::host(Metric::HostCpu)
    }

    fn b() -> SeriesKey {
        SeriesKey::new(Metric::ServiceCpu, "api")
    }

    fn open(dir: &tempfile::TempDir) -> History {
        History::open(dir.path().join("history.db")).unwrap()
    }

    fn rows(history: &History, table: &str) -> Vec<Row> {
        let sql = format!("SELECT t, series, min, avg, max, n FROM {table} ORDER BY t, series");
        let mut stmt = history.db.conn().prepare(&sql).unwrap();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        });
        rows.unwrap().map(Result::unwrap).collect()
    }

    fn raw_times(history: &History) -> Vec<i64> {
        let mut stmt = history
            .db
            .conn()
            .prepare("SELECT t FROM raw ORDER BY t")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// Seconds `range` of two minutes. Minute 0: `a` = 0..=59 and `b` = 1, 2, 6 at seconds
    /// 0, 10, 20. Minute 1: `a` = 100 but NaN at second 90, no `b`.
    fn write_two_minutes(history: &mut History, range: std::ops::Range<i64>) {
        for s in range {
            let value = match s {
                0..60 => s as f64,
                90 => f64::NAN,
                _ => 100.0,
            };
            let mut points = vec![(a(), value)];
            if let Some((_, v)) = [(0, 1.0), (10, 2.0), (20, 6.0)].iter().find(|p| p.0 == s) {
                points.push((b(), *v));
            }
            history.write(T0 + s, &points).unwrap();
        }
    }

    #[test]
    fn minutes_then_hours_are_exact_and_hour_averages_weighted_by_count() {
        let dir = tempfile::tempdir().unwrap();
        let mut history = open(&dir);
        write_two_minutes(&mut history, 0..90);
        history.maintain(T0 + 90).unwrap();
        // Only the complete minute; no complete hour yet.
        assert_eq!(
            rows(&history, "m1"),
            vec![(T0, 1, 0.0, 29.5, 59.0, 60), (T0, 2, 1.0, 3.0, 6.0, 3)]
        );
        assert_eq!(rows(&history, "h1"), vec![]);

        write_two_minutes(&mut history, 90..120);
        history.maintain(T0 + 3600).unwrap();
        let m1 = rows(&history, "m1");
        assert_eq!(m1.len(), 3);
        assert_eq!(m1[2], (T0 + 60, 1, 100.0, 100.0, 100.0, 59));
        // (60 × 29.5 + 59 × 100) / 119, not the mean of the two minutes' averages.
        assert_eq!(
            rows(&history, "h1"),
            vec![
                (T0, 1, 0.0, 7670.0 / 119.0, 100.0, 119),
                (T0, 2, 1.0, 3.0, 6.0, 3)
            ]
        );
    }

    #[test]
    fn maintaining_twice_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut history = open(&dir);
        write_two_minutes(&mut history, 0..120);
        history.maintain(T0 + 3600).unwrap();
        let tables = |h: &History| (rows(h, "m1"), rows(h, "h1"), raw_times(h));
        let first = tables(&history);
        history.maintain(T0 + 3600).unwrap();
        history.maintain(T0 + 3601).unwrap();
        assert_eq!(tables(&history), first);

        // Nor does reopening: the progress is in the file.
        drop(history);
        let mut history = open(&dir);
        history.maintain(T0 + 3600).unwrap();
        assert_eq!(tables(&history), first);
    }

    #[test]
    fn retention_drops_old_rows_of_each_tier_and_keeps_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        let keep = Retention {
            raw: 120,
            m1: 3600,
            h1: 2 * 3600,
        };
        let mut history = open(&dir).with_retention(keep);
        for t in (T0..T0 + 3 * 3600).step_by(10) {
            history.write(t, &[(a(), 1.0)]).unwrap();
        }
        let now = T0 + 3 * 3600;
        history.maintain(now).unwrap();
        let raw = raw_times(&history);
        assert_eq!(raw.first(), Some(&(now - 120)));
        assert_eq!(raw.len(), 12);
        let m1 = rows(&history, "m1");
        assert_eq!(m1.first().map(|r| r.0), Some(now - 3600));
        assert_eq!(m1.len(), 60);
        let h1: Vec<i64> = rows(&history, "h1").iter().map(|r| r.0).collect();
        assert_eq!(h1, vec![T0 + 3600, T0 + 7200]);
    }

    #[test]
    fn rows_not_yet_downsampled_outlive_a_shorter_retention() {
        let dir = tempfile::tempdir().unwrap();
        let keep = Retention {
            raw: 10,
            m1: 30,
            h1: 3600,
        };
        let mut history = open(&dir).with_retention(keep);
        for t in T0..T0 + 100 {
            history.write(t, &[(a(), 1.0)]).unwrap();
        }
        history.maintain(T0 + 100).unwrap();
        // Minute 1 is incomplete: its raw rows stay although older than 10 s.
        assert_eq!(raw_times(&history).first(), Some(&(T0 + 60)));
        // Minute 0 is not in an hour yet: it stays although older than 30 s.
        assert_eq!(rows(&history, "m1"), vec![(T0, 1, 1.0, 1.0, 1.0, 60)]);

        for t in T0 + 100..T0 + 120 {
            history.write(t, &[(a(), 1.0)]).unwrap();
        }
        history.maintain(T0 + 120).unwrap();
        assert_eq!(rows(&history, "m1")[1], (T0 + 60, 1, 1.0, 1.0, 1.0, 60));
    }
}
