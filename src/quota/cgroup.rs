//! Memory and CPU quotas held by the kernel: a cgroup v2 group of the workspace's own
//! (`uc-<workspace>` beside or under the engine's group) with `memory.max` and `cpu.max`,
//! each service's main process moved in as it starts (what it forks stays in). Used only
//! when the host delegates it: a unified hierarchy at `/sys/fs/cgroup` whose group we may
//! write, with the memory and cpu controllers available there. Otherwise the engine holds
//! the quotas itself (see the module above).

use std::path::{Path, PathBuf};

use crate::config::Quotas;

const ROOT: &str = "/sys/fs/cgroup";

/// The workspace's group, set up.
#[derive(Debug, Clone)]
pub struct Group {
    pub dir: PathBuf,
}

/// The group, or why the kernel does not hold the quotas here (for the engine's log).
pub fn set_up(workspace: &str, quotas: &Quotas) -> Result<Group, String> {
    let membership = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
    set_up_in(Path::new(ROOT), &membership, workspace, quotas)
}

/// `root`: where the unified hierarchy is mounted; `membership`: `/proc/self/cgroup`.
fn set_up_in(
    root: &Path,
    membership: &str,
    workspace: &str,
    quotas: &Quotas,
) -> Result<Group, String> {
    let own = own_group(root, membership)?;
    let mut tried = Vec::new();
    for parent in [
        own.clone(),
        own.parent().map(Path::to_path_buf).unwrap_or(own),
    ] {
        match make(&parent, workspace, quotas) {
            Ok(group) => return Ok(group),
            Err(e) => tried.push(format!("{}: {e}", parent.display())),
        }
    }
    Err(tried.join("; "))
}

/// The engine's own group in the unified hierarchy.
fn own_group(root: &Path, membership: &str) -> Result<PathBuf, String> {
    if !root.join("cgroup.controllers").exists() {
        return Err(format!("no cgroup v2 hierarchy at {}", root.display()));
    }
    let path = (membership.lines())
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or("the engine is in no cgroup v2 group")?;
    Ok(root.join(path.trim_start_matches('/')))
}

fn make(parent: &Path, workspace: &str, quotas: &Quotas) -> Result<Group, String> {
    let available = read(&parent.join("cgroup.controllers"))?;
    for controller in ["memory", "cpu"] {
        if !available.split_whitespace().any(|c| c == controller) {
            return Err(format!("the {controller} controller is not delegated"));
        }
    }
    let enabled = read(&parent.join("cgroup.subtree_control"))?;
    if !(enabled.contains("memory") && enabled.contains("cpu")) {
        write(&parent.join("cgroup.subtree_control"), "+memory +cpu")?;
    }
    let dir = parent.join(format!("uc-{workspace}"));
    match std::fs::create_dir(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(format!("{}: {e}", dir.display()));
        }
        _ => {}
    }
    let memory = quotas.memory.as_ref().map(|q| q.limit.to_string());
    write(&dir.join("memory.max"), memory.as_deref().unwrap_or("max"))?;
    if memory.is_some() {
        // Past the quota is past it: no swapping out instead.
        let _ = write(&dir.join("memory.swap.max"), "0");
    }
    let cpu = quotas.cpu.as_ref().map_or_else(
        || "max 100000".to_owned(),
        |q| format!("{} 100000", (q.limit * 100_000.0).round() as u64),
    );
    write(&dir.join("cpu.max"), &cpu)?;
    Ok(Group { dir })
}

impl Group {
    /// Moves `pid` (and the threads of its process) into the group.
    pub fn adopt(&self, pid: u32) -> Result<(), String> {
        write(&self.dir.join("cgroup.procs"), &pid.to_string())
    }

    /// How often the kernel killed a process of the group for passing `memory.max`.
    pub fn oom_kills(&self) -> u64 {
        read(&self.dir.join("memory.events"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("oom_kill "))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0)
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Quota;

    fn quotas() -> Quotas {
        Quotas {
            memory: Some(Quota::new(256 << 20)),
            cpu: Some(Quota::new(1.5)),
            ..Quotas::default()
        }
    }

    /// A hierarchy as the kernel shows it: the engine in `/user.slice/engine`.
    fn hierarchy(controllers: &str) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        let own = root.path().join("user.slice/engine");
        std::fs::create_dir_all(&own).expect("own group");
        std::fs::write(root.path().join("cgroup.controllers"), controllers).expect("root");
        for dir in [own.as_path(), own.parent().expect("parent")] {
            std::fs::write(dir.join("cgroup.controllers"), controllers).expect("controllers");
            std::fs::write(dir.join("cgroup.subtree_control"), "").expect("subtree");
        }
        root
    }

    #[test]
    fn the_group_is_made_under_the_engines_own_with_its_limits() {
        let root = hierarchy("cpuset cpu io memory pids");
        let group =
            set_up_in(root.path(), "0::/user.slice/engine\n", "demo", &quotas()).expect("a group");
        assert_eq!(group.dir, root.path().join("user.slice/engine/uc-demo"));
        let read = |f: &str| std::fs::read_to_string(group.dir.join(f)).expect(f);
        assert_eq!(read("memory.max"), (256u64 << 20).to_string());
        assert_eq!(read("cpu.max"), "150000 100000");
        assert_eq!(read("memory.swap.max"), "0");
        let parent = root.path().join("user.slice/engine/cgroup.subtree_control");
        assert_eq!(
            std::fs::read_to_string(parent).expect("subtree"),
            "+memory +cpu"
        );
    }

    #[test]
    fn no_group_without_the_memory_controller_or_a_unified_hierarchy() {
        let root = hierarchy("cpu pids");
        let err = set_up_in(root.path(), "0::/user.slice/engine\n", "demo", &quotas())
            .expect_err("no memory controller");
        assert!(
            err.contains("the memory controller is not delegated"),
            "{err}"
        );
        let v1 = tempfile::tempdir().expect("tempdir");
        let err = set_up_in(v1.path(), "4:memory:/x\n", "demo", &quotas()).expect_err("v1");
        assert!(err.starts_with("no cgroup v2 hierarchy"), "{err}");
    }
}
