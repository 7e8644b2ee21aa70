//! `rotate`: `f` -> `f.1`, `f.1` -> `f.2`, ..., the copies beyond `keep` dropped, then a new
//! empty `f` with the old one's permissions.

use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};

use super::{Change, Op, Plan, Sized, sized_file};
use crate::heal::playbook::report::ActionKind;

pub(super) fn plan_rotate(
    file: &Path,
    over: Option<u64>,
    keep: u32,
    roots: &[PathBuf],
) -> Result<Plan, String> {
    let (real, size) = match sized_file(file, over, roots)? {
        Sized::Over(real, size) => (real, size),
        Sized::Under(note) => return Ok(Plan::note(note)),
    };
    let numbered = |n: u32| {
        let mut name = real.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    };
    let mut ops = Vec::new();
    for (n, copy, meta) in rotated_copies(&real)? {
        let bytes = meta.is_file().then_some(meta.len());
        if n >= keep {
            let detail = format!("beyond keep {keep}");
            ops.push(Op::new(
                ActionKind::Delete,
                Change::Remove(copy),
                bytes,
                detail,
            ));
        } else {
            let to = numbered(n + 1);
            let detail = format!("-> {}", file_name(&to));
            let change = Change::Rename { from: copy, to };
            ops.push(Op::new(ActionKind::Rename, change, bytes, detail));
        }
    }
    let first = numbered(1);
    let detail = format!("-> {}", file_name(&first));
    let rename = Change::Rename {
        from: real.clone(),
        to: first.clone(),
    };
    ops.push(Op::new(ActionKind::Rename, rename, Some(size), detail));
    let create = Change::Create {
        path: real,
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
fn rotated_copies(file: &Path) -> Result<Vec<(u32, PathBuf, Metadata)>, String> {
    let dir = file.parent().unwrap_or(Path::new("/"));
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!("{name}.");
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", dir.display());
    let mut copies = Vec::new();
    for entry in fs::read_dir(dir).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        let entry_name = entry.file_name();
        let number = entry_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n > 0);
        let meta = entry.metadata().map_err(cannot)?;
        if let Some(n) = number
            && (meta.is_file() || meta.is_symlink())
        {
            copies.push((n, entry.path(), meta));
        }
    }
    copies.sort_by_key(|(n, _, _)| std::cmp::Reverse(*n));
    Ok(copies)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}
