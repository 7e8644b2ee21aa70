//! The metric series the analyzers read, copied out of the metrics worker's memory (the
//! last minutes at the sampling interval): services' memory and CPU, the host's CPU and
//! its disks' fill.

use std::collections::BTreeMap;

use crate::metrics::Recent;
use crate::metrics::series::{Metric, SeriesKey};

/// The last this many seconds are copied.
pub const WINDOW_SECS: f64 = 600.0;

/// Points `(unix s, value)` by series, oldest first.
pub type Series = BTreeMap<SeriesKey, Vec<(f64, f64)>>;

fn wanted(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::ServiceRss | Metric::ServiceCpu | Metric::HostCpu | Metric::DiskUsedPct
    )
}

/// The wanted series of `recent` over the last [`WINDOW_SECS`] before `now` (unix s).
pub fn copy(recent: &Recent, now: f64) -> Series {
    recent
        .iter()
        .filter(|(key, _)| wanted(key.metric))
        .map(|(key, ring)| (key.clone(), ring.since(now - WINDOW_SECS).to_vec()))
        .filter(|(_, points)| !points.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_wanted_series_of_the_window_are_copied() {
        let mut recent = Recent::new(2000);
        let rss = SeriesKey::new(Metric::ServiceRss, "api");
        for t in 0..1000 {
            recent.push_point(rss.clone(), f64::from(t), 1.0);
            recent.push_point(SeriesKey::host(Metric::Load1), f64::from(t), 1.0);
        }
        let series = copy(&recent, 999.0);
        assert_eq!(series.len(), 1);
        assert_eq!(series[&rss].len(), 601, "t = 399..=999");
    }
}
