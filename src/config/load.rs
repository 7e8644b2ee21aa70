use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde_saphyr::{Error as YamlError, MessageFormatter, UserMessageFormatter};

use super::effective::{Input, Overlays, run};
use super::{ConfigError, Problem, Workspace, suggest};

/// `univers.yaml` in `dir`, if there is one.
pub fn find_workspace_file(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(super::WORKSPACE_FILE);
    path.is_file().then_some(path)
}

/// Read, parse and validate a workspace file in its default environment.
pub fn load_file(path: &Path) -> Result<Workspace, ConfigError> {
    super::load_env(path, None).map(|loaded| loaded.workspace)
}

/// Parse and validate YAML text in its default environment; `file` names the source in
/// errors. Relative paths (`cwd`, overlays) are resolved against `dir`, made absolute first.
pub fn load_str(text: &str, file: &Path, dir: &Path) -> Result<Workspace, ConfigError> {
    let dir = absolute(dir);
    let input = Input {
        text,
        file,
        dir: &dir,
        env: None,
        overlays: Overlays::Disk,
    };
    run(&input).0.map(|loaded| loaded.workspace)
}

/// `Path::parent` of a bare file name is `""`, which is no place to start a process in.
pub(crate) fn absolute(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// A serde-saphyr error as a problem, with a suggestion when a name was misspelt.
pub(crate) fn yaml_problem(err: &YamlError, file: &Path) -> Problem {
    let err = err.without_snippet();
    let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
    let (message, hint) = match err {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => (
            format!("unknown field `{field}`"),
            suggest::hint(field, expected),
        ),
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            format!("unknown value `{variant}`"),
            suggest::hint(variant, expected),
        ),
        YamlError::Eof { .. } => (
            "unexpected end of file".to_owned(),
            Some("a workspace file starts with `workspace: <name>`".to_owned()),
        ),
        YamlError::Unexpected { expected, .. } => {
            (format!("expected {}", node_kind(expected)), None)
        }
        YamlError::InvalidScalar { ty, .. } => (format!("expected {}", scalar_kind(ty)), None),
        other => (plain_message(other), None),
    };
    Problem::new(file, line, column, message, hint)
}

/// serde-saphyr's parser event names in the words of someone writing YAML.
fn node_kind(expected: &str) -> &str {
    match expected {
        "mapping start" => "a mapping (`key: value` lines)",
        "sequence start" => "a list",
        "string scalar" => "a string",
        other => other,
    }
}

/// What a Rust scalar type means to someone writing YAML.
fn scalar_kind(ty: &str) -> String {
    match ty {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" | "floating point" => "a number".to_owned(),
        "bool" | "boolean" => "`true` or `false`".to_owned(),
        _ => format!("a value of type {ty}"),
    }
}

/// The message without serde-saphyr's location suffix, safe to print on a terminal.
fn plain_message(err: &YamlError) -> String {
    let message = UserMessageFormatter.format_message(err);
    if message.chars().any(char::is_control) {
        message.escape_debug().to_string()
    } else {
        Cow::into_owned(message)
    }
}

pub(crate) fn with_source_lines(mut problems: Vec<Problem>, text: &str) -> Vec<Problem> {
    for problem in &mut problems {
        let index = usize::try_from(problem.line)
            .ok()
            .and_then(|l| l.checked_sub(1));
        problem.source_line = index
            .and_then(|i| text.lines().nth(i))
            .map(|line| line.trim_end().to_owned());
    }
    problems
}
