//! The effective configuration of an environment: the workspace file, its environment's
//! overlay merged over it, variables and secrets interpolated, then checked.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::check::{self, LOADER_KEYS};
use super::emit::{self, Mode};
use super::environments::{self, Declared};
use super::interpolate::{self, Hidden, Lookup};
use super::secrets::{Binding, Bindings, Secrets};
use super::shell;
use super::tree::{self, Found, Kind, Node, Origin, Step, key_path};
use super::vars::{SECRETS_FILE, Vars};
use super::{ConfigError, Problem, ProblemSeverity, Workspace, lint, load};

/// A loaded environment: the validated workspace and what it was made from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Validated; `environment` names the active environment.
    pub workspace: Workspace,
    /// The effective YAML after merge and interpolation, with `vars:`, every secret as its
    /// reference (`${secret:name}`, `${NAME}`) and commands as written: what
    /// `uc config render` prints and a revision stores.
    pub effective: String,
    /// SHA-256 (hex) of the effective config with secrets resolved: a changed secret is a
    /// changed config. Never shown or stored as it is (a short secret could be guessed
    /// from it): the engine salts it.
    pub hash: String,
    /// Every file read, to watch for changes.
    pub inputs: Vec<PathBuf>,
    pub warnings: Vec<Problem>,
}

/// Where overlays come from.
pub(crate) enum Overlays<'a> {
    /// `configs/environments/<name>.yaml` (or the environment's `file:`), env files too.
    Disk,
    /// Built in: (environment, file name shown in problems, text).
    Embedded(&'a [(&'a str, &'a str, &'a str)]),
    /// A stored effective config: overlays and variables were applied already.
    Applied,
}

pub(crate) struct Input<'a> {
    pub text: &'a str,
    pub file: &'a Path,
    pub dir: &'a Path,
    pub env: Option<&'a str>,
    pub overlays: Overlays<'a>,
}

/// Read, merge, interpolate and check the workspace file `path` for `env` (`None`: the
/// default environment).
pub fn load_env(path: &Path, env: Option<&str>) -> Result<Loaded, ConfigError> {
    check_env(path, env).0
}

/// Like [`load_env`], and the warnings even when there are errors (for `uc config check`).
pub fn check_env(path: &Path, env: Option<&str>) -> (Result<Loaded, ConfigError>, Vec<Problem>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(source) => {
            let path = path.to_path_buf();
            return (Err(ConfigError::Io { path, source }), Vec::new());
        }
    };
    let dir = load::absolute(path.parent().unwrap_or(Path::new(".")));
    let input = Input {
        text: &text,
        file: path,
        dir: &dir,
        env,
        overlays: Overlays::Disk,
    };
    run(&input)
}

/// Re-load a stored `effective` text as it is: its secrets (`${secret:name}`, `${NAME}` from
/// an env file or the environment) are resolved again; no overlay applies.
pub fn load_effective(
    text: &str,
    file: &Path,
    dir: &Path,
    env: Option<&str>,
) -> Result<Loaded, ConfigError> {
    let dir = load::absolute(dir);
    let input = Input {
        text,
        file,
        dir: &dir,
        env,
        overlays: Overlays::Applied,
    };
    run(&input).0
}

/// The files problems may point into, with their text for the snippets.
#[derive(Default)]
struct Sources {
    files: Vec<(PathBuf, String)>,
}

impl Sources {
    fn add(&mut self, path: &Path, text: &str) -> usize {
        self.files.push((path.to_path_buf(), text.to_owned()));
        self.files.len() - 1
    }

    /// The file `index` as people read it: relative to the workspace's directory.
    fn name(&self, index: usize, dir: &Path) -> String {
        self.files.get(index).map_or_else(String::new, |(path, _)| {
            let relative = path.strip_prefix(dir).unwrap_or(path);
            relative.display().to_string()
        })
    }

    fn problem(&self, found: Found) -> Problem {
        let (file, text) = self
            .files
            .get(found.at.file)
            .or(self.files.first())
            .map_or((Path::new(""), ""), |(p, t)| (p.as_path(), t.as_str()));
        let mut problem = Problem::new(
            file,
            found.at.line,
            found.at.column,
            found.message,
            found.hint,
        );
        problem.path = found.path;
        if found.warning {
            problem.severity = ProblemSeverity::Warning;
        }
        load::with_source_lines(vec![problem], text).remove(0)
    }
}

