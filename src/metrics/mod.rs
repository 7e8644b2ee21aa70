//! Metrics: the sampler (sysinfo), in-memory ring buffers, and the Prometheus exposition.
//! History lives in `store`.

pub mod netdev;
pub mod prometheus;
pub mod recent;
pub mod ring;
pub mod sample;
pub mod sampler;
pub mod series;
pub mod worker;

pub use recent::Recent;
pub use recent::bucket;
pub use ring::Ring;
pub use sample::{DiskSample, HostSample, NetSample, Sample, ServiceSample};
pub use sampler::Sampler;
pub use series::{HistoryQuery, HistoryResponse, Metric, Point, SeriesHistory, SeriesKey};
pub use worker::{MetricsWorker, SharedRecent};

/// Points kept in memory per series: 10 minutes at 1 s.
pub const RECENT_POINTS: usize = 600;

/// `512B`, `12.3K`, `45.6M`, `123M`, `1.2G` (powers of 1024).
pub fn human_bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["B", "K", "M", "G", "T", "P"];
    let mut value = n.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{value:.0}B"),
        _ if value < 99.95 => format!("{value:.1}{}", UNITS[unit]),
        _ => format!("{value:.0}{}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn bytes_read_like_top() {
        assert_eq!(human_bytes(512.0), "512B");
        assert_eq!(human_bytes(12_595.0), "12.3K");
        assert_eq!(human_bytes(150.0 * 1024.0 * 1024.0), "150M");
        assert_eq!(human_bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5G");
    }
}
