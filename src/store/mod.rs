//! Embedded SQLite storage. One module per file; every file is opened through [`Db`].

pub mod audit;
mod check;
mod db;
pub mod deploys;
mod error;
pub mod heal;
pub mod history;
pub mod journal;
mod migrate;
pub mod revisions;
pub mod tokens;

pub use audit::{AuditEntry, AuditLog, AuditRecord, Auditor};
pub use check::Broken;
pub use db::{Db, Durability, Schema};
pub use error::{Fault, StoreError};
pub use heal::{HealLog, HealQuery};
pub use history::{DiskUsage, History, Retention, TableUsage};
pub use journal::Journal;
pub use revisions::{NewRevision, Revisions};
pub use tokens::{NewToken, TokenError, TokenInfo, Tokens};
