//! The assistant. `ask` turns a sentence (English or Chinese) into one [`Intent`] of an
//! allowlist, deterministically and offline; the frontends show its reading and act only
//! after the user confirms a mutating one.

pub mod ask;
pub mod duration;
pub mod intent;
pub mod llm;
pub mod names;

pub use ask::{Answer, Vocabulary, ask};
pub use intent::{Intent, Lang};
