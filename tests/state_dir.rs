//! The state dir is the user's alone: made private (dirs 0700, files 0600) as it is created,
//! refused when someone else owns it or may write to it, never a shared fallback, and its
//! files are not written through symlinks. Services still get the user's own umask.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::cli::Env;
use common::eventually;

const T: Duration = Duration::from_secs(20);

/// `uc ARGS` for `env`, started the way a user with `umask` would start it.
fn uc_with_umask(env: &Env, umask: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_uc"))
        .arg("-f")
        .arg(&env.file)
        .args(args)
        .current_dir(&env.dir)
        .env_remove("TMUX")
        .env_remove("TMUX_PANE");
    for (k, v) in env.envs() {
        cmd.env(k, v);
    }
    cmd.output().expect("run uc")
}

/// Every path under `dir` (itself included) that group or others may use.
fn open_to_others(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            found.push(format!("{} {mode:o}", path.display()));
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                stack.push(entry.path());
            }
        }
    }
    found
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn everything_under_the_state_dir_is_private_while_services_keep_the_users_umask() {
    let env = Env::new(
        r#"
  keep:
    command: "umask > umask.txt; touch made.txt; echo hello; exec sleep 300"
    readiness: { exec: "test -f made.txt", interval: 100ms }
"#,
    );
    let out = uc_with_umask(&env, "0002", &["up"]);
    assert!(out.status.success(), "uc up: {}", stderr(&out));
    let ws = env.state.join(&env.workspace);
    let umask = env.dir.join("umask.txt");
    assert!(
        eventually(T, || env.dir.join("made.txt").exists()),
        "the service never ran"
    );
    assert_eq!(
        std::fs::read_to_string(&umask).expect("umask").trim(),
        "0002"
    );
    let made = std::fs::metadata(env.dir.join("made.txt")).expect("made.txt");
    assert_eq!(
        made.mode() & 0o777,
        0o664,
        "the service's file keeps its umask"
    );
    // What the engine, the log capture and the stores create once a line has arrived.
    let wanted = ["engine.sock", "uc.log", "tmux.conf", "config.db", "heal.db"];
    let store = ws.join("logs").join("store");
    assert!(
        eventually(T, || wanted.iter().all(|f| ws.join(f).exists())
            && ws.join("logs/keep.log").exists()
            && store.exists()),
        "state files missing in {}",
        ws.display()
    );
    assert_eq!(open_to_others(&env.state), Vec::<String>::new());
    for dir in [&env.state, &ws] {
        let mode = std::fs::metadata(dir).expect("dir").mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
    env.ok(&["down"]);
}

#[test]
fn a_state_dir_others_may_write_to_is_refused_and_nothing_starts() {
    let env = Env::new("  idle: { command: exec sleep 300 }\n");
    std::fs::create_dir_all(&env.state).expect("state");
    std::fs::set_permissions(&env.state, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let out = env.run(&["up"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let shown = env.state.display().to_string();
    assert!(
        err.contains(&format!("refusing to use {shown}")) && err.contains("chmod 700"),
        "{err}"
    );
    assert!(
        !env.state.join(&env.workspace).exists(),
        "nothing is made in it"
    );
    assert_eq!(env.private.tmux(&["list-sessions"]), "", "no tmux server");

    std::fs::set_permissions(&env.state, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let ws = env.state.join(&env.workspace);
    std::fs::create_dir(&ws).expect("ws dir");
    nix::unistd::chown(&ws, Some(nix::unistd::Uid::from_raw(65534)), None).expect("chown");
    let out = env.run(&["status"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!("refusing to use {}", ws.display()))
            && err.contains("belongs to uid 65534"),
        "{err}"
    );
    assert_eq!(env.private.tmux(&["list-sessions"]), "", "no tmux server");
}

/// `uc up` with neither `UC_STATE_DIR`, `XDG_STATE_HOME` nor `HOME`, and `TMPDIR` in the
/// test's own temp dir (where a fallback would have gone).
fn homeless(env: &Env, runtime: Option<&Path>, tmp: &Path, args: &[&str]) -> Output {
    let mut cmd = env.uc(args);
    cmd.env_remove("UC_STATE_DIR")
        .env_remove("XDG_STATE_HOME")
        .env_remove("HOME")
        .env_remove("XDG_RUNTIME_DIR")
        .env("TMPDIR", tmp);
    if let Some(dir) = runtime {
        cmd.env("XDG_RUNTIME_DIR", dir);
    }
    cmd.output().expect("run uc")
}

#[test]
fn without_a_home_the_state_goes_to_the_runtime_dir_never_to_a_shared_one() {
    let env = Env::new("  idle: { command: exec sleep 300 }\n");
    let tmp = env.state.with_file_name("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let out = homeless(&env, None, &tmp, &["up"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("no private place for uc's state"), "{err}");
    assert_eq!(std::fs::read_dir(&tmp).expect("tmp").count(), 0);
    assert_eq!(env.private.tmux(&["list-sessions"]), "", "no tmux server");

    let runtime: PathBuf = env.state.with_file_name("run");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    let out = homeless(&env, Some(&runtime), &tmp, &["up"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        runtime
            .join("uc")
            .join(&env.workspace)
            .join("engine.sock")
            .exists()
    );
    let out = homeless(&env, Some(&runtime), &tmp, &["down"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn state_files_are_never_written_through_a_symlink() {
    let env = Env::new("  idle: { command: exec sleep 300 }\n");
    let ws = env.state.join(&env.workspace);
    std::fs::create_dir_all(&ws).expect("ws dir");
    for dir in [&env.state, &ws] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    let outside = env.state.with_file_name("outside");
    std::fs::create_dir_all(&outside).expect("outside");
    for name in ["uc.log", "tmux.conf"] {
        let target = outside.join(name);
        std::fs::write(&target, "not uc's\n").expect("target");
        std::os::unix::fs::symlink(&target, ws.join(name)).expect("symlink");
    }
    env.ok(&["up"]);
    for name in ["uc.log", "tmux.conf"] {
        let text = std::fs::read_to_string(outside.join(name)).expect("target");
        assert_eq!(text, "not uc's\n", "{name} was written through its symlink");
    }
    let conf = std::fs::symlink_metadata(ws.join("tmux.conf")).expect("tmux.conf");
    assert!(conf.is_file(), "tmux.conf is uc's own file again");
    env.ok(&["down"]);
}
