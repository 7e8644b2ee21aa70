//! Starting one service in its tmux window.

use std::collections::BTreeMap;
use std::path::Path;

use super::process::{self, INSTANCE_ENV, ProcId};
use super::tmux::{SERVICE_OPTION, Spawn, Tmux};
use crate::config::Service;
use crate::engine::Paths;

/// Where a service runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneRef {
    pub pane_id: String,
    pub window_id: String,
}

/// A service that is running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    pub pane: PaneRef,
    pub root: ProcId,
    pub started_at: u64,
}

/// Everything a launch task needs, owned so it can move into the task.
pub struct LaunchJob {
    pub tmux: Tmux,
    pub paths: Paths,
    pub workspace: String,
    pub spec: Service,
    pub instance: String,
    /// The service's existing window, reused (its scrollback keeps the previous run).
    pub pane: Option<PaneRef>,
}

/// Variables every service gets on top of its own `env`.
pub fn service_env(
    spec: &Service,
    workspace: &str,
    paths: &Paths,
    instance: &str,
) -> BTreeMap<String, String> {
    let mut env = spec.env.clone();
    env.insert("UC_WORKSPACE".into(), workspace.into());
    env.insert("UC_SERVICE".into(), spec.name.clone());
    env.insert(
        "UC_STATE_DIR".into(),
        paths.dir.to_string_lossy().into_owned(),
    );
    env.insert(INSTANCE_ENV.into(), instance.into());
    env
}

impl LaunchJob {
    pub async fn run(self) -> Result<Launched, String> {
        if !self.spec.cwd.is_dir() {
            return Err(format!(
                "working directory {} does not exist",
                self.spec.cwd.display()
            ));
        }
        let env = service_env(&self.spec, &self.workspace, &self.paths, &self.instance);
        let spawn = Spawn {
            argv: vec!["/bin/sh".into(), "-c".into(), self.spec.command.clone()],
            cwd: &self.spec.cwd,
            env,
        };
        // Respawning the known pane at once spares a round trip; when its window was closed
        // (or the server is gone), a new one takes its place.
        let reused = match &self.pane {
            Some(pane) => match self.tmux.respawn_pane(&pane.pane_id, &spawn, true).await {
                Ok(pid) => Some((pane.clone(), pid)),
                Err(e) if e.is_missing() => None,
                Err(e) => return Err(e.to_string()),
            },
            None => None,
        };
        let (pane, pid) = match reused {
            Some(reused) => reused,
            None => {
                let pane = self.new_window().await?;
                let pid = self
                    .tmux
                    .respawn_pane(&pane.pane_id, &spawn, true)
                    .await
                    .map_err(|e| e.to_string())?;
                (pane, pid)
            }
        };
        let stat = process::read_stat(pid);
        let root = ProcId {
            pid,
            start_ticks: stat.map_or(0, |s| s.start_ticks),
        };
        let started_at = stat.map_or_else(crate::engine::now_ms, |s| {
            process::started_at_ms(s.start_ticks)
        });
        Ok(Launched {
            pane,
            root,
            started_at,
        })
    }

    /// A window holding a placeholder until its output is piped to the service's log file:
    /// the service itself is started by respawning the pane, so no early line is lost.
    async fn new_window(&self) -> Result<PaneRef, String> {
        let log = self.paths.service_log(&self.spec.name);
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let placeholder = Spawn {
            argv: vec!["sleep".into(), "2147483647".into()],
            cwd: Path::new("/"),
            env: BTreeMap::new(),
        };
        let session = &self.paths.tmux_session;
        let name = &self.spec.name;
        // Without a session (an engine started outside tmux) the first window creates it; a
        // parallel launch may win that race, then a plain new window is right.
        let pane = if self.tmux.has_session(session).await {
            self.tmux
                .new_window(session, name, &placeholder, false)
                .await
        } else {
            match self.tmux.new_session(session, name, &placeholder).await {
                Ok(pane) => Ok(pane),
                Err(_) => {
                    self.tmux
                        .new_window(session, name, &placeholder, false)
                        .await
                }
            }
        }
        .map_err(|e| e.to_string())?;
        let window = pane.window_id.clone();
        // The pane must outlive the service's process so its exit status can be read.
        for (option, value) in [(SERVICE_OPTION, name.as_str()), ("remain-on-exit", "on")] {
            self.tmux
                .set_window_option(&window, option, value)
                .await
                .map_err(|e| e.to_string())?;
        }
        self.tmux
            .pipe_to_file(&pane.pane_id, &log)
            .await
            .map_err(|e| e.to_string())?;
        Ok(PaneRef {
            pane_id: pane.pane_id,
            window_id: window,
        })
    }
}

/// A value unique to one run of one service, inherited by all its processes.
pub fn new_instance(workspace: &str, service: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{workspace}/{service}/{}-{nanos:x}", std::process::id())
}
