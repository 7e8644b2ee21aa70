//! The engine: one long-lived process per workspace that owns the workers and serves the
//! protocol every frontend speaks (HTTP over a Unix socket).

mod alerts_api;
mod client;
mod command;
mod config_api;
mod config_center;
mod config_plan;
mod config_status;
mod config_watch;
mod event;
mod heal_api;
mod hub;
mod launch;
pub mod listen;
pub mod lock;
mod logs_api;
mod metrics_api;
pub mod paths;
mod playbooks;
mod run;
pub mod server;
mod snapshot;
mod state_files;
mod storage;

pub use alerts_api::AlertHistory;
pub use client::{Client, ClientError, EventStream, LineStream, SseStream};
pub use command::{Command, CommandError, Reply, silence_duration};
pub use config_status::{
    ChangeKind, ConfigDiff, ConfigPlan, ConfigStatus, EnvironmentInfo, Revision, RevisionText,
    ServiceChange,
};
pub use event::{Event, Notice, NoticeLevel};
pub use hub::Hub;
pub use launch::{LaunchError, Launcher, passed_env};
pub use logs_api::LogsAccess;
pub use metrics_api::serve_prometheus;
pub use paths::Paths;
pub use playbooks::{PlaybookInfo, PlaybookList, Playbooks};
pub use run::{Source, demo_dir, run};
pub use snapshot::{
    EngineInfo, Health, ProbeKind, ProbeStatus, ServiceState, ServiceStatus, Snapshot,
};
pub use storage::{DiskFull, ReplacedFile, StorageInfo, is_full};

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
