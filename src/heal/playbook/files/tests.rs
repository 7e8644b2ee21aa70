use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

use globset::Glob;

use super::*;

#[test]
fn ages_read_in_sensible_units() {
    assert_eq!(age_text(Duration::from_secs(40)), "40 s old");
    assert_eq!(age_text(Duration::from_secs(600)), "10 min old");
    assert_eq!(age_text(Duration::from_secs(5 * 3600)), "5 hours old");
    assert_eq!(age_text(Duration::from_secs(9 * 86_400)), "9 days old");
}

/// A workspace with `logs/sub/<name>` (the root is `logs`) and, outside it, a directory
/// holding a canary of the same name.
struct Swap {
    _tmp: tempfile::TempDir,
    logs: PathBuf,
    outside: PathBuf,
}

const CANARY: &[u8] = b"must survive";

impl Swap {
    fn new(name: &str) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let (logs, outside) = (base.join("logs"), base.join("outside"));
        fs::create_dir_all(logs.join("sub")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(logs.join("sub").join(name), vec![b'x'; 4096]).unwrap();
        fs::write(outside.join(name), CANARY).unwrap();
        Self {
            _tmp: tmp,
            logs,
            outside,
        }
    }

    fn roots(&self) -> Vec<PathBuf> {
        vec![self.logs.clone()]
    }

    /// What an attacker does between the check and the action: the checked directory
    /// moves aside and a symlink to the outside takes its place.
    fn swap(&self) {
        fs::rename(self.logs.join("sub"), self.logs.join("sub.moved")).unwrap();
        symlink(&self.outside, self.logs.join("sub")).unwrap();
    }

    fn outside_names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn canary(&self, name: &str) -> Vec<u8> {
        fs::read(self.outside.join(name)).unwrap()
    }
}

#[test]
fn delete_acts_in_the_directory_it_checked_not_in_a_symlink_swapped_in() {
    let s = Swap::new("old.log.1");
    let pattern = Glob::new("**/*.log.*").unwrap().compile_matcher();
    let plan = plan_delete(&s.logs, &pattern, None, &s.roots()).unwrap();
    assert_eq!(plan.ops.len(), 1);
    s.swap();
    let actions = apply(plan.ops, false, false);
    assert_eq!(actions[0].outcome, Outcome::Done);
    assert_eq!(s.canary("old.log.1"), CANARY);
    assert!(
        !s.logs.join("sub.moved/old.log.1").exists(),
        "the checked file went"
    );
}

#[test]
fn truncate_acts_in_the_directory_it_checked_not_in_a_symlink_swapped_in() {
    let s = Swap::new("api.log");
    let plan = plan_truncate(&s.logs.join("sub/api.log"), None, &s.roots()).unwrap();
    s.swap();
    let actions = apply(plan.ops, false, false);
    assert_eq!(actions[0].outcome, Outcome::Done);
    assert_eq!(s.canary("api.log"), CANARY);
    assert_eq!(
        fs::metadata(s.logs.join("sub.moved/api.log"))
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn rotate_acts_in_the_directory_it_checked_not_in_a_symlink_swapped_in() {
    let s = Swap::new("worker.log");
    let file = s.logs.join("sub/worker.log");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let plan = plan_rotate(&file, None, 3, &s.roots()).unwrap();
    s.swap();
    let actions = apply(plan.ops, false, true);
    assert!(
        actions.iter().all(|a| a.outcome == Outcome::Done),
        "{actions:?}"
    );
    assert_eq!(s.outside_names(), ["worker.log"]);
    assert_eq!(s.canary("worker.log"), CANARY);
    let moved = s.logs.join("sub.moved");
    assert_eq!(
        fs::metadata(moved.join("worker.log.1")).unwrap().len(),
        4096
    );
    let fresh = fs::metadata(moved.join("worker.log")).unwrap();
    assert_eq!(
        (fresh.len(), fresh.permissions().mode() & 0o777),
        (0, 0o640)
    );
}

#[test]
fn a_symlink_on_the_way_to_a_checked_directory_is_refused() {
    let s = Swap::new("a.log");
    symlink(&s.outside, s.logs.join("link")).unwrap();
    let e = HeldDir::open(&s.logs.join("link")).unwrap_err();
    assert!(held::is_symlink_refusal(&e), "{e}");
    let e = HeldDir::open(&s.logs.join("link/deeper")).unwrap_err();
    assert!(held::is_symlink_refusal(&e), "{e}");
    assert_eq!(
        refused(Path::new("./logs/link"), e).to_string(),
        "refused: ./logs/link was replaced by a symlink after it was checked"
    );
    let held = HeldDir::open(&s.logs.join("sub")).unwrap();
    assert!(
        held.child(OsStr::new("a.log")).is_err(),
        "a file is no directory"
    );
}
