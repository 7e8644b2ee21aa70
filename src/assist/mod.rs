//! The assistant. `ask` turns a sentence (English or Chinese) into one [`Intent`] of an
//! allowlist, deterministically and offline; the frontends show its reading and act only
//! after the user confirms a mutating one. `doctor` diagnoses: analyzers over the engine's
//! state and files, each finding with its evidence and allowlisted actions (`finding`).

pub mod ask;
pub mod doctor;
pub mod duration;
pub mod finding;
pub mod intent;
pub mod llm;
pub mod names;

pub use ask::{Answer, Vocabulary, ask};
pub use finding::{Diagnosis, Finding};
pub use intent::{Intent, Lang};
