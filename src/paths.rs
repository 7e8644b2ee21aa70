//! Where a workspace keeps its runtime files, and the name of its tmux server. Everything
//! there is the user's alone: `uc` runs with umask 077 (dirs 0700, files 0600 as they are
//! made), and a state dir someone else owns or may write to is refused.

use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nix::sys::stat::Mode;

/// Runtime files of one workspace: lock, socket, service records, captured output, `uc`'s log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `<state>/<workspace>/`
    pub dir: PathBuf,
    /// `tmux -L <name>` of the workspace's private server.
    pub tmux_socket: String,
    /// The tmux session holding the workspace's windows.
    pub tmux_session: String,
    /// The socket of another user's engine this workspace is shared from (`access:`).
    pub shared: Option<PathBuf>,
}

/// Why `uc` will not keep its state somewhere.
#[derive(Debug, thiserror::Error)]
pub enum StateDirError {
    #[error(
        "no private place for uc's state: HOME and XDG_RUNTIME_DIR are unset (set \
         UC_STATE_DIR to a directory only you can write)"
    )]
    Nowhere,
    #[error(
        "refusing to use {path}: it belongs to uid {owner}, not to you (uid {uid}); point \
         UC_STATE_DIR at a directory of your own"
    )]
    NotOwned { path: String, owner: u32, uid: u32 },
    #[error(
        "refusing to use {path}: other users may write to it (mode {mode:03o}); fix: chmod 700 {path}"
    )]
    Writable { path: String, mode: u32 },
    #[error("cannot use {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl StateDirError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

