//! The steps that touch files: `delete`, `truncate`, `rotate`. Each is planned first (what
//! exactly would be touched, with symlinks resolved and checked against the roots), then,
//! unless it is a dry run, done action by action. Planning opens the directories it checked
//! ([`held::HeldDir`]) and every action is done relative to them, so nothing swapped in
//! since (a symlink in place of a directory) is followed. Blocking IO: run on a blocking
//! thread.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use globset::GlobMatcher;

use super::paths;
use super::report::{ActionKind, Outcome, StepAction, StepReport};
use crate::format;
use held::{Entry, HeldDir, Kind};
use rotate::plan_rotate;

mod held;
mod rotate;

/// A step on files, with its paths made absolute (inside the roots by their text).
#[derive(Debug, Clone)]
pub enum FileStep {
    /// Regular files (and symlinks, never what they point to) under `under` whose path
    /// relative to it matches `pattern`; symlinked directories are not entered.
    Delete {
        under: PathBuf,
        pattern: GlobMatcher,
        older_than: Option<Duration>,
    },
    /// To zero bytes, when bigger than `over` (any non-empty file when `None`).
    Truncate { file: PathBuf, over: Option<u64> },
    /// `f` -> `f.1`, `f.1` -> `f.2`, ..., dropping copies numbered `keep` and above, then
    /// a new empty `f`.
    Rotate {
        file: PathBuf,
        over: Option<u64>,
        keep: u32,
    },
}

/// Why a file step was not planned; its report shows it instead of actions.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot resolve {}: {source}", path.display())]
    Resolve { path: PathBuf, source: io::Error },
    #[error(
        "refused: {} resolves to {}, outside the playbook's roots",
        path.display(),
        real.display()
    )]
    Outside { path: PathBuf, real: PathBuf },
    #[error("refused: {} was replaced by a symlink after it was checked", .0.display())]
    Swapped(PathBuf),
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("{} is not a regular file", .0.display())]
    NotAFile(PathBuf),
    #[error("cannot open {}: {source}", path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    Stat { path: PathBuf, source: io::Error },
}

impl FileError {
    /// A directory listing that failed.
    fn read(dir: &HeldDir) -> impl FnOnce(io::Error) -> Self {
        let path = dir.path().to_owned();
        move |source| Self::Read { path, source }
    }
}

/// Plan `step` and, unless `dry_run`, do it, reporting under `label`.
pub(super) fn run(step: &FileStep, label: &str, roots: &[PathBuf], dry_run: bool) -> StepReport {
    let mut report = StepReport::new(label);
    let roots = paths::canonical_roots(roots);
    let plan = match step {
        FileStep::Delete {
            under,
            pattern,
            older_than,
        } => plan_delete(under, pattern, *older_than, &roots),
        FileStep::Truncate { file, over } => plan_truncate(file, *over, &roots),
        FileStep::Rotate { file, over, keep } => plan_rotate(file, *over, *keep, &roots),
    };
    match plan {
        Ok(plan) => {
            report.note = plan.note;
            // A rotation is a chain of renames: once one fails, the next would clobber.
            let chained = matches!(step, FileStep::Rotate { .. });
            report.actions = apply(plan.ops, dry_run, chained);
        }
        Err(why) => report.error = Some(why.to_string()),
    }
    report
}

#[derive(Default)]
struct Plan {
    ops: Vec<Op>,
    note: Option<String>,
}

impl Plan {
    fn note(note: String) -> Self {
        Self {
            ops: Vec::new(),
            note: Some(note),
        }
    }
}

struct Op {
    action: StepAction,
    change: Change,
}

/// What an action does to an entry of a held directory.
enum Change {
    Remove(HeldDir, OsString),
    Truncate(HeldDir, OsString),
    Rename {
        dir: HeldDir,
        from: OsString,
        to: OsString,
    },
    /// An empty file with the permissions of `like`.
    Create {
        dir: HeldDir,
        name: OsString,
        like: OsString,
    },
}

impl Op {
    fn new(kind: ActionKind, change: Change, bytes: Option<u64>, detail: String) -> Self {
        let (dir, name) = match &change {
            Change::Remove(dir, name) | Change::Truncate(dir, name) => (dir, name),
            Change::Create { dir, name, .. } => (dir, name),
            Change::Rename { dir, from, .. } => (dir, from),
        };
        let action = StepAction {
            bytes,
            detail: Some(detail),
            ..StepAction::new(kind, dir.join(name).display().to_string())
        };
        Self { action, change }
    }
}

fn apply(ops: Vec<Op>, dry_run: bool, chained: bool) -> Vec<StepAction> {
    let mut broken = false;
    let mut actions = Vec::with_capacity(ops.len());
    for Op { mut action, change } in ops {
        action.outcome = if dry_run {
            Outcome::Planned
        } else if broken {
            Outcome::Failed("not done: an earlier action failed".to_owned())
        } else {
            match change.apply() {
                Ok(()) => Outcome::Done,
                Err(e) => {
                    broken = chained;
                    Outcome::Failed(e.to_string())
                }
            }
        };
        actions.push(action);
    }
    actions
}

impl Change {
    fn apply(&self) -> io::Result<()> {
        match self {
            Self::Remove(dir, name) => dir.remove(name),
            Self::Truncate(dir, name) => dir.truncate(name),
            Self::Rename { dir, from, to } => dir.rename(from, to),
            Self::Create { dir, name, like } => dir.create_like(name, like),
        }
    }
}

