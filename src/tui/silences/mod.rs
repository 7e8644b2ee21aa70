//! Silences: the list (the soonest to end first), the popup that creates one, and the keys
//! that open it, move through it and expire a silence.

pub mod form;
pub mod pane;
pub mod popup;