/// The tree of the active environment, merged and interpolated, and what was found on the
/// way.
struct Merged {
    root: Option<Node>,
    declared: Vec<Declared>,
    active: Option<Declared>,
    sources: Sources,
    inputs: Vec<PathBuf>,
    found: Vec<Found>,
    bindings: Bindings,
    hidden: Vec<Hidden>,
    /// `vars:` and where it stood, out of the tree while it is checked.
    vars: Option<(usize, tree::Entry)>,
}

pub(crate) fn run(input: &Input) -> (Result<Loaded, ConfigError>, Vec<Problem>) {
    let mut merged = match merge(input) {
        Ok(merged) => merged,
        Err(err) => return (Err(err), Vec::new()),
    };
    let root = merged.root.as_ref();
    let checked = check::check(root, input.file, input.dir, &merged.bindings);
    merged.found.extend(checked.found);
    merged.found.extend(lint::ports(root));
    merged.found.extend(lint::programs(root, input.dir));
    let (warnings, mut errors): (Vec<Found>, Vec<Found>) = std::mem::take(&mut merged.found)
        .into_iter()
        .partition(|f| f.warning);
    let sources = &merged.sources;
    // A message may quote a value (`invalid TCP address …`): never a secret's.
    let secrets = Secrets::new(merged.hidden.iter().cloned());
    let problem = |f: Found| redacted(sources.problem(f), &secrets);
    let warnings: Vec<Problem> = warnings.into_iter().map(problem).collect();
    let Some(mut workspace) = checked.workspace.filter(|_| errors.is_empty()) else {
        errors.sort_by_key(|f| (f.at.file, f.at.line, f.at.column));
        let problems = errors.into_iter().map(problem).collect();
        return (Err(invalid(problems)), warnings);
    };
    workspace
        .quotas
        .name_places(|file| sources.name(file, input.dir));
    (Ok(loaded(merged, workspace, warnings.clone())), warnings)
}

fn redacted(mut problem: Problem, secrets: &Secrets) -> Problem {
    problem.message = secrets.redact(&problem.message).into_owned();
    problem.hint = problem.hint.map(|h| secrets.redact(&h).into_owned());
    problem
}

fn merge(input: &Input) -> Result<Merged, ConfigError> {
    let mut sources = Sources::default();
    sources.add(input.file, input.text);
    let mut root = tree::parse(input.text, 0).map_err(|e| syntax(input.text, input.file, &e))?;
    let mut found = Vec::new();
    let declared = environments::declared(root.as_ref(), &mut found);
    let active = environments::select(&declared, input.env, root.as_ref(), input.file)?.cloned();
    let mut inputs = vec![input.file.to_path_buf()];
    if let (Some(active), Some(base)) = (&active, root.as_mut())
        && let Some(node) = overlay(input, active, &mut sources, &mut inputs)?
    {
        environments::check_overlay(&node, &mut found);
        apply(base, node);
    }
    let vars_at = root
        .as_ref()
        .and_then(|r| r.entries())
        .and_then(|entries| entries.iter().position(|e| e.key.name == "vars"));
    let (mut vars, vars_entry) = variables(
        input,
        active.as_ref(),
        root.as_mut(),
        &mut inputs,
        &mut found,
    );
    let mut walk = Walk {
        vars: &mut vars,
        found: &mut found,
        bindings: Bindings::default(),
        hidden: Vec::new(),
    };
    if let Some(root) = root.as_mut() {
        walk.top(root);
    }
    let (bindings, hidden) = (walk.bindings, walk.hidden);
    inputs.extend(vars.secrets_read().map(Path::to_path_buf));
    Ok(Merged {
        root,
        declared,
        active,
        sources,
        inputs,
        found,
        bindings,
        hidden,
        vars: vars_at.zip(vars_entry),
    })
}

