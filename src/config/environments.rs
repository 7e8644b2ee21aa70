//! `environments:` in `univers.yaml`: a list of names, or a map of name to settings (overlay
//! file, env files, secrets file, theme, confirm). The first is the default.

use std::path::{Path, PathBuf};

use super::suggest;
use super::tree::{Found, Kind, Node, Origin};
use super::{ConfigError, Environment, Problem};

/// Where an environment's overlay lives when `file:` does not say.
pub const OVERLAY_DIR: &str = "configs/environments";

/// One declared environment and where its settings were written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Declared {
    pub environment: Environment,
    pub at: Origin,
    pub file: Option<Setting>,
    pub env_files: Vec<Setting>,
    pub secrets: Option<Setting>,
}

/// A path as written, with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Setting {
    pub value: String,
    pub at: Origin,
}

const KEYS: [&str; 5] = ["file", "env_files", "secrets", "theme", "confirm"];

/// The environments declared at the top of `root`, reporting malformed ones.
pub(crate) fn declared(root: Option<&Node>, found: &mut Vec<Found>) -> Vec<Declared> {
    let Some(entry) = root.and_then(|r| r.get("environments")) else {
        return Vec::new();
    };
    let node = &entry.value;
    match &node.kind {
        Kind::Seq { items, .. } => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item.as_str() {
                Some(name) => Some(plain(name, item.at)),
                None => {
                    let path = format!("environments[{i}]");
                    found.push(Found::error(
                        item.at,
                        &path,
                        "expected an environment name",
                        None,
                    ));
                    None
                }
            })
            .collect(),
        Kind::Map { entries, .. } => entries
            .iter()
            .map(|e| settings(&e.key.name, e.key.at, &e.value, found))
            .collect(),
        Kind::Scalar(_) if node.is_null() => Vec::new(),
        Kind::Scalar(_) => {
            let hint = Some("write `environments: [dev, prod]`".to_owned());
            found.push(Found::error(
                node.at,
                "environments",
                "expected a list or a map of environments",
                hint,
            ));
            Vec::new()
        }
    }
}

fn plain(name: &str, at: Origin) -> Declared {
    Declared {
        environment: Environment {
            name: name.to_owned(),
            theme: None,
            confirm: confirms_by_default(name),
        },
        at,
        file: None,
        env_files: Vec::new(),
        secrets: None,
    }
}

/// Production is the environment people should not switch to by accident.
fn confirms_by_default(name: &str) -> bool {
    matches!(name, "prod" | "production")
}

fn settings(name: &str, at: Origin, node: &Node, found: &mut Vec<Found>) -> Declared {
    let mut declared = plain(name, at);
    if node.is_null() {
        return declared;
    }
    let base = format!("environments.{name}");
    let Some(entries) = node.entries() else {
        found.push(Found::error(
            node.at,
            &base,
            "expected a map of settings",
            None,
        ));
        return declared;
    };
    for entry in entries {
        let path = format!("{base}.{}", entry.key.name);
        let value = &entry.value;
        match entry.key.name.as_str() {
            "file" => declared.file = setting(value, &path, "a path", found),
            "secrets" => declared.secrets = setting(value, &path, "a path", found),
            "theme" => {
                let theme = setting(value, &path, "a theme name", found);
                declared.environment.theme = theme.map(|t| t.value);
            }
            "confirm" => match value.as_str() {
                Some("true") => declared.environment.confirm = true,
                Some("false") => declared.environment.confirm = false,
                _ => found.push(Found::error(
                    value.at,
                    &path,
                    "expected `true` or `false`",
                    None,
                )),
            },
            "env_files" => declared.env_files = env_files(value, &path, found),
            other => {
                let message = format!("unknown field `{other}`");
                let hint = suggest::hint(other, &KEYS);
                found.push(Found::error(entry.key.at, &path, message, hint));
            }
        }
    }
    declared
}

/// A scalar setting, or a problem saying what was expected.
fn setting(value: &Node, path: &str, what: &str, found: &mut Vec<Found>) -> Option<Setting> {
    let setting = value.as_str().map(|v| Setting {
        value: v.to_owned(),
        at: value.at,
    });
    if setting.is_none() {
        found.push(Found::error(
            value.at,
            path,
            format!("expected {what}"),
            None,
        ));
    }
    setting
}

/// A list of paths, or one path.
fn env_files(node: &Node, path: &str, found: &mut Vec<Found>) -> Vec<Setting> {
    let items: Vec<&Node> = match &node.kind {
        Kind::Seq { items, .. } => items.iter().collect(),
        _ => vec![node],
    };
    items
        .into_iter()
        .filter_map(|item| setting(item, path, "a path", found))
        .collect()
}

/// The environment named `wanted`, or the first one; an unknown name is an error at the
/// `environments` key, with the nearest name as a hint.
pub(crate) fn select<'a>(
    declared: &'a [Declared],
    wanted: Option<&str>,
    root: Option<&Node>,
    file: &Path,
) -> Result<Option<&'a Declared>, ConfigError> {
    let Some(wanted) = wanted else {
        return Ok(declared.first());
    };
    if let Some(found) = declared.iter().find(|d| d.environment.name == wanted) {
        return Ok(Some(found));
    }
    let names: Vec<&str> = declared
        .iter()
        .map(|d| d.environment.name.as_str())
        .collect();
    let at = root.and_then(|r| r.get("environments")).map(|e| e.key.at);
    let (message, hint) = if names.is_empty() {
        (
            format!("unknown environment `{wanted}`: the workspace declares no `environments`"),
            Some("add `environments: [dev, prod]` to the workspace file".to_owned()),
        )
    } else {
        (
            format!("unknown environment `{wanted}`"),
            suggest::hint(wanted, &names),
        )
    };
    let at = at.unwrap_or(Origin {
        file: 0,
        line: 1,
        column: 1,
    });
    let mut problem = Problem::new(file, at.line, at.column, message, hint);
    problem.path = "environments".to_owned();
    Err(ConfigError::Invalid {
        problems: vec![problem],
    })
}

/// The overlay file of `env`, and the position of `file:` when it was named explicitly.
pub(crate) fn overlay_path(dir: &Path, env: &Declared) -> (PathBuf, Option<Origin>) {
    match &env.file {
        Some(file) => (dir.join(&file.value), Some(file.at)),
        None => (
            dir.join(OVERLAY_DIR)
                .join(format!("{}.yaml", env.environment.name)),
            None,
        ),
    }
}

/// Keys an overlay may not set: they define which environments there are.
pub(crate) fn check_overlay(overlay: &Node, found: &mut Vec<Found>) {
    let Some(entries) = overlay.entries() else {
        if !overlay.is_null() {
            let hint = Some("an overlay holds workspace keys, e.g. `services:`".to_owned());
            found.push(Found::error(overlay.at, "", "expected a map", hint));
        }
        return;
    };
    for entry in entries {
        let name = entry.key.name.as_str();
        if matches!(name, "workspace" | "environments") {
            let message = format!("an environment overlay cannot set `{name}`");
            let hint = Some("set it in the workspace file".to_owned());
            found.push(Found::error(entry.key.at, name, message, hint));
        }
    }
}
