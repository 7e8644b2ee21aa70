//! The vocabulary every part shares: the commands a frontend sends (`Command`, `Reply`), the
//! events the engine publishes (`Event`) and the snapshot they fold into (`Snapshot` and its
//! parts), the bus that carries them (`Hub`), and what the configuration center and the
//! engine's files report. It carries the domain modules' plain data (their `model` files)
//! and names no worker, engine, API or frontend.

pub mod access;
pub mod command;
pub mod config;
pub mod event;
pub mod hub;
pub mod links;
pub mod overview;
pub mod quota;
pub mod snapshot;
pub mod storage;

pub use access::{Permission, Role};
pub use command::{Command, CommandError, CommandRequest, Reply, silence_duration};
pub use config::{
    ChangeKind, ConfigDiff, ConfigPlan, ConfigRender, ConfigStatus, EnvironmentInfo, Revision,
    RevisionText, ServiceChange,
};
pub use event::{Event, Notice, NoticeLevel};
pub use hub::Hub;
pub use overview::{WorkspaceRow, WorkspaceState};
pub use quota::{QuotaKind, QuotaStatus, Usage};
pub use snapshot::{
    Dependent, EngineInfo, Health, ProbeKind, ProbeStatus, ServiceState, ServiceStatus, Snapshot,
};
pub use storage::{DiskFull, ReplacedFile, StorageInfo, is_full};
