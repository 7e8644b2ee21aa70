//! The engine: one long-lived process per workspace. It holds the workspace's lock, checks
//! its state files, starts the workers and wires them to the bus and to the API served on
//! its socket. Everything it runs lives in the module that owns the concept.

mod audit;
pub mod lock;
mod run;
mod share;
mod space;
mod state_files;

pub use run::run;
