//! The help popup: every binding of every layer from the live keymap, then the `:` commands.

pub mod pane;
