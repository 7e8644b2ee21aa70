//! `uc config check`.

use std::process::ExitCode;

use super::{CliResult, load};
use crate::engine::Source;

pub fn check(source: &Source) -> CliResult {
    let (ws, _) = load(source)?;
    let file = ws
        .file
        .as_ref()
        .map_or_else(|| "built-in demo".to_string(), |f| f.display().to_string());
    println!(
        "{file}: ok — workspace `{}`, {} service{}",
        ws.name,
        ws.services.len(),
        if ws.services.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}
