//! The `logs:` section and services' `logs:` lists: source names, globs, commands and
//! retention sizes.

use std::path::Path;

use serde_saphyr::Spanned;

use super::super::schema::{LogsSpec, RetentionSpec, WorkspaceFile};
use super::super::values;
use super::super::{LogInput, LogSettings, LogSource, Retention};
use super::{Checker, NAME_RULE};

impl Checker<'_> {
    pub(super) fn logs(&mut self, spec: &WorkspaceFile, dir: &Path) -> LogSettings {
        let mut sources = Vec::new();
        for (name, service) in &spec.services {
            if !service.logs.is_empty() {
                let files = self.globs(&service.logs, dir);
                sources.push(LogSource {
                    name: name.value.clone(),
                    input: LogInput::Files(files),
                });
            }
        }
        let Some(logs) = spec.logs.as_ref() else {
            return LogSettings {
                sources,
                retention: Retention::default(),
            };
        };
        self.workspace_sources(logs, dir, &mut sources);
        LogSettings {
            sources,
            retention: self.retention(logs.retention.as_ref()),
        }
    }

    fn workspace_sources(&mut self, logs: &LogsSpec, dir: &Path, sources: &mut Vec<LogSource>) {
        for (name, globs) in &logs.files {
            self.source_name(name);
            if globs.is_empty() {
                let message = format!("log source `{}` names no files", name.value);
                let hint = Some("write e.g. `[./logs/*.log]`".to_owned());
                self.report(&name.referenced, message, hint);
            }
            let files = self.globs(globs, dir);
            sources.push(LogSource {
                name: name.value.clone(),
                input: LogInput::Files(files),
            });
        }
        for (name, command) in &logs.commands {
            self.source_name(name);
            if logs.files.keys().any(|f| f.value == name.value) {
                let message = format!("log source `{}` is both files and a command", name.value);
                self.report(&name.referenced, message, None);
            }
            if command.value.trim().is_empty() {
                let message = format!("log source `{}` has an empty command", name.value);
                self.report(&command.referenced, message, None);
            }
            let env = self
                .bindings
                .get(&format!("logs.commands.{}", name.value))
                .map(|b| {
                    b.refs
                        .iter()
                        .map(|r| (r.name.clone(), r.value.clone()))
                        .collect()
                })
                .unwrap_or_default();
            sources.push(LogSource {
                name: name.value.clone(),
                input: LogInput::Command {
                    command: command.value.clone(),
                    cwd: dir.to_path_buf(),
                    env,
                },
            });
        }
    }

    fn source_name(&mut self, name: &Spanned<String>) {
        if !values::is_name(&name.value) {
            let message = format!("invalid log source name `{}`", name.value);
            self.report(&name.referenced, message, Some(NAME_RULE.to_owned()));
        }
    }

    /// Absolute paths; a pattern that cannot be a glob is reported where it was written.
    fn globs(&mut self, globs: &[Spanned<String>], dir: &Path) -> Vec<std::path::PathBuf> {
        globs
            .iter()
            .filter_map(|glob| match values::log_glob(&glob.value) {
                Ok(()) => Some(super::resolve_cwd(dir, Some(Path::new(&glob.value)))),
                Err(rejected) => {
                    self.reject(&glob.referenced, rejected);
                    None
                }
            })
            .collect()
    }

    fn retention(&mut self, spec: Option<&RetentionSpec>) -> Retention {
        let default = Retention::default();
        let Some(spec) = spec else {
            return default;
        };
        let retention = Retention {
            size: self.parse(spec.size.as_ref(), values::size, default.size),
            age: self.parse(spec.age.as_ref(), values::duration, default.age),
            segment: self.parse(spec.segment.as_ref(), values::size, default.segment),
        };
        if let Some(segment) = &spec.segment
            && retention.segment > retention.size
        {
            let message = "a log segment larger than the retention size";
            let hint = Some("make `segment` at most `size`".to_owned());
            self.report(&segment.referenced, message, hint);
        }
        retention
    }
}
