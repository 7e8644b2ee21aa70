//! Logs: every service's captured output and the files a workspace declares, followed
//! rotation-safely, parsed (time, level), mined into patterns, stored with a compact index,
//! searched and summarised. See `docs/ARCHITECTURE.md`, "Logs as built".

pub mod capture;
mod classify;
pub mod follow;
pub mod header;
pub mod line;
pub mod live;
pub mod mine;
mod model;
pub mod patterns;
pub mod search;
pub mod stats;
pub mod store;
mod worker;

pub use classify::LineClassifier;
pub use model::{
    Level, LevelCounts, LineHeader, LogLine, LogQuery, LogStreamEvent, PatternFlag, PatternInfo,
    Span,
};
pub use worker::LogsWorker;
