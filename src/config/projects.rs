//! The projects file (`~/.config/uc/projects.yaml`): the workspaces one user runs side by
//! side, shown together by `uc ps` and the TUI's overview. Each entry names a workspace
//! file and, optionally, the name the overview and `:ctx` use for it.
//!
//! ```yaml
//! workspaces:
//!   - path: /home/me/hvac-workbench/univers.yaml
//!   - path: /home/me/hvac-operation        # a directory holding univers.yaml
//!     name: operation
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{ConfigError, Problem, Source, values, with_source_lines, yaml_problem};

/// The file's name inside the user's uc config directory.
pub const PROJECTS_FILE: &str = "projects.yaml";

/// `$XDG_CONFIG_HOME/uc`, else `$HOME/.config/uc`; `None` when neither is set.
pub fn user_config_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("uc"))
}

/// Where the projects file is, whether or not it exists.
pub fn projects_file() -> Option<PathBuf> {
    user_config_dir().map(|d| d.join(PROJECTS_FILE))
}

/// One workspace of the projects file, its path made absolute and its name resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The name given in the file, else the workspace's own `workspace:` name.
    pub name: String,
    /// The workspace file (a directory in the file is taken as its `univers.yaml`).
    pub file: PathBuf,
    /// Whether the file gave the name (written back as is).
    pub named: bool,
}

impl Project {
    /// A workspace file or a directory holding one; the name defaults to the workspace's.
    pub fn at(path: &Path, name: Option<String>) -> Self {
        let file = workspace_file(path);
        let named = name.is_some();
        let name = name.unwrap_or_else(|| default_name(&file));
        Self { name, file, named }
    }

    pub fn source(&self) -> Source {
        Source::File(self.file.clone())
    }
}

/// A directory stands for the workspace file in it.
fn workspace_file(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if path.is_dir() {
        super::find_workspace_file(&path).unwrap_or_else(|| path.join(super::WORKSPACE_FILE))
    } else {
        path
    }
}

/// The workspace's `workspace:` name, read even from a file that does not validate; the
/// directory's name when the file cannot be read.
fn default_name(file: &Path) -> String {
    Source::File(file.to_path_buf())
        .workspace_name()
        .or_else(|| {
            file.parent()
                .and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "workspace".into())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectsFile {
    #[serde(default)]
    workspaces: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: Spanned<String>,
    #[serde(default)]
    name: Option<Spanned<String>>,
}

/// Read the projects file; a missing file is an empty list.
pub fn load_projects(file: &Path) -> Result<Vec<Project>, ConfigError> {
    match std::fs::read_to_string(file) {
        Ok(text) => parse_projects(&text, file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(ConfigError::Io {
            path: file.to_path_buf(),
            source,
        }),
    }
}

/// Parse the file's text; relative paths are read from the file's directory.
pub fn parse_projects(text: &str, file: &Path) -> Result<Vec<Project>, ConfigError> {
    let options = serde_saphyr::options! { with_snippet: false };
    let parsed: Result<Option<ProjectsFile>, _> =
        serde_saphyr::from_str_with_options(text, options);
    let entries = match parsed {
        Ok(parsed) => parsed.map(|p| p.workspaces).unwrap_or_default(),
        Err(err) => {
            return Err(ConfigError::Invalid {
                problems: with_source_lines(vec![yaml_problem(&err, file)], text),
            });
        }
    };
    let base = file.parent().unwrap_or(Path::new("."));
    let mut projects: Vec<Project> = Vec::new();
    let mut problems = Vec::new();
    for entry in entries {
        let report = |at: &serde_saphyr::Location, message: String, hint: Option<String>| {
            Problem::new(file, at.line(), at.column(), message, hint)
        };
        if entry.path.value.trim().is_empty() {
            let hint = Some("the workspace file or its directory".into());
            problems.push(report(&entry.path.referenced, "empty path".into(), hint));
            continue;
        }
        if let Some(name) = &entry.name
            && !values::is_name(&name.value)
        {
            let message = format!("invalid workspace name `{}`", name.value);
            let hint = Some("use only letters, digits, `_` and `-`".into());
            problems.push(report(&name.referenced, message, hint));
            continue;
        }
        let project = Project::at(
            &base.join(&entry.path.value),
            entry.name.as_ref().map(|n| n.value.clone()),
        );
        if projects.iter().any(|p| p.name == project.name) {
            let at = entry
                .name
                .as_ref()
                .map_or(&entry.path.referenced, |n| &n.referenced);
            let message = format!("a second workspace named `{}`", project.name);
            let hint = Some("give one of them another `name:`".into());
            problems.push(report(at, message, hint));
            continue;
        }
        projects.push(project);
    }
    if problems.is_empty() {
        Ok(projects)
    } else {
        Err(ConfigError::Invalid {
            problems: with_source_lines(problems, text),
        })
    }
}

/// The file's text for `projects`: what `uc project add` and `remove` write.
pub fn render_projects(projects: &[Project]) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| format!("'{s}'"));
    let mut text = String::from(
        "# The workspaces `uc ps` and the TUI's overview show (`uc project add PATH`).\nworkspaces:\n",
    );
    if projects.is_empty() {
        text = text.replace("workspaces:\n", "workspaces: []\n");
    }
    for project in projects {
        let path = project.file.to_string_lossy();
        text.push_str(&format!("  - path: {}\n", quote(&path)));
        if project.named {
            text.push_str(&format!("    name: {}\n", quote(&project.name)));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse_projects(text, Path::new("/p/projects.yaml")) {
            Ok(_) => vec![],
            Err(e) => e.problems().iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn names_default_to_the_workspace_and_paths_are_read_from_the_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let ws = dir.path().join("a");
        std::fs::create_dir_all(&ws).expect("dir");
        std::fs::write(ws.join("univers.yaml"), "workspace: alpha\nservices: {}\n").expect("ws");
        let file = dir.path().join("projects.yaml");
        let text = "workspaces:\n  - path: a\n  - path: b/univers.yaml\n    name: beta\n";
        let projects = parse_projects(text, &file).expect("parse");
        assert_eq!(projects[0].name, "alpha");
        assert_eq!(projects[0].file, ws.join("univers.yaml"));
        assert!(!projects[0].named);
        assert_eq!(projects[1].name, "beta");
        assert_eq!(
            parse_projects(&render_projects(&projects), &file).expect("again"),
            projects
        );
    }

    #[test]
    fn problems_name_the_line_and_column() {
        assert_eq!(
            problems("workspaces:\n  - path: /x\n    nmae: y\n"),
            ["/p/projects.yaml:3:5: unknown field `nmae` (did you mean `name`?)"]
        );
        assert_eq!(
            problems("workspaces:\n  - path: /x\n    name: a\n  - path: /y\n    name: a\n"),
            ["/p/projects.yaml:5:11: a second workspace named `a` \
                 (give one of them another `name:`)"]
        );
        assert_eq!(
            problems("workspaces:\n  - path: /x\n    name: a b\n"),
            [
                "/p/projects.yaml:3:11: invalid workspace name `a b` (use only letters, digits, `_` and `-`)"
            ]
        );
        assert!(problems("").is_empty());
    }
}
