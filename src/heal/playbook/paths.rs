//! Where a playbook may touch files. A path is checked twice: by its text when the
//! playbook is loaded (`..` resolved lexically), and again with symlinks resolved just
//! before anything is done, so a link cannot lead a step out of its roots.

use std::io;
use std::path::{Component, Path, PathBuf};

use super::files::FileError;

/// `path` made absolute against `dir`, with `.` and `..` resolved by the text alone.
pub(super) fn lexical(path: &str, dir: &Path) -> PathBuf {
    let mut resolved = PathBuf::new();
    for component in dir.join(path).components() {
        match component {
            Component::CurDir => {}
            // `pop` stops at `/`, as the kernel does for `/..`.
            Component::ParentDir => {
                resolved.pop();
            }
            other => resolved.push(other),
        }
    }
    resolved
}

/// Why `root` is too wide to be a root: `/`, the home directory or one of its parents.
pub(super) fn too_wide(root: &Path, home: Option<&Path>) -> Option<String> {
    if root.parent().is_none() {
        return Some(format!(
            "`{}` as a root would let a typo delete anything",
            root.display()
        ));
    }
    let home = home.filter(|home| home.starts_with(root))?;
    Some(format!(
        "`{}` as a root would put all of {} in reach",
        root.display(),
        home.display()
    ))
}

pub(super) fn within(path: &Path, roots: &[PathBuf]) -> bool {
    roots.iter().any(|root| path.starts_with(root))
}

/// The roots with symlinks resolved; a root that does not exist holds nothing to touch.
pub(super) fn canonical_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots.iter().filter_map(|r| r.canonicalize().ok()).collect()
}

/// `path` with symlinks resolved, if it exists, refused when that leads out of `roots`
/// (already canonical).
pub(super) fn resolve(path: &Path, roots: &[PathBuf]) -> Result<Option<PathBuf>, FileError> {
    let real = match path.canonicalize() {
        Ok(real) => real,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            let path = path.to_owned();
            return Err(FileError::Resolve { path, source });
        }
    };
    if within(&real, roots) {
        Ok(Some(real))
    } else {
        let path = path.to_owned();
        Err(FileError::Outside { path, real })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_resolve_by_text() {
        let dir = Path::new("/w/space");
        assert_eq!(lexical("./logs/../tmp/.", dir), Path::new("/w/space/tmp"));
        assert_eq!(lexical("../../../../etc", dir), Path::new("/etc"));
        assert_eq!(lexical("/var/tmp/x/..", dir), Path::new("/var/tmp"));
    }

    #[test]
    fn wide_roots_are_refused() {
        let home = Some(Path::new("/home/ada"));
        assert!(too_wide(Path::new("/"), home).is_some());
        assert!(too_wide(Path::new("/home"), home).is_some());
        assert!(too_wide(Path::new("/home/ada"), home).is_some());
        assert!(too_wide(Path::new("/home/ada/app/logs"), home).is_none());
        assert!(too_wide(Path::new("/var/tmp"), None).is_none());
    }

    #[test]
    fn within_compares_whole_components() {
        let roots = [PathBuf::from("/w/logs")];
        assert!(within(Path::new("/w/logs/a.log"), &roots));
        assert!(within(Path::new("/w/logs"), &roots));
        assert!(!within(Path::new("/w/logs2/a.log"), &roots));
    }
}