impl Paths {
    /// Paths for `workspace`, honouring `UC_STATE_DIR` and `UC_TMUX_SOCKET` (tests and
    /// side-by-side installs use them to stay apart). A state dir that exists must be safe
    /// (see [`Paths::prepare`]) before anything in it is used, its socket included.
    pub fn for_workspace(workspace: &str) -> Result<Self, StateDirError> {
        let base = state_base()?;
        let tmux_socket = std::env::var("UC_TMUX_SOCKET")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("uc-{}", sanitize(workspace)));
        let paths = Self::new(&base, workspace, tmux_socket);
        for dir in [&base, &paths.dir] {
            match std::fs::metadata(dir) {
                Ok(meta) => check_private(dir, &meta)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateDirError::io(dir)(e)),
            }
        }
        Ok(paths)
    }

    pub fn new(base: &Path, workspace: &str, tmux_socket: String) -> Self {
        Self {
            dir: base.join(sanitize(workspace)),
            tmux_socket,
            tmux_session: sanitize(workspace),
            shared: None,
        }
    }

    /// When the workspace's shared socket directory (beside its file, see [`shared_dir`])
    /// belongs to another user, that user's engine is the workspace's: talk to it, never
    /// start one of our own.
    pub fn with_shared(mut self, workspace_dir: &Path, workspace: &str) -> Self {
        let dir = shared_dir(workspace_dir, workspace);
        let uid = nix::unistd::geteuid().as_raw();
        if let Ok(meta) = std::fs::symlink_metadata(&dir)
            && meta.is_dir()
            && meta.uid() != uid
        {
            self.shared = Some(dir.join("engine.sock"));
        }
        self
    }

    /// Create the state dir and the workspace's dir in it (0700) if need be, and check them:
    /// ours, and nobody else may write there.
    pub fn prepare(&self) -> Result<(), StateDirError> {
        if let Some(base) = self.dir.parent() {
            private_dir(base)?;
        }
        private_dir(&self.dir)
    }

    pub fn socket(&self) -> PathBuf {
        (self.shared.clone()).unwrap_or_else(|| self.dir.join("engine.sock"))
    }

    /// A deployed service's repository mirror, releases and `current`.
    pub fn deploys(&self, service: &str) -> PathBuf {
        self.dir.join("deploys").join(sanitize(service))
    }

    /// The deploy history.
    pub fn deploys_db(&self) -> PathBuf {
        self.dir.join("deploys.db")
    }

    pub fn lock(&self) -> PathBuf {
        self.dir.join("engine.lock")
    }

    /// What the engine knows of running services, for adoption by the next engine.
    pub fn records(&self) -> PathBuf {
        self.dir.join("services.json")
    }

    /// Captured pane output of one service.
    pub fn service_log(&self, service: &str) -> PathBuf {
        self.dir
            .join("logs")
            .join(format!("{}.log", sanitize(service)))
    }

    /// Metric history (SQLite).
    /// The logs worker's store of every source's lines.
    pub fn log_store(&self) -> PathBuf {
        self.dir.join("logs").join("store")
    }

    /// Where the logs worker read each followed file to.
    pub fn log_positions(&self) -> PathBuf {
        self.dir.join("logs").join("positions.json")
    }

    /// What healing did: restarts, give-ups, probe changes, playbook runs.
    pub fn heal_db(&self) -> PathBuf {
        self.dir.join("heal.db")
    }

    pub fn history(&self) -> PathBuf {
        self.dir.join("history.db")
    }

    /// Alert state, silences and alert history (SQLite).
    /// Applied config revisions.
    pub fn config_db(&self) -> PathBuf {
        self.dir.join("config.db")
    }

    /// The environment chosen last, so an engine restart comes back in it.
    pub fn environment_file(&self) -> PathBuf {
        self.dir.join("environment")
    }

    pub fn alerts_db(&self) -> PathBuf {
        self.dir.join("alerts.db")
    }

    /// Notifications waiting to be delivered, and every delivery attempt (SQLite).
    pub fn outbox_db(&self) -> PathBuf {
        self.dir.join("outbox.db")
    }

    /// Mutating calls the local user made through the socket, before `audit.jsonl`: read
    /// by `uc audit` for the history it holds (`store::audit`).
    pub fn audit_db(&self) -> PathBuf {
        self.dir.join("audit.db")
    }

    /// Every mutating action on this workspace, hash-chained (`store::audit::chain`).
    pub fn audit_log(&self) -> PathBuf {
        self.dir.join("audit.jsonl")
    }

    /// Incoming webhook deliveries: each verified one, by hook and delivery id (SQLite).
    pub fn hooks_db(&self) -> PathBuf {
        self.dir.join("hooks.db")
    }

    /// Outgoing webhook deliveries: an outbox of their own, so alert history stays the
    /// alerts' (SQLite, `alerts::outbox`).
    pub fn webhooks_outbox(&self) -> PathBuf {
        self.dir.join("webhooks.db")
    }

    /// `uc`'s own tracing log.
    pub fn uc_log(&self) -> PathBuf {
        self.dir.join("uc.log")
    }

    /// The tmux configuration file the private server starts with.
    pub fn tmux_conf(&self) -> PathBuf {
        self.dir.join("tmux.conf")
    }
}

/// Create `dir` (and missing parents) as 0700, or check the one that is there.
/// Where an engine whose workspace declares `access:` keeps the socket other users reach:
/// `.uc-<workspace>/` beside the workspace file, 0700 while nobody else is granted, else
/// 0770 owned by `access.group`.
pub fn shared_dir(workspace_dir: &Path, workspace: &str) -> PathBuf {
    workspace_dir.join(format!(".uc-{}", sanitize(workspace)))
}

pub fn private_dir(dir: &Path) -> Result<(), StateDirError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(StateDirError::io(dir))?;
    let meta = std::fs::metadata(dir).map_err(StateDirError::io(dir))?;
    check_private(dir, &meta)
}

/// Ours, and not writable by anyone else. One that others may only read (an older `uc`
/// made them 0755) is closed to them: nobody else can have put anything in it.
fn check_private(dir: &Path, meta: &std::fs::Metadata) -> Result<(), StateDirError> {
    let uid = nix::unistd::geteuid().as_raw();
    let path = || dir.display().to_string();
    if meta.uid() != uid {
        return Err(StateDirError::NotOwned {
            path: path(),
            owner: meta.uid(),
            uid,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(StateDirError::Writable { path: path(), mode });
    }
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(StateDirError::io(dir))?;
    }
    Ok(())
}

/// Options for a file `uc` keeps in the state dir: created 0600, and never through a
/// symlink (`O_NOFOLLOW`).
pub fn private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    options
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
    options
}

