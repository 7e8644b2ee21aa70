//! Embedded SQLite storage. One module per table family.

mod error;
pub mod history;
pub mod journal;
pub(crate) mod migrate;

pub use error::{Fault, StoreError};
pub use history::{DiskUsage, History, Retention, TableUsage};
pub use journal::Journal;
