//! The ratatui frontend: a pure function of its state, fed by an [`EngineLink`].

pub mod link;

pub use link::{EngineLink, Request, Update};
