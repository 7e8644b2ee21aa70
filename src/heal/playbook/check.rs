//! Turns a playbook file as written into a [`Playbook`], collecting every problem with its
//! place. Paths are checked here by their text; symlinks are checked when the playbook runs.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use globset::{GlobBuilder, GlobMatcher};
use serde_saphyr::{Location, Spanned};

use super::files::FileStep;
use super::spec::{DeleteSpec, PlaybookFile, RotateSpec, RunSpec, StepSpec, TruncateSpec};
use super::{Playbook, Step, StepKind, paths};
use crate::config::Problem;
use crate::config::values::{self, Rejected};

/// How long a `run` step may take when it names no `timeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Rotated copies kept when a `rotate` step names no `keep`.
const DEFAULT_KEEP: u32 = 5;

/// Where the playbook came from and what its relative paths are relative to.
pub(super) struct Source<'a> {
    pub name: &'a str,
    pub file: &'a Path,
    pub workspace_dir: &'a Path,
    pub home: Option<&'a Path>,
}

pub(super) fn check(spec: PlaybookFile, source: &Source) -> Result<Playbook, Vec<Problem>> {
    let mut checker = Checker {
        source,
        roots: Vec::new(),
        problems: Vec::new(),
    };
    checker.roots = spec.roots.iter().filter_map(|r| checker.root(r)).collect();
    let steps: Vec<Step> = spec.steps.iter().filter_map(|s| checker.step(s)).collect();
    if !checker.problems.is_empty() {
        checker.problems.sort_by_key(|p| (p.line, p.column));
        return Err(checker.problems);
    }
    Ok(Playbook {
        name: source.name.to_owned(),
        description: spec.description,
        file: source.file.to_path_buf(),
        workspace_dir: source.workspace_dir.to_path_buf(),
        roots: checker.roots,
        steps,
        stop_on_error: spec.stop_on_error,
    })
}

