//! The ratatui frontend: a pure function of its state, fed by an [`EngineLink`].
//!
//! [`run`] owns the terminal and the event loop; [`App`] holds the state, routes keys to
//! [`Action`]s (popup > pane > global) and turns them into [`Request`]s. Keys come from
//! `configs/keymap.yaml` merged with the user's file ([`Keymap::load`]), colours from
//! `themes/*.toml` ([`Theme::load`]).
//!
//! A feature lives in one folder: its state, its keys (the `impl App` that turns its actions
//! into state changes and requests) and its panes. What every screen shares (the header,
//! footer, banner, status line, confirm and text dialogs) is in [`chrome`].

mod access;
pub mod action;
mod app;
pub mod chrome;
pub mod keymap;
pub mod keys;
pub mod link;
pub mod screen;
pub mod state;
pub mod theme;

mod input;
mod options;
mod suggest;
mod terminal;

pub mod alerts;
pub mod assistant;
pub mod audit;
pub mod command_line;
pub mod config;
pub mod deploys;
pub mod graphs;
pub mod heal;
pub mod help;
pub mod logs;
pub mod overview;
pub mod services;
pub mod silences;

pub use action::Action;
pub use app::App;
pub use keymap::{Keymap, KeymapError, Layer};
pub use link::{ConfigQuery, EngineLink, Request, Update};
pub use options::{OptionsError, UiOptions};
pub use terminal::{restore, run};
pub use theme::{Theme, ThemeError};
