//! Health checks and restart policies (playbooks to come).

pub mod probe;
pub mod restart;