fn loaded(merged: Merged, mut workspace: Workspace, warnings: Vec<Problem>) -> Loaded {
    workspace.environment = merged.active.map(|a| a.environment.name);
    workspace.environments = merged.declared.into_iter().map(|d| d.environment).collect();
    workspace.secrets = Secrets::new(merged.hidden);
    let mut root = merged.root;
    // Kept in the effective config: commands name their variables, and a stored revision
    // reads them again.
    if let (
        Some((at, entry)),
        Some(Node {
            kind: Kind::Map { entries, .. },
            ..
        }),
    ) = (merged.vars, root.as_mut())
    {
        entries.insert(at.min(entries.len()), entry);
    }
    let root = root.as_ref();
    let mut digest = Sha256::new();
    digest.update(emit::emit(root, Mode::Resolved).as_bytes());
    // Commands hold variable names, not values: a changed value is a changed config.
    for (name, value) in merged.bindings.all_refs() {
        digest.update([0]);
        digest.update(name.as_bytes());
        digest.update([b'=']);
        digest.update(value.as_bytes());
    }
    Loaded {
        workspace,
        effective: emit::emit(root, Mode::Show),
        hash: hex::encode(digest.finalize()),
        inputs: merged.inputs,
        warnings,
    }
}

fn invalid(problems: Vec<Problem>) -> ConfigError {
    ConfigError::Invalid { problems }
}

/// A file that is not YAML, worded as serde-saphyr words it (as for every other file).
fn syntax(text: &str, file: &Path, e: &tree::TreeError) -> ConfigError {
    let options = serde_saphyr::options! { with_snippet: false };
    let problem = match serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(text, options)
    {
        Err(err) => load::yaml_problem(&err, file),
        Ok(_) => Problem::new(file, e.line, e.column, e.message.clone(), None),
    };
    invalid(load::with_source_lines(vec![problem], text))
}

/// The active environment's overlay, parsed; `None` when it has none.
fn overlay(
    input: &Input,
    active: &Declared,
    sources: &mut Sources,
    inputs: &mut Vec<PathBuf>,
) -> Result<Option<Node>, ConfigError> {
    let name = active.environment.name.as_str();
    let (path, text) = match &input.overlays {
        Overlays::Applied => return Ok(None),
        Overlays::Embedded(list) => match list.iter().find(|(env, ..)| *env == name) {
            Some((_, file, text)) => (PathBuf::from(file), (*text).to_owned()),
            None => return Ok(None),
        },
        Overlays::Disk => {
            let (path, explicit) = environments::overlay_path(input.dir, active);
            match (std::fs::read_to_string(&path), explicit) {
                (Ok(text), _) => {
                    inputs.push(path.clone());
                    (path, text)
                }
                (Err(e), None) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                (Err(e), at) => {
                    let at = at.unwrap_or(active.at);
                    let message = format!("cannot read overlay {}: {e}", path.display());
                    let mut problem = Problem::new(input.file, at.line, at.column, message, None);
                    problem.path = format!("environments.{name}.file");
                    return Err(invalid(load::with_source_lines(vec![problem], input.text)));
                }
            }
        }
    };
    let index = sources.add(&path, &text);
    tree::parse(&text, index).map_err(|e| syntax(&text, &path, &e))
}

/// Merges an overlay, less the keys it may not set (reported by `check_overlay`).
fn apply(base: &mut Node, mut overlay: Node) {
    overlay.take("workspace");
    overlay.take("environments");
    if overlay.entries().is_some() {
        tree::merge(base, overlay);
    }
}

