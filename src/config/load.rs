use std::path::{Path, PathBuf};

use super::{ConfigError, Workspace};

/// `univers.yaml` in `dir`, if there is one.
pub fn find_workspace_file(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(super::WORKSPACE_FILE);
    path.is_file().then_some(path)
}

/// Read, parse and validate a workspace file.
pub fn load_file(path: &Path) -> Result<Workspace, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    load_str(&text, path, &dir)
}

/// Parse and validate YAML text; `file` is only used to name the source in errors.
pub fn load_str(_text: &str, _file: &Path, _dir: &Path) -> Result<Workspace, ConfigError> {
    todo!("config helper")
}
