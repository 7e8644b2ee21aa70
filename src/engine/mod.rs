//! The engine: one long-lived process per workspace that owns the workers and serves the
//! protocol every frontend speaks (HTTP over a Unix socket).

mod command;
mod event;
pub mod paths;
mod snapshot;

pub use command::{Command, CommandError, Reply};
pub use event::{Event, Notice, NoticeLevel};
pub use paths::Paths;
pub use snapshot::{EngineInfo, Health, ServiceState, ServiceStatus, Snapshot};

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