/// Variables from `vars:` (taken out of the tree, and returned to be put back), the env
/// files and the process environment, and the secrets file to read `${secret:...}` from.
fn variables(
    input: &Input,
    active: Option<&Declared>,
    root: Option<&mut Node>,
    inputs: &mut Vec<PathBuf>,
    found: &mut Vec<Found>,
) -> (Vars, Option<tree::Entry>) {
    let root_secrets = root
        .as_ref()
        .and_then(|r| r.get("secrets"))
        .and_then(|e| e.value.as_str());
    let secrets = active
        .and_then(|a| a.secrets.as_ref().map(|s| s.value.as_str()))
        .or(root_secrets)
        .unwrap_or(SECRETS_FILE);
    let mut vars = Vars::new(input.dir.join(secrets));
    let entry = root.and_then(|r| r.take("vars"));
    if let Some(entry) = &entry {
        vars.set_vars(&entry.value, found);
    }
    let files = active.map_or(&[][..], |a| a.env_files.as_slice());
    for file in files {
        let path = input.dir.join(&file.value);
        match vars.add_env_file(&path) {
            Ok(()) => inputs.push(path),
            Err(e) => {
                let message = format!("cannot read env file {}: {e}", path.display());
                let env = active.map_or("", |a| a.environment.name.as_str());
                let path = format!("environments.{env}.env_files");
                found.push(Found::error(file.at, &path, message, None));
            }
        }
    }
    (vars, entry)
}

/// Interpolates every string value except the loader's own keys, and records what
/// validation and the hash need to know about each.
struct Walk<'a> {
    vars: &'a mut dyn Lookup,
    found: &'a mut Vec<Found>,
    bindings: Bindings,
    hidden: Vec<Hidden>,
}

impl Walk<'_> {
    fn top(&mut self, root: &mut Node) {
        let Kind::Map { entries, .. } = &mut root.kind else {
            return self.node(root, &mut Vec::new());
        };
        for entry in entries
            .iter_mut()
            .filter(|e| !LOADER_KEYS.contains(&e.key.name.as_str()))
        {
            let mut path = vec![Step::Key(entry.key.name.clone())];
            self.node(&mut entry.value, &mut path);
        }
    }

    fn node(&mut self, node: &mut Node, path: &mut Vec<Step>) {
        match &mut node.kind {
            Kind::Scalar(s) => {
                if !s.value.contains('$') {
                    return;
                }
                let done = if shell::is_command(path) {
                    interpolate::command(&s.value, self.vars).map(|command| {
                        // Shown as written: it reads the same variables again.
                        let shown = std::mem::replace(&mut s.value, command.text);
                        s.shown = (shown != s.value).then_some(shown);
                        let secret = !command.hidden.is_empty();
                        (command.refs, secret, command.hidden)
                    })
                } else {
                    interpolate::interpolate(&s.value, self.vars).map(|done| {
                        s.shown = (done.shown != done.value).then_some(done.shown);
                        s.value = done.value;
                        (Vec::new(), !done.hidden.is_empty(), done.hidden)
                    })
                };
                match done {
                    Ok((refs, secret, hidden)) => {
                        self.bindings
                            .insert(key_path(path), Binding { refs, secret });
                        self.hidden.extend(hidden);
                    }
                    Err(failure) => {
                        let at = dollar_at(node.at, s.raw.as_deref(), &s.value, failure.offset);
                        self.found.push(Found::error(
                            at,
                            &key_path(path),
                            failure.message,
                            failure.hint,
                        ));
                    }
                }
            }
            Kind::Seq { items, .. } => {
                for (i, item) in items.iter_mut().enumerate() {
                    path.push(Step::Index(i));
                    self.node(item, path);
                    path.pop();
                }
            }
            Kind::Map { entries, .. } => {
                for entry in entries {
                    path.push(Step::Key(entry.key.name.clone()));
                    self.node(&mut entry.value, path);
                    path.pop();
                }
            }
        }
    }
}

/// The position of the `${` at byte `offset` of `value`: the same `${` counted in the
/// scalar's source text (quotes, escapes and block indentation do not make or break one).
fn dollar_at(at: Origin, raw: Option<&str>, value: &str, offset: usize) -> Origin {
    let nth = value
        .match_indices("${")
        .take_while(|(i, _)| *i < offset)
        .count();
    let Some((start, _)) = raw.and_then(|raw| raw.match_indices("${").nth(nth)) else {
        return at;
    };
    let Some(raw) = raw else {
        return at;
    };
    let before = &raw[..start];
    match before.rfind('\n') {
        None => Origin {
            column: at.column + before.chars().count() as u64,
            ..at
        },
        Some(newline) => Origin {
            line: at.line + before.matches('\n').count() as u64,
            column: before[newline + 1..].chars().count() as u64 + 1,
            ..at
        },
    }
}
