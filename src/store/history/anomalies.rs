//! The flagged stretches of each series (`metrics::anomaly`), stored with its points and read
//! back with them.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::{Fault, History, StoreError, insert_series};
use crate::metrics::series::{Anomaly, AnomalySpan};

impl History {
    /// Records the series flagged at the sample taken at `at_ms`: each extends the row of
    /// its run (same `since`) to this sample, or opens one.
    pub fn write_anomalies(&mut self, at_ms: u64, anomalies: &[Anomaly]) -> Result<(), StoreError> {
        if anomalies.is_empty() {
            return Ok(());
        }
        let mut added = Vec::new();
        let ids = &self.ids;
        self.db.transaction(|tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO anomalies (series, start, end, score) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (series, start) DO UPDATE
                 SET end = max(end, excluded.end), score = max(score, excluded.score)",
            )?;
            for anomaly in anomalies {
                let id = match ids.get(&anomaly.series) {
                    Some(id) => *id,
                    None => {
                        let id = insert_series(tx, &anomaly.series)?;
                        added.push((anomaly.series.clone(), id));
                        id
                    }
                };
                let start = (anomaly.since * 1000.0).round() as i64;
                let end = i64::try_from(at_ms).unwrap_or(i64::MAX);
                upsert.execute(params![id, start, end, anomaly.score])?;
            }
            Ok::<_, Fault>(())
        })?;
        self.ids.extend(added);
        Ok(())
    }
}

/// The spans of the series in `slots` (id to slot) that overlap `from..=to` (unix seconds),
/// by slot, oldest first.
pub(super) fn spans(
    conn: &Connection,
    slots: &HashMap<u16, usize>,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<Vec<AnomalySpan>>> {
    let mut out = vec![Vec::new(); slots.len()];
    let mut stmt = conn.prepare_cached(
        "SELECT series, start, end, score FROM anomalies
         WHERE end >= ?1 AND start <= ?2 ORDER BY start",
    )?;
    let mut rows = stmt.query(params![
        from.saturating_mul(1000),
        to.saturating_add(1).saturating_mul(1000)
    ])?;
    while let Some(row) = rows.next()? {
        let Some(slot) = slots.get(&row.get::<_, u16>(0)?) else {
            continue;
        };
        out[*slot].push(AnomalySpan {
            from: row.get::<_, i64>(1)? as f64 / 1000.0,
            to: row.get::<_, i64>(2)? as f64 / 1000.0,
            score: row.get(3)?,
        });
    }
    Ok(out)
}

/// Drops the spans that ended before `t` (unix seconds).
pub(super) fn delete_before(conn: &Connection, t: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM anomalies WHERE end < ?1")?
        .execute([t.saturating_mul(1000)])?;
    Ok(())
}
