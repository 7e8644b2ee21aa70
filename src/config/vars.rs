//! Values for `${VAR}`: the process environment, then the environment's env files, then
//! `vars:`. And `${secret:name}` from a secrets file only its owner can read. The first
//! two are outside the YAML, so their values are secrets (see [`super::interpolate`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::interpolate::{Failure, Lookup, Var};
use super::schema::EnvValue;
use super::suggest;
use super::tree::{Found, Kind, Node};

/// Looked up next to the workspace file when neither the environment nor the file say.
pub const SECRETS_FILE: &str = "configs/secrets.yaml";

pub(crate) struct Vars {
    files: HashMap<String, String>,
    vars: HashMap<String, String>,
    secrets: Secrets,
    /// Variables that commands read their values from, with those values.
    names: HashMap<String, String>,
}

impl Vars {
    pub fn new(secrets: PathBuf) -> Self {
        Self {
            files: HashMap::new(),
            vars: HashMap::new(),
            secrets: Secrets {
                path: secrets,
                loaded: None,
            },
            names: HashMap::new(),
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

    /// Reads a `.env` file; later files win over earlier ones. A line that does not parse
    /// is named by its number, never quoted: it may hold a secret.
    pub fn add_env_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        for item in dotenvy::from_read_iter(text.as_bytes()) {
            let (key, value) = item.map_err(|e| match e {
                dotenvy::Error::LineParse(line, _) => {
                    let number = line_number(&text, &line)
                        .map_or_else(String::new, |n| format!("line {n} "));
                    format!("{number}is not `NAME=value`")
                }
                other => other.to_string(),
            })?;
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

/// The 1-based number of the line of `text` where `rest` (what the parser had left) starts.
fn line_number(text: &str, rest: &str) -> Option<usize> {
    let first = rest.lines().next().filter(|l| !l.trim().is_empty())?;
    let at = text.find(first)?;
    Some(text[..at].matches('\n').count() + 1)
}

impl Lookup for Vars {
    fn var(&self, name: &str) -> Option<Var> {
        let outside = |value: String| Var {
            value,
            outside: true,
        };
        if let Ok(value) = std::env::var(name) {
            return Some(outside(value));
        }
        if let Some(value) = self.files.get(name) {
            return Some(outside(value.clone()));
        }
        self.vars.get(name).map(|value| Var {
            value: value.clone(),
            outside: false,
        })
    }

    fn env_name(&mut self, base: &str, value: &str) -> String {
        let mut n = 1;
        loop {
            let name = match n {
                1 => base.to_owned(),
                _ => format!("{base}_{n}"),
            };
            match self.names.get(&name) {
                Some(other) if other != value => n += 1,
                Some(_) => return name,
                None => {
                    self.names.insert(name.clone(), value.to_owned());
                    return name;
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_env_file_line_is_named_by_its_number_not_quoted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(".env");
        std::fs::write(&file, "A=1\n# note\nTOKEN=\"hunter2\n").expect("write");
        let mut vars = Vars::new(dir.path().join("secrets.yaml"));
        let err = vars.add_env_file(&file).expect_err("unclosed quote");
        assert_eq!(err, "line 3 is not `NAME=value`");
    }
}