/// Write `path` whole: a new file (created exclusively, 0600) renamed over it, so a reader
/// never sees half of it and a symlink in its place is replaced, not followed.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let written = private_file()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The user's umask, before [`private_umask`] replaced it.
static USER_UMASK: OnceLock<Mode> = OnceLock::new();

/// Everything this process creates is the user's alone (dirs 0700, files 0600): SQLite's
/// files, captured output, logs, sockets. The first thing every `uc` process does, except
/// a service's runner, whose child must run with the user's own umask.
pub fn private_umask() {
    let user = nix::sys::stat::umask(Mode::from_bits_truncate(0o077));
    let _ = USER_UMASK.set(user);
}

/// The umask the user started `uc` with: what services run with (their files are theirs
/// to share).
pub fn user_umask() -> Mode {
    USER_UMASK.get().copied().unwrap_or_else(current_umask)
}

/// Read, not set and restored: another thread may be creating a file meanwhile.
fn current_umask() -> Mode {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bits = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .unwrap_or(0o022);
    Mode::from_bits_truncate(bits)
}

/// The base of every workspace's state, as services get it (see [`state_base`]).
pub const STATE_BASE_ENV: &str = "UC_STATE_BASE";

/// Where every workspace's state lives: `UC_STATE_DIR`, else `$XDG_STATE_HOME/uc`, else
/// `~/.local/state/uc`, else `$XDG_RUNTIME_DIR/uc` (private to the user by definition);
/// never a shared directory such as `/tmp`. Files that belong to no workspace (file
/// indexes) live here too. `UC_STATE_BASE` comes first: a service's `UC_STATE_DIR` is its
/// own workspace's directory, so the supervisor hands it the base too, and a `uc` the
/// service runs (`uc serve` as a service, a script calling `uc status`) sees every workspace.
pub fn state_base() -> Result<PathBuf, StateDirError> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var(STATE_BASE_ENV).or_else(|| var("UC_STATE_DIR")) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(xdg) = var("XDG_STATE_HOME") {
        return Ok(PathBuf::from(xdg).join("uc"));
    }
    if let Some(home) = var("HOME") {
        return Ok(PathBuf::from(home).join(".local/state/uc"));
    }
    var("XDG_RUNTIME_DIR")
        .map(|run| PathBuf::from(run).join("uc"))
        .ok_or(StateDirError::Nowhere)
}

/// Workspace and service names become file and tmux names: keep them to a safe alphabet.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized_for_files_and_tmux() {
        let p = Paths::new(Path::new("/s"), "my ws.1", "uc-x".into());
        assert_eq!(p.dir, PathBuf::from("/s/my_ws_1"));
        assert_eq!(p.tmux_session, "my_ws_1");
        assert_eq!(
            p.service_log("a/b"),
            PathBuf::from("/s/my_ws_1/logs/a_b.log")
        );
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("metadata").mode() & 0o777
    }

    #[test]
    fn private_dirs_are_made_0700_and_a_readable_one_is_closed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let made = tmp.path().join("a/b");
        private_dir(&made).expect("made");
        assert_eq!((mode(&tmp.path().join("a")), mode(&made)), (0o700, 0o700));
        std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        private_dir(&made).expect("still ours");
        assert_eq!(mode(&made), 0o700);
        std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o730)).expect("chmod");
        let err = private_dir(&made).expect_err("group may write");
        assert_eq!(
            err.to_string(),
            format!(
                "refusing to use {0}: other users may write to it (mode 730); fix: chmod 700 {0}",
                made.display()
            )
        );
    }

    #[test]
    fn private_files_are_not_opened_through_symlinks() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let target = tmp.path().join("target");
        std::fs::write(&target, "x").expect("target");
        let link = tmp.path().join("engine.lock");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(
            private_file()
                .append(true)
                .create(true)
                .open(&link)
                .is_err()
        );
        write_private(&link, b"conf").expect("replaced");
        assert_eq!(std::fs::read_to_string(&target).expect("target"), "x");
        assert_eq!(std::fs::read_to_string(&link).expect("file"), "conf");
        assert_eq!(mode(&link), 0o600);
    }
}
