//! Real Unix users and groups for the tests of `access:` (CI runs as root): made with
//! `useradd`/`groupadd` under unique names, removed when dropped even if the test failed.

use std::process::{Command, Output};

use super::cli::Env;

/// A Unix group, deleted on drop.
pub struct UnixGroup {
    pub name: String,
}

impl UnixGroup {
    pub fn new(tag: &str) -> Self {
        require_root();
        let name = short_name(tag);
        run("groupadd", &[&name]);
        Self { name }
    }
}

impl Drop for UnixGroup {
    fn drop(&mut self) {
        let _ = Command::new("groupdel").arg(&self.name).output();
    }
}

/// A Unix user with a home of its own, deleted (home and all) on drop.
pub struct UnixUser {
    pub name: String,
}

impl UnixUser {
    /// A new user, a member of `groups` besides its own.
    pub fn new(tag: &str, groups: &[&UnixGroup]) -> Self {
        require_root();
        let name = short_name(tag);
        let mut args = vec!["-m", "-s", "/bin/sh", "-U"];
        let list = groups
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(",");
        if !list.is_empty() {
            args.extend(["-G", &list]);
        }
        args.push(&name);
        run("useradd", &args);
        Self { name }
    }

    pub fn home(&self) -> String {
        format!("/home/{}", self.name)
    }

    /// The shell line that runs `uc -f <env's file> ARGS` as this user, in the workspace's
    /// directory, with nothing of root's environment but the terminal.
    pub fn uc_line(&self, env: &Env, args: &str) -> String {
        format!(
            "runuser -u {} -- env -i TERM=$TERM HOME={} PATH=/usr/bin:/bin {} -f {} {args}",
            self.name,
            self.home(),
            env!("CARGO_BIN_EXE_uc"),
            env.file.display(),
        )
    }

    /// `uc -f <env's file> ARGS` run as this user.
    pub fn uc(&self, env: &Env, args: &[&str]) -> Output {
        Command::new("runuser")
            .args(["-u", &self.name, "--", "env", "-i"])
            .arg(format!("HOME={}", self.home()))
            .arg("PATH=/usr/bin:/bin")
            .arg(env!("CARGO_BIN_EXE_uc"))
            .arg("-f")
            .arg(&env.file)
            .args(args)
            .current_dir(&env.dir)
            .output()
            .expect("runuser")
    }
}

impl Drop for UnixUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").args(["-r", &self.name]).output();
    }
}

/// The workspace's directory (and the temp dir above it) open for others to enter and
/// read, as a project directory shared on a host is.
pub fn open_to_others(env: &Env) {
    use std::os::unix::fs::PermissionsExt;
    let open = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    if let Some(tmp) = env.dir.parent() {
        open(tmp, 0o755);
    }
    open(&env.dir, 0o755);
    open(&env.file, 0o644);
}

fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test makes Unix users: run it as root (CI does)"
    );
}

/// Unique and within the 32 characters `useradd` takes.
fn short_name(tag: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("uc{tag}{}x{n}", std::process::id())
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().expect(program);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
