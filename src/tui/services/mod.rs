//! The services: the table (with the selected service's graphs or details below it), the
//! keys that start, stop and restart, and where a start, stop or restart sent from the TUI
//! has got to.

pub mod details;
pub mod marks;
pub mod progress;
pub mod table;
