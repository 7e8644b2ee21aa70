//! Values for `${VAR}`: the process environment, then the environment's env files, then
//! `vars:`. And `${secret:name}` from a secrets file only its owner can read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::interpolate::{Failure, Lookup};
use super::schema::EnvValue;
use super::suggest;
use super::tree::{Found, Kind, Node};

/// Looked up next to the workspace file when neither the environment nor the file say.
pub const SECRETS_FILE: &str = "configs/secrets.yaml";

pub(crate) struct Vars {
    /// Off when re-loading a stored effective config: it was interpolated already.
    process: bool,
    files: HashMap<String, String>,
    vars: HashMap<String, String>,
    secrets: Secrets,
}

impl Vars {
    pub fn new(process: bool, secrets: PathBuf) -> Self {
        Self {
            process,
            files: HashMap::new(),
            vars: HashMap::new(),
            secrets: Secrets {
                path: secrets,
                loaded: None,
            },
        }
    }

    /// `vars:` as taken out of the merged tree: a map of scalars.
    pub fn set_vars(&mut self, node: &Node, found: &mut Vec<Found>) {
        let Some(entries) = node.entries() else {
            if !node.is_null() {
                found.push(Found::error(
                    node.at,
                    "vars",
                    "expected a map of NAME: value",
                    None,
                ));
            }
            return;
        };
        for entry in entries {
            match &entry.value.kind {
                Kind::Scalar(s) => {
                    self.vars.insert(entry.key.name.clone(), s.value.clone());
                }
                _ => {
                    let path = format!("vars.{}", entry.key.name);
                    found.push(Found::error(
                        entry.value.at,
                        &path,
                        "expected a string or number",
                        None,
                    ));
                }
            }
        }
    }

    /// Reads a `.env` file; later files win over earlier ones.
    pub fn add_env_file(&mut self, path: &Path) -> Result<(), String> {
        let iter = dotenvy::from_path_iter(path).map_err(|e| e.to_string())?;
        for item in iter {
            let (key, value) = item.map_err(|e| e.to_string())?;
            self.files.insert(key, value);
        }
        Ok(())
    }

    /// The secrets file, if a `${secret:...}` made it read.
    pub fn secrets_read(&self) -> Option<&Path> {
        self.secrets
            .loaded
            .as_ref()
            .map(|_| self.secrets.path.as_path())
    }
}

impl Lookup for Vars {
    fn var(&self, name: &str) -> Option<String> {
        let process = self.process.then(|| std::env::var(name).ok()).flatten();
        process
            .or_else(|| self.files.get(name).cloned())
            .or_else(|| self.vars.get(name).cloned())
    }

    fn secret(&mut self, name: &str) -> Result<String, Failure> {
        let path = self.secrets.path.clone();
        let secrets = self
            .secrets
            .loaded
            .get_or_insert_with(|| read_secrets(&path));
        let secrets = secrets.as_ref().map_err(Clone::clone)?;
        secrets.get(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = secrets.keys().map(String::as_str).collect();
            let hint = suggest::closest(name, names.iter().copied())
                .map(|best| format!("did you mean `{best}`?"))
                .or_else(|| Some(format!("add `{name}: ...` to {}", path.display())));
            Failure::new(format!("unknown secret `{name}`"), hint)
        })
    }
}

struct Secrets {
    path: PathBuf,
    /// Read on the first `${secret:...}`.
    loaded: Option<Result<IndexMap<String, String>, Failure>>,
}

/// A map of name to value, refused when group or others may read it.
fn read_secrets(path: &Path) -> Result<IndexMap<String, String>, Failure> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        Failure::new(
            format!("cannot read secrets file {shown}: {e}"),
            Some(format!(
                "create it with `{{name}}: value` lines and `chmod 600 {shown}`"
            )),
        )
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let message = format!(
            "refusing to read secrets file {shown}: its mode {mode:o} lets other users read it"
        );
        return Err(Failure::new(message, Some(format!("chmod 600 {shown}"))));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new(format!("cannot read secrets file {shown}: {e}"), None))?;
    // The parser's message could quote a value; say only where the problem is.
    let map: IndexMap<String, EnvValue> = serde_saphyr::from_str(&text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        Failure::new(
            format!("secrets file {shown} is not a map of name: value (line {line})"),
            None,
        )
    })?;
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, v.to_env_string()))
        .collect())
}
