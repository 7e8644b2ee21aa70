//! Metrics: the sampler (sysinfo), in-memory ring buffers, and the Prometheus exposition.
//! History lives in `store`.

pub mod anomaly;
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
pub use series::{
    AnomalySpan, HistoryQuery, HistoryResponse, Metric, Point, SeriesHistory, SeriesKey,
};
pub use worker::{MetricsWorker, SharedRecent};

/// Points kept in memory per series: 10 minutes at 1 s.
pub const RECENT_POINTS: usize = 600;
