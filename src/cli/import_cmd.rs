//! `uc import Procfile|process-compose.yaml`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::anyhow;

use super::output::outln;
use super::{CliResult, Failure};

pub fn run(from: &Path, output: &Path, name: Option<&str>, force: bool) -> CliResult {
    if output.exists() && !force {
        return Err(Failure::input(anyhow!(
            "{} exists; pass --force to overwrite it",
            output.display()
        )));
    }
    let name = match name {
        Some(n) => n.to_string(),
        None => default_name(output),
    };
    let yaml = crate::config::import::import_file(from, &name).map_err(Failure::input)?;
    std::fs::write(output, yaml)
        .map_err(|e| Failure::runtime(anyhow!("cannot write {}: {e}", output.display())))?;
    outln!("wrote {} from {}", output.display(), from.display())?;
    Ok(ExitCode::SUCCESS)
}

/// The directory the workspace file lands in names the workspace.
fn default_name(output: &Path) -> String {
    std::path::absolute(output)
        .ok()
        .and_then(|p| {
            p.parent()?
                .file_name()?
                .to_str()
                .map(crate::paths::sanitize)
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "workspace".into())
}
