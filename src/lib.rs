//! Univers-Container (`uc`): a keyboard-driven control center for a team's services.
//!
//! The binary is a thin shell over this library so tests can drive every part headlessly.
//! See `docs/ARCHITECTURE.md` for the data flow between the modules below.

pub mod alerts;
pub mod api;
pub mod assist;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod config_center;
pub mod deploy;
pub mod engine;
pub mod export;
pub mod format;
pub mod heal;
pub mod hooks;
pub mod logs;
pub mod metrics;
pub mod paths;
pub mod procfs;
pub mod protocol;
pub mod quota;
pub mod serve;
pub mod store;
pub mod supervisor;
pub mod tui;
