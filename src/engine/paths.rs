//! Where a workspace keeps its runtime files, and the name of its tmux server.

use std::path::{Path, PathBuf};

/// Runtime files of one workspace: lock, socket, service records, captured output, `uc`'s log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `<state>/<workspace>/`
    pub dir: PathBuf,
    /// `tmux -L <name>` of the workspace's private server.
    pub tmux_socket: String,
    /// The tmux session holding the workspace's windows.
    pub tmux_session: String,
}

impl Paths {
    /// Paths for `workspace`, honouring `UC_STATE_DIR` and `UC_TMUX_SOCKET` (tests and
    /// side-by-side installs use them to stay apart).
    pub fn for_workspace(workspace: &str) -> Self {
        let base = state_base();
        let tmux_socket = std::env::var("UC_TMUX_SOCKET")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("uc-{}", sanitize(workspace)));
        Self::new(&base, workspace, tmux_socket)
    }

    pub fn new(base: &Path, workspace: &str, tmux_socket: String) -> Self {
        Self {
            dir: base.join(sanitize(workspace)),
            tmux_socket,
            tmux_session: sanitize(workspace),
        }
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("engine.sock")
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

    /// `uc`'s own tracing log.
    pub fn uc_log(&self) -> PathBuf {
        self.dir.join("uc.log")
    }

    /// The tmux configuration file the private server starts with.
    pub fn tmux_conf(&self) -> PathBuf {
        self.dir.join("tmux.conf")
    }
}

/// Create `dir` (and parents) readable by the user only: it holds the engine's socket.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Where every workspace's state lives: `UC_STATE_DIR`, else `$XDG_STATE_HOME/uc`, else
/// `~/.local/state/uc`. Files that belong to no workspace (file indexes) live here too.
pub fn state_base() -> PathBuf {
    std::env::var_os("UC_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(default_state_base)
}

fn default_state_base() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("uc");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/state/uc"),
        None => std::env::temp_dir().join("uc-state"),
    }
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
}
