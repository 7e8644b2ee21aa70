//! The ratatui frontend: a pure function of its state, fed by an [`EngineLink`].
//!
//! [`run`] owns the terminal and the event loop; [`App`] holds the state, routes keys to
//! [`Action`]s (popup > pane > global) and turns them into [`Request`]s. Keys come from
//! `configs/keymap.yaml` merged with the user's file ([`Keymap::load`]), colours from
//! `themes/*.toml` ([`Theme::load`]).

pub mod action;
pub mod alerts;
mod app;
mod cmdline;
pub mod config;
pub mod graphs;
pub mod heal;
mod input;
pub mod keymap;
pub mod keys;
pub mod link;
pub mod logs;
mod options;
pub mod panes;
pub mod playbook;
pub mod progress;
pub mod silence_form;
pub mod state;
mod suggest;
mod terminal;
pub mod theme;

pub use action::Action;
pub use app::App;
pub use keymap::{Keymap, KeymapError, Layer};
pub use link::{ConfigQuery, EngineLink, Request, Update};
pub use options::{OptionsError, UiOptions};
pub use terminal::{restore, run};
pub use theme::{Theme, ThemeError};
