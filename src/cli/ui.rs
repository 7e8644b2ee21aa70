//! `uc` (no subcommand) and `uc tui`: the TUI and its glue to the engine and tmux.

use std::process::ExitCode;

use super::{Cli, CliResult};
use crate::engine::Source;

pub async fn main(_cli: &Cli, _source: Source) -> CliResult {
    Ok(ExitCode::SUCCESS)
}

pub async fn in_terminal(_cli: &Cli, _source: Source) -> CliResult {
    Ok(ExitCode::SUCCESS)
}