/// `path` (resolved and checked) opened as a directory, or why not.
fn open_checked(path: &Path, shown: &Path) -> Result<HeldDir, FileError> {
    HeldDir::open(path).map_err(|e| refused(shown, e))
}

fn refused(shown: &Path, source: io::Error) -> FileError {
    let path = shown.to_owned();
    if held::is_symlink_refusal(&source) {
        FileError::Swapped(path)
    } else if source.kind() == io::ErrorKind::NotADirectory {
        FileError::NotADirectory(path)
    } else {
        FileError::Open { path, source }
    }
}

fn plan_delete(
    under: &Path,
    pattern: &GlobMatcher,
    older_than: Option<Duration>,
    roots: &[PathBuf],
) -> Result<Plan, FileError> {
    let Some(real) = paths::resolve(under, roots)? else {
        return Ok(Plan::note(format!("{} does not exist", under.display())));
    };
    let dir = open_checked(&real, under)?;
    let walk = Walk {
        base: &real,
        pattern,
        older_than: older_than.unwrap_or_default(),
        now: SystemTime::now(),
    };
    let mut ops = Vec::new();
    walk.dir(&dir, &mut ops)?;
    if ops.is_empty() {
        return Ok(Plan::note("no file matches".to_owned()));
    }
    Ok(Plan { ops, note: None })
}

struct Walk<'a> {
    base: &'a Path,
    pattern: &'a GlobMatcher,
    older_than: Duration,
    now: SystemTime,
}

impl Walk<'_> {
    fn dir(&self, dir: &HeldDir, ops: &mut Vec<Op>) -> Result<(), FileError> {
        for entry in dir.entries().map_err(FileError::read(dir))? {
            match entry.meta.kind {
                // Opened without following: a symlink to a directory is a link here, and
                // one swapped in since the listing is refused.
                Kind::Dir => {
                    let child = dir
                        .child(&entry.name)
                        .map_err(|e| refused(&dir.join(&entry.name), e))?;
                    self.dir(&child, ops)?;
                }
                Kind::File | Kind::Symlink => self.file(dir, entry, ops),
                Kind::Other => {}
            }
        }
        Ok(())
    }

    fn file(&self, dir: &HeldDir, entry: Entry, ops: &mut Vec<Op>) {
        let path = dir.join(&entry.name);
        let matches = path
            .strip_prefix(self.base)
            .is_ok_and(|relative| self.pattern.is_match(relative));
        let age = self
            .now
            .duration_since(entry.meta.modified)
            .unwrap_or_default();
        if !matches || age < self.older_than {
            return;
        }
        let (bytes, detail) = if entry.meta.kind == Kind::Symlink {
            (None, format!("symlink, {}", age_text(age)))
        } else {
            (Some(entry.meta.len), age_text(age))
        };
        let change = Change::Remove(dir.clone(), entry.name);
        ops.push(Op::new(ActionKind::Delete, change, bytes, detail));
    }
}

/// `9 days old`, `5 hours old`, `40 s old`.
fn age_text(age: Duration) -> String {
    let secs = age.as_secs();
    let (n, unit) = match secs {
        0..120 => (secs, "s"),
        120..7200 => (secs / 60, "min"),
        7200..172_800 => (secs / 3600, "hours"),
        _ => (secs / 86_400, "days"),
    };
    format!("{n} {unit} old")
}

/// The file of a `truncate` or `rotate` step, with symlinks resolved.
enum Sized {
    /// Bigger than the limit: its directory, its name and its size.
    Over(HeldDir, OsString, u64),
    /// Nothing to do, and why.
    Under(String),
}

fn sized_file(file: &Path, over: Option<u64>, roots: &[PathBuf]) -> Result<Sized, FileError> {
    let Some(real) = paths::resolve(file, roots)? else {
        return Ok(Sized::Under(format!("{} does not exist", file.display())));
    };
    let not_a_file = || FileError::NotAFile(real.clone());
    let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
        return Err(not_a_file());
    };
    let dir = open_checked(parent, parent)?;
    let meta = dir.stat(name).map_err(|source| FileError::Stat {
        path: real.clone(),
        source,
    })?;
    match meta.kind {
        Kind::File => {}
        Kind::Symlink => return Err(FileError::Swapped(real)),
        Kind::Dir | Kind::Other => return Err(not_a_file()),
    }
    let size = meta.len;
    if size > over.unwrap_or(0) {
        return Ok(Sized::Over(dir, name.to_owned(), size));
    }
    let name = name.to_string_lossy();
    Ok(Sized::Under(match over {
        Some(limit) => format!(
            "{name} is {}, not over {}",
            format::bytes(size as f64),
            format::bytes(limit as f64)
        ),
        None => format!("{name} is empty"),
    }))
}

fn plan_truncate(file: &Path, over: Option<u64>, roots: &[PathBuf]) -> Result<Plan, FileError> {
    let (dir, name, size) = match sized_file(file, over, roots)? {
        Sized::Over(dir, name, size) => (dir, name, size),
        Sized::Under(note) => return Ok(Plan::note(note)),
    };
    let op = Op::new(
        ActionKind::Truncate,
        Change::Truncate(dir, name),
        Some(size),
        "to 0 bytes".to_owned(),
    );
    Ok(Plan {
        ops: vec![op],
        note: None,
    })
}

#[cfg(test)]
mod tests;
