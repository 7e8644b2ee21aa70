//! The `:` command line: parsing and completing a line, the command list the help pane
//! shows, and running what it says.

mod keys;
pub mod parse;
