//! Importers for Procfile and process-compose.yaml.

use std::path::Path;

use super::ConfigError;

/// The text of a `univers.yaml` equivalent to `path`.
pub fn import_file(_path: &Path, _workspace: &str) -> Result<String, ConfigError> {
    todo!("config helper")
}