struct Checker<'a> {
    source: &'a Source<'a>,
    roots: Vec<PathBuf>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, at: &Location, message: impl Into<String>, hint: Option<String>) {
        let problem = Problem::new(self.source.file, at.line(), at.column(), message, hint);
        self.problems.push(problem);
    }

    fn reject(&mut self, at: &Location, rejected: Rejected) {
        self.report(at, rejected.message, rejected.hint);
    }

    fn root(&mut self, text: &Spanned<String>) -> Option<PathBuf> {
        if text.value.trim().is_empty() {
            let hint = "name a directory, e.g. `./tmp`".to_owned();
            self.report(&text.referenced, "empty root", Some(hint));
            return None;
        }
        let root = paths::lexical(&text.value, self.source.workspace_dir);
        if let Some(why) = paths::too_wide(&root, self.source.home) {
            let hint = "name the directory the playbook cleans, e.g. `./logs`".to_owned();
            self.report(&text.referenced, format!("refused root: {why}"), Some(hint));
            return None;
        }
        Some(root)
    }

    fn step(&mut self, step: &Spanned<StepSpec>) -> Option<Step> {
        let (label, kind) = match &step.value {
            StepSpec::Delete(spec) => self.delete(spec)?,
            StepSpec::Truncate(spec) => self.truncate(spec)?,
            StepSpec::Rotate(spec) => self.rotate(spec)?,
            StepSpec::Run(spec) => self.run(spec)?,
            StepSpec::Restart(service) => self.restart(service)?,
        };
        Some(Step { label, kind })
    }

    fn delete(&mut self, spec: &DeleteSpec) -> Option<(String, StepKind)> {
        let under = self.path(&spec.under, "under");
        let pattern = self.pattern(&spec.pattern);
        let older_than = spec.older_than.as_ref().map(|t| self.duration(t));
        let mut label = format!(
            "delete {}/{}",
            spec.under.value.trim_end_matches('/'),
            spec.pattern.value
        );
        if let Some(age) = &spec.older_than {
            label.push_str(&format!(" older than {}", age.value));
        }
        let older_than = older_than.map_or(Some(None), |d| d.map(Some))?;
        let step = FileStep::Delete {
            under: under?,
            pattern: pattern?,
            older_than,
        };
        Some((label, StepKind::Files(step)))
    }

    fn truncate(&mut self, spec: &TruncateSpec) -> Option<(String, StepKind)> {
        let file = self.path(&spec.file, "file");
        let over = self.over(spec.over.as_ref());
        let label = format!(
            "truncate {}{}",
            spec.file.value,
            over_label(spec.over.as_ref())
        );
        let step = FileStep::Truncate {
            file: file?,
            over: over?,
        };
        Some((label, StepKind::Files(step)))
    }

    fn rotate(&mut self, spec: &RotateSpec) -> Option<(String, StepKind)> {
        let file = self.path(&spec.file, "file");
        let over = self.over(spec.over.as_ref());
        let keep = spec.keep.as_ref().map_or(DEFAULT_KEEP, |k| k.value);
        if let Some(zero) = spec.keep.as_ref().filter(|k| k.value == 0) {
            let hint = "to drop the file's contents, use `truncate`".to_owned();
            self.report(&zero.referenced, "`keep` must be 1 or more", Some(hint));
        }
        let label = format!(
            "rotate {}{}, keep {keep}",
            spec.file.value,
            over_label(spec.over.as_ref())
        );
        let step = FileStep::Rotate {
            file: file?,
            over: over?,
            keep,
        };
        (keep > 0).then_some((label, StepKind::Files(step)))
    }

    fn run(&mut self, spec: &RunSpec) -> Option<(String, StepKind)> {
        let command = spec.command.value.trim();
        if command.is_empty() {
            self.report(&spec.command.referenced, "empty command", None);
        }
        let timeout = match &spec.timeout {
            Some(text) => self.duration(text)?,
            None => DEFAULT_TIMEOUT,
        };
        let label = format!("run {command}");
        let kind = StepKind::Run {
            command: command.to_owned(),
            timeout,
        };
        (!command.is_empty()).then_some((label, kind))
    }

    fn restart(&mut self, service: &Spanned<String>) -> Option<(String, StepKind)> {
        let name = service.value.trim();
        if !values::is_name(name) {
            let hint = "name a service of the workspace, e.g. `restart: api`".to_owned();
            let message = format!("invalid service name `{name}`");
            self.report(&service.referenced, message, Some(hint));
            return None;
        }
        let kind = StepKind::Restart {
            service: name.to_owned(),
        };
        Some((format!("restart {name}"), kind))
    }

    /// A path a step touches: inside one of the roots, by its text.
    fn path(&mut self, text: &Spanned<String>, key: &str) -> Option<PathBuf> {
        if text.value.trim().is_empty() {
            self.report(&text.referenced, format!("empty `{key}`"), None);
            return None;
        }
        let path = paths::lexical(&text.value, self.source.workspace_dir);
        if paths::within(&path, &self.roots) {
            return Some(path);
        }
        let message = format!(
            "refused: `{}` ({}) is outside the playbook's roots",
            text.value,
            path.display()
        );
        let hint = Some("add its directory to `roots`, or fix the path".to_owned());
        self.report(&text.referenced, message, hint);
        None
    }

    /// `match`: a glob relative to `under` that cannot climb out of it.
    fn pattern(&mut self, text: &Spanned<String>) -> Option<GlobMatcher> {
        let climbs = Path::new(&text.value)
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::RootDir));
        if climbs {
            let hint = "write it relative to `under`, e.g. `**/*.log.*`".to_owned();
            let message = format!("`match: {}` reaches out of `under`", text.value);
            self.report(&text.referenced, message, Some(hint));
            return None;
        }
        // `*` stays within one directory, `**/` crosses any number of them.
        let glob = GlobBuilder::new(&text.value)
            .literal_separator(true)
            .build();
        match glob {
            Ok(glob) => Some(glob.compile_matcher()),
            Err(e) => {
                let message = format!("invalid pattern `{}`: {}", text.value, e.kind());
                self.report(&text.referenced, message, None);
                None
            }
        }
    }

    fn duration(&mut self, text: &Spanned<String>) -> Option<Duration> {
        let parsed = values::duration(&text.value).and_then(|d| {
            if d.is_zero() {
                Err(Rejected::new(format!("`{}` is no time", text.value), None))
            } else {
                Ok(d)
            }
        });
        parsed.map_err(|r| self.reject(&text.referenced, r)).ok()
    }

    /// `over`, a size; `Some(None)` when absent (any non-empty file), `None` when invalid.
    fn over(&mut self, text: Option<&Spanned<String>>) -> Option<Option<u64>> {
        let Some(text) = text else {
            return Some(None);
        };
        match values::size(&text.value) {
            Ok(bytes) => Some(Some(bytes)),
            Err(rejected) => {
                self.reject(&text.referenced, rejected);
                None
            }
        }
    }
}

fn over_label(over: Option<&Spanned<String>>) -> String {
    over.map(|o| format!(" over {}", o.value))
        .unwrap_or_default()
}
