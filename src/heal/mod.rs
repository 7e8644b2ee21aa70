//! Self-healing: probes, restart policies and triggers, clean-up playbooks, and the events
//! that record what was done.

pub mod event;
pub mod output;
pub mod playbook;
pub mod probe;
pub mod restart;
pub mod triggers;

pub use event::{HealEvent, HealKind};
