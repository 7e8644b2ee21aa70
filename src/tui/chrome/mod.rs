//! What every screen shares around the focused pane: the header, the banner under it, the
//! status line (or the input line while typing), the footer, and the confirm and text
//! dialogs.

pub mod banner;
pub mod confirm;
pub mod footer;
pub mod header;
pub mod input_line;
pub mod status;
pub mod text_dialog;
