//! Self-healing: probes, restart policies and triggers, clean-up playbooks, and the events
//! that record what was done.

mod child;
pub mod event;
pub mod output;
pub mod playbook;
mod playbooks;
pub mod probe;
mod recorder;
pub mod restart;
pub mod triggers;

pub use event::{HealEvent, HealKind};
pub use playbooks::{EditRefused, PlaybookInfo, PlaybookList, PlaybookSource, Playbooks};
pub use recorder::spawn_recorder;
