//! Every frontend first makes sure the workspace's engine runs: connect to its socket, or
//! start `uc engine` in its own window of the workspace's tmux session and wait until it
//! answers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};

use crate::client::Client;
use crate::config::Source;
use crate::paths::Paths;
use crate::supervisor::tmux::{Pane, Spawn, Tmux, TmuxError};

/// Window option marking the engine's window.
const ENGINE_OPTION: &str = "@uc_engine";
/// How long a starting engine may take to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot start the engine: {0}")]
    Tmux(#[from] TmuxError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    StateDir(#[from] crate::paths::StateDirError),
    #[error("the engine exited while starting:\n{output}")]
    Died { output: String },
    #[error("the engine did not answer within {}s (see {log})", READY_TIMEOUT.as_secs())]
    Timeout { log: String },
    /// Another user's engine runs the workspace and this user may not reach it.
    #[error(
        "cannot connect to the shared workspace's engine at {path} (its owner grants access \
         under `access:` in univers.yaml, and only the owner starts it): {source}"
    )]
    Shared {
        path: String,
        source: crate::client::ClientError,
    },
    #[error("workspace `{0}` is not running, and `--read-only` starts nothing")]
    ReadOnly(String),
    /// The engine answered, refusing this user.
    #[error(transparent)]
    Refused(crate::client::ClientError),
}

/// Variables passed through to the engine (and so to the services' tmux server): they pick
/// the state dir and tmux socket, which tests and side-by-side installs change.
const PASS_ENV: [&str; 3] = ["UC_STATE_DIR", "UC_TMUX_SOCKET", "UC_LOG"];

/// The `PASS_ENV` variables set in this process, for a `uc` started in a tmux window.
pub fn passed_env() -> BTreeMap<String, String> {
    PASS_ENV
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect()
}

pub struct Launcher {
    /// The `uc` binary to run as the engine.
    pub exe: PathBuf,
    pub source: Source,
    pub paths: Paths,
}

impl Launcher {
    pub fn tmux(&self) -> Tmux {
        Tmux::new(self.paths.tmux_socket.clone()).with_config(self.paths.tmux_conf())
    }

    /// A client of the running engine, starting it first when none answers.
    pub async fn connect(&self) -> Result<Client, LaunchError> {
        let client = Client::new(self.paths.socket());
        match client.snapshot().await {
            Ok(_) => return Ok(client),
            Err(refused @ crate::client::ClientError::Refused(_)) => {
                return Err(LaunchError::Refused(refused));
            }
            Err(source) if self.paths.shared.is_some() => {
                let path = self.paths.socket().display().to_string();
                return Err(LaunchError::Shared { path, source });
            }
            Err(_) if crate::client::read_only() => {
                return Err(LaunchError::ReadOnly(self.paths.tmux_session.clone()));
            }
            Err(_) => {}
        }
        // Several `uc` commands may find no engine at once; one starts it, the others wait
        // for that and then find it answering.
        let _starting = self.launch_lock().await?;
        if client.snapshot().await.is_ok() {
            return Ok(client);
        }
        let tmux = self.tmux();
        self.write_tmux_conf()?;
        let pane = match self.engine_pane(&tmux).await? {
            Some(pane) if !pane.dead => pane,
            Some(dead) => {
                tmux.kill_window(&dead.window_id).await?;
                self.start_engine(&tmux).await?
            }
            None => self.start_engine(&tmux).await?,
        };
        self.wait_ready(&tmux, &client, &pane).await?;
        Ok(client)
    }

    /// Held while one launcher starts the engine; released on drop.
    async fn launch_lock(&self) -> Result<Flock<std::fs::File>, LaunchError> {
        let path = self.paths.dir.join("launch.lock");
        let io = |source| LaunchError::Io {
            path: path.display().to_string(),
            source,
        };
        self.paths.prepare()?;
        let file = crate::paths::private_file()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        tokio::task::spawn_blocking(move || Flock::lock(file, FlockArg::LockExclusive))
            .await
            .map_err(|e| io(std::io::Error::other(e)))?
            .map_err(|(_, errno)| io(errno.into()))
    }

    async fn engine_pane(&self, tmux: &Tmux) -> Result<Option<Pane>, TmuxError> {
        let panes = tmux.list_panes(&self.paths.tmux_session).await?;
        let engine = panes
            .into_iter()
            .find(|p| p.window_name == "engine" && p.service.is_none());
        Ok(engine)
    }

    async fn start_engine(&self, tmux: &Tmux) -> Result<Pane, LaunchError> {
        let mut argv = vec![self.exe.to_string_lossy().into_owned()];
        argv.extend(self.source.args());
        argv.push("engine".into());
        let env = passed_env();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let spawn = Spawn {
            argv,
            cwd: &cwd,
            env,
        };
        let session = &self.paths.tmux_session;
        let pane = if tmux.has_session(session).await {
            tmux.new_window(session, "engine", &spawn, false).await?
        } else {
            tmux.new_session(session, "engine", &spawn).await?
        };
        tmux.set_window_option(&pane.window_id, ENGINE_OPTION, "1")
            .await?;
        Ok(pane)
    }

    async fn wait_ready(
        &self,
        tmux: &Tmux,
        client: &Client,
        pane: &Pane,
    ) -> Result<(), LaunchError> {
        let start = Instant::now();
        let mut delay = Duration::from_millis(10);
        while start.elapsed() < READY_TIMEOUT {
            if client.snapshot().await.is_ok() {
                return Ok(());
            }
            if let Ok(Some(now)) = tmux.pane(&pane.pane_id).await
                && now.dead
            {
                let output = tmux.capture(&pane.pane_id).await.unwrap_or_default();
                let _ = tmux.kill_window(&pane.window_id).await;
                return Err(LaunchError::Died {
                    output: output.trim().to_string(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(100));
        }
        Err(LaunchError::Timeout {
            log: self.paths.uc_log().display().to_string(),
        })
    }

    /// The private server loads the user's own tmux config (their prefix and keys work in
    /// service windows), then what `uc` relies on.
    fn write_tmux_conf(&self) -> Result<(), LaunchError> {
        let io = |source| LaunchError::Io {
            path: self.paths.tmux_conf().display().to_string(),
            source,
        };
        self.paths.prepare()?;
        let mut conf = String::from("# Written by uc for the workspace's private tmux server.\n");
        if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
            for user in [home.join(".tmux.conf"), home.join(".config/tmux/tmux.conf")] {
                if user.is_file() {
                    conf.push_str(&format!("source-file '{}'\n", user.display()));
                }
            }
        }
        conf.push_str(concat!(
            "set -g remain-on-exit on\n",
            "set -g base-index 0\n",
            "set -g renumber-windows off\n",
            "set -g history-limit 50000\n",
            "set -g status-left '[uc #S] '\n",
            "set -g status-left-length 30\n",
        ));
        crate::paths::write_private(&self.paths.tmux_conf(), conf.as_bytes()).map_err(io)
    }
}
