//! The ratatui frontend: a pure function of its state, fed by an [`EngineLink`].

pub mod action;
pub mod keymap;
pub mod keys;
pub mod link;
mod suggest;
pub mod theme;

pub use link::{EngineLink, Request, Update};
