//! `uc import`: turns a Procfile (Overmind, foreman) or a process-compose.yaml into the
//! text of an equivalent `univers.yaml`, listing what could not be carried over as comments
//! at the top so nothing is lost silently.

mod process_compose;
mod procfile;

use std::path::Path;

use indexmap::IndexMap;
use serde_saphyr::Spanned;

use super::schema::{ServiceSpec, WorkspaceFile, unspanned};
use super::{ConfigError, Problem, load_str};

pub(crate) use super::interpolate::escape;

/// The YAML text of a `univers.yaml` named `workspace` equivalent to the file at `path`.
/// The format is taken from the file name (`Procfile*`, `*.yaml`, `*.yml`), else guessed
/// from the content.
pub fn import_file(path: &Path, workspace: &str) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let imported = match detect(path, &text) {
        Format::Procfile => procfile::import(&text, path),
        Format::ProcessCompose => process_compose::import(&text, path),
    }
    .map_err(|problems| ConfigError::Invalid { problems })?;
    let yaml = render(path, workspace, imported)?;
    // An importer bug must not hand the user a file that `uc` then rejects.
    let dir = path.parent().unwrap_or(Path::new("."));
    load_str(&yaml, Path::new(super::WORKSPACE_FILE), dir)?;
    Ok(yaml)
}

/// Services converted from another tool, and notes on what did not carry over.
#[derive(Debug, Default)]
struct Imported {
    services: IndexMap<Spanned<String>, ServiceSpec>,
    notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Procfile,
    ProcessCompose,
}

fn detect(path: &Path, text: &str) -> Format {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let yaml_name = name.ends_with(".yaml") || name.ends_with(".yml");
    let compose_text = || text.lines().any(|l| l.trim_end() == "processes:");
    if !name.starts_with("Procfile") && (yaml_name || compose_text()) {
        Format::ProcessCompose
    } else {
        Format::Procfile
    }
}

fn render(path: &Path, workspace: &str, mut imported: Imported) -> Result<String, ConfigError> {
    let name = service_name(workspace);
    if name != workspace {
        imported
            .notes
            .push(format!("workspace `{workspace}` renamed to `{name}`"));
    }
    let file = WorkspaceFile {
        workspace: unspanned(name),
        environments: None,
        vars: IndexMap::new(),
        secrets: None,
        theme: None,
        services: imported.services,
        metrics: None,
        alerts: None,
        logs: None,
        webhooks: None,
        access: None,
        quotas: None,
        assistant: None,
    };
    let body = serde_saphyr::to_string(&file).map_err(|err| ConfigError::Invalid {
        problems: vec![Problem::new(
            path,
            0,
            0,
            format!("cannot write YAML: {err}"),
            None,
        )],
    })?;
    let source = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    let mut out = format!("# Imported from {source} by `uc import`.\n");
    for note in &imported.notes {
        out.push_str(&format!("# {note}\n"));
    }
    out.push('\n');
    out.push_str(&body);
    Ok(out)
}

/// `name` with every character a tmux window or file name should not carry replaced by `-`.
fn service_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "imported".to_owned()
    } else {
        cleaned
    }
}

fn bare_service(command: String) -> ServiceSpec {
    ServiceSpec {
        command: unspanned(escape(&command)),
        cwd: None,
        ports: Vec::new(),
        env: IndexMap::new(),
        depends_on: Default::default(),
        tags: Vec::new(),
        stop: None,
        restart: None,
        health: None,
        readiness: None,
        liveness: None,
        max_memory: None,
        watch: None,
        cron_restart: None,
        logs: Vec::new(),
        deploy: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_format() {
        let yaml = "processes:\n  a:\n    command: x\n";
        assert_eq!(detect(Path::new("Procfile.dev"), yaml), Format::Procfile);
        assert_eq!(detect(Path::new("pc.yml"), ""), Format::ProcessCompose);
        assert_eq!(detect(Path::new("procs"), yaml), Format::ProcessCompose);
        assert_eq!(detect(Path::new("procs"), "web: x\n"), Format::Procfile);
    }

    #[test]
    fn cleans_names() {
        assert_eq!(service_name("api.v2"), "api-v2");
        assert_eq!(service_name(" my app "), "my-app");
        assert_eq!(service_name(""), "imported");
    }
}
