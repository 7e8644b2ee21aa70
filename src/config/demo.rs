use std::path::Path;

use super::{ConfigError, Workspace, load_str};

/// The built-in demo workspace, also shipped as `configs/demo/univers.yaml`.
pub const DEMO_YAML: &str = include_str!("../../configs/demo/univers.yaml");

/// Names the embedded file in problems; they can only come from editing it.
const DEMO_FILE: &str = "configs/demo/univers.yaml";

/// The demo workspace with relative paths resolved against `dir`.
///
/// Fallible only in principle: the embedded file is checked by the tests, but a bug there
/// should reach the user as an error, not a panic.
pub fn demo_workspace(dir: &Path) -> Result<Workspace, ConfigError> {
    let workspace = load_str(DEMO_YAML, Path::new(DEMO_FILE), dir)?;
    Ok(Workspace {
        file: None,
        alerts: super::AlertSettings {
            builtin: super::BuiltinRules::Demo,
            ..workspace.alerts
        },
        ..workspace
    })
}
