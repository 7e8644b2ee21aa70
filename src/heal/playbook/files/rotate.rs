//! `rotate`: `f` -> `f.1`, `f.1` -> `f.2`, ..., the copies beyond `keep` dropped, then a new
//! empty `f` with the old one's permissions.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::held::{HeldDir, Kind, Meta};
use super::{Change, FileError, Op, Plan, Sized, sized_file};
use crate::heal::playbook::report::ActionKind;

pub(super) fn plan_rotate(
    file: &Path,
    over: Option<u64>,
    keep: u32,
    roots: &[PathBuf],
) -> Result<Plan, FileError> {
    let (dir, name, size) = match sized_file(file, over, roots)? {
        Sized::Over(dir, name, size) => (dir, name, size),
        Sized::Under(note) => return Ok(Plan::note(note)),
    };
    let numbered = |n: u32| {
        let mut numbered = name.clone();
        numbered.push(format!(".{n}"));
        numbered
    };
    let mut ops = Vec::new();
    for (n, copy, meta) in rotated_copies(&dir, &name)? {
        let bytes = (meta.kind == Kind::File).then_some(meta.len);
        if n >= keep {
            let detail = format!("beyond keep {keep}");
            let change = Change::Remove(dir.clone(), copy);
            ops.push(Op::new(ActionKind::Delete, change, bytes, detail));
        } else {
            let to = numbered(n + 1);
            let detail = format!("-> {}", to.to_string_lossy());
            let change = Change::Rename {
                dir: dir.clone(),
                from: copy,
                to,
            };
            ops.push(Op::new(ActionKind::Rename, change, bytes, detail));
        }
    }
    let first = numbered(1);
    let detail = format!("-> {}", first.to_string_lossy());
    let rename = Change::Rename {
        dir: dir.clone(),
        from: name.clone(),
        to: first.clone(),
    };
    ops.push(Op::new(ActionKind::Rename, rename, Some(size), detail));
    let create = Change::Create {
        dir,
        name,
        like: first,
    };
    ops.push(Op::new(
        ActionKind::Create,
        create,
        None,
        "empty".to_owned(),
    ));
    Ok(Plan { ops, note: None })
}

/// `f.N` next to `f` (files or symlinks), highest number first, so each can be renamed to
/// `N + 1` after the one above has moved.
fn rotated_copies(dir: &HeldDir, name: &OsStr) -> Result<Vec<(u32, OsString, Meta)>, FileError> {
    let prefix = format!("{}.", name.to_string_lossy());
    let mut copies = Vec::new();
    for entry in dir.entries().map_err(FileError::read(dir))? {
        let number = entry
            .name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n > 0);
        if let Some(n) = number
            && matches!(entry.meta.kind, Kind::File | Kind::Symlink)
        {
            copies.push((n, entry.name, entry.meta));
        }
    }
    copies.sort_by_key(|(n, _, _)| std::cmp::Reverse(*n));
    Ok(copies)
}
