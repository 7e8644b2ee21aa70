//! The steps that touch files: `delete`, `truncate`, `rotate`. Each is planned first (what
//! exactly would be touched, with symlinks resolved and checked against the roots), then,
//! unless it is a dry run, done action by action. Blocking IO: run on a blocking thread.

use std::fs::{self, Metadata, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use globset::GlobMatcher;

use super::paths;
use super::report::{Action, ActionKind, Outcome, StepReport};
use crate::metrics::human_bytes;
use rotate::plan_rotate;

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
        Err(why) => report.error = Some(why),
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
    action: Action,
    change: Change,
}

enum Change {
    Remove(PathBuf),
    Truncate(PathBuf),
    Rename {
        from: PathBuf,
        to: PathBuf,
    },
    /// An empty file with the permissions of `like`.
    Create {
        path: PathBuf,
        like: PathBuf,
    },
}

impl Op {
    fn new(kind: ActionKind, change: Change, bytes: Option<u64>, detail: String) -> Self {
        let target = match &change {
            Change::Remove(p) | Change::Truncate(p) | Change::Create { path: p, .. } => p,
            Change::Rename { from, .. } => from,
        };
        let action = Action {
            bytes,
            detail: Some(detail),
            ..Action::new(kind, target.display().to_string())
        };
        Self { action, change }
    }
}

fn apply(ops: Vec<Op>, dry_run: bool, chained: bool) -> Vec<Action> {
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
    fn apply(&self) -> std::io::Result<()> {
        match self {
            // Unlinking never follows a symlink and refuses directories.
            Self::Remove(path) => fs::remove_file(path),
            Self::Truncate(path) => OpenOptions::new()
                .write(true)
                // The file was checked with symlinks resolved: one put there since is refused.
                .custom_flags(nix::libc::O_NOFOLLOW)
                .open(path)?
                .set_len(0),
            Self::Rename { from, to } => fs::rename(from, to),
            Self::Create { path, like } => {
                OpenOptions::new().write(true).create_new(true).open(path)?;
                fs::set_permissions(path, fs::metadata(like)?.permissions())
            }
        }
    }
}

fn plan_delete(
    under: &Path,
    pattern: &GlobMatcher,
    older_than: Option<Duration>,
    roots: &[PathBuf],
) -> Result<Plan, String> {
    let Some(dir) = paths::resolve(under, roots)? else {
        return Ok(Plan::note(format!("{} does not exist", under.display())));
    };
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", under.display()));
    }
    let walk = Walk {
        base: &dir,
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
    fn dir(&self, dir: &Path, ops: &mut Vec<Op>) -> Result<(), String> {
        let cannot = |e: std::io::Error| format!("cannot read {}: {e}", dir.display());
        let mut entries = fs::read_dir(dir)
            .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
            .map_err(cannot)?;
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            // `DirEntry::metadata` does not follow symlinks: a link to a directory is a
            // link here, never entered.
            let meta = entry.metadata().map_err(cannot)?;
            if meta.is_dir() {
                self.dir(&path, ops)?;
            } else if meta.is_file() || meta.is_symlink() {
                self.file(path, &meta, ops);
            }
        }
        Ok(())
    }

    fn file(&self, path: PathBuf, meta: &Metadata, ops: &mut Vec<Op>) {
        let matches = path
            .strip_prefix(self.base)
            .is_ok_and(|relative| self.pattern.is_match(relative));
        let age = meta
            .modified()
            .ok()
            .and_then(|m| self.now.duration_since(m).ok())
            .unwrap_or_default();
        if !matches || age < self.older_than {
            return;
        }
        let (bytes, detail) = if meta.is_symlink() {
            (None, format!("symlink, {}", age_text(age)))
        } else {
            (Some(meta.len()), age_text(age))
        };
        ops.push(Op::new(
            ActionKind::Delete,
            Change::Remove(path),
            bytes,
            detail,
        ));
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
    /// Bigger than the limit: the real path and the size.
    Over(PathBuf, u64),
    /// Nothing to do, and why.
    Under(String),
}

fn sized_file(file: &Path, over: Option<u64>, roots: &[PathBuf]) -> Result<Sized, String> {
    let Some(real) = paths::resolve(file, roots)? else {
        return Ok(Sized::Under(format!("{} does not exist", file.display())));
    };
    let meta = fs::metadata(&real).map_err(|e| format!("{}: {e}", real.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", real.display()));
    }
    let size = meta.len();
    if size > over.unwrap_or(0) {
        return Ok(Sized::Over(real, size));
    }
    let name = real.file_name().unwrap_or_default().to_string_lossy();
    Ok(Sized::Under(match over {
        Some(limit) => format!(
            "{name} is {}, not over {}",
            human_bytes(size as f64),
            human_bytes(limit as f64)
        ),
        None => format!("{name} is empty"),
    }))
}

fn plan_truncate(file: &Path, over: Option<u64>, roots: &[PathBuf]) -> Result<Plan, String> {
    let (real, size) = match sized_file(file, over, roots)? {
        Sized::Over(real, size) => (real, size),
        Sized::Under(note) => return Ok(Plan::note(note)),
    };
    let op = Op::new(
        ActionKind::Truncate,
        Change::Truncate(real),
        Some(size),
        "to 0 bytes".to_owned(),
    );
    Ok(Plan {
        ops: vec![op],
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_sensible_units() {
        assert_eq!(age_text(Duration::from_secs(40)), "40 s old");
        assert_eq!(age_text(Duration::from_secs(600)), "10 min old");
        assert_eq!(age_text(Duration::from_secs(5 * 3600)), "5 hours old");
        assert_eq!(age_text(Duration::from_secs(9 * 86_400)), "9 days old");
    }
}
