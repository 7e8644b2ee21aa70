//! Health checks and (later) restart policies and playbooks.

pub mod probe;
