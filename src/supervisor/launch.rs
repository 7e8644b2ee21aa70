//! Starting one service in its tmux window.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::runner::{self, Connected, NoRunner};
use super::secret_env::{SecretEnv, SecretEnvError};
use super::tmux::{SERVICE_OPTION, Spawn, Tmux, TmuxError};
use crate::config::Service;
use crate::paths::Paths;
use crate::procfs::process::{self, INSTANCE_ENV, ProcId};

/// Where a service runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneRef {
    pub pane_id: String,
    pub window_id: String,
}

/// How long a launch waits for the service's runner to answer.
const RUNNER_PATIENCE: Duration = Duration::from_secs(3);

/// A service that is running.
pub struct Launched {
    pub pane: PaneRef,
    pub root: ProcId,
    pub started_at: u64,
    /// The runner in its pane; `None` when the runner restarted the service in place.
    pub runner: Option<Connected>,
}

/// Why a service did not start; its status and a notice show it.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("working directory {} does not exist", .0.display())]
    NoWorkingDir(PathBuf),
    #[error(transparent)]
    NoRunner(Arc<NoRunner>),
    #[error(transparent)]
    Secrets(#[from] SecretEnvError),
    #[error(transparent)]
    Tmux(#[from] TmuxError),
    /// Neither a new session nor a window in one: `first` says why there is no server.
    #[error("{first}; then {then}")]
    NoSession { first: TmuxError, then: TmuxError },
    #[error("{}: {source}", dir.display())]
    LogDir { dir: PathBuf, source: io::Error },
    #[error("{}: {}", runner::PROGRAM, .0)]
    Unreachable(io::Error),
}

/// Everything a launch task needs, owned so it can move into the task.
pub struct LaunchJob {
    pub tmux: Tmux,
    pub paths: Paths,
    pub workspace: String,
    pub spec: Service,
    pub instance: String,
    /// The `uc` binary, which runs in the pane as the service's runner.
    pub runner: Result<PathBuf, Arc<NoRunner>>,
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
    if let Some(base) = paths.dir.parent() {
        env.insert(
            crate::paths::STATE_BASE_ENV.into(),
            base.to_string_lossy().into_owned(),
        );
    }
    env.insert(INSTANCE_ENV.into(), instance.into());
    env
}

impl LaunchJob {
    pub async fn run(self) -> Result<Launched, LaunchError> {
        if !self.spec.cwd.is_dir() {
            return Err(LaunchError::NoWorkingDir(self.spec.cwd.clone()));
        }
        let socket = runner::socket_name(&self.instance);
        let mut argv = runner::argv(self.runner()?, &socket);
        argv.extend(service_argv(&self.spec.command));
        let mut env = service_env(&self.spec, &self.workspace, &self.paths, &self.instance);
        let secrets = SecretEnv::take(
            &self.paths,
            &self.spec.name,
            &mut env,
            &self.spec.secret_env,
        )?;
        if let Some(secrets) = &secrets {
            argv = secrets.wrap(argv);
        }
        let spawn = Spawn {
            argv,
            cwd: &self.spec.cwd,
            env,
        };
        let (pane, pid) = self.spawn_in_pane(&spawn).await?;
        let runner = reach(&socket, pid).await?;
        let main = runner.pid;
        let stat = process::read_stat(main);
        let root = ProcId {
            pid: main,
            start_ticks: stat.map_or(0, |s| s.start_ticks),
        };
        let started_at = stat.map_or_else(crate::clock::now_ms, |s| {
            process::started_at_ms(s.start_ticks)
        });
        Ok(Launched {
            pane,
            root,
            started_at,
            runner: Some(runner),
        })
    }

    fn runner(&self) -> Result<&Path, LaunchError> {
        match &self.runner {
            Ok(program) => Ok(program),
            Err(none) => Err(LaunchError::NoRunner(none.clone())),
        }
    }

    /// Respawning the known pane at once spares a round trip; when its window was closed (or
    /// the server is gone), a new one takes its place. Returns the pane's process.
    async fn spawn_in_pane(&self, spawn: &Spawn<'_>) -> Result<(PaneRef, u32), LaunchError> {
        if let Some(pane) = &self.pane {
            match self.tmux.respawn_pane(&pane.pane_id, spawn, true).await {
                Ok(pid) => return Ok((pane.clone(), pid)),
                Err(e) if e.is_missing() => {}
                Err(e) => return Err(e.into()),
            }
        }
        let pane = self.new_window().await?;
        let pid = self.tmux.respawn_pane(&pane.pane_id, spawn, true).await?;
        Ok((pane, pid))
    }

    /// A window holding a placeholder until its output is piped to the service's log file:
    /// the service itself is started by respawning the pane, so no early line is lost.
    async fn new_window(&self) -> Result<PaneRef, LaunchError> {
        let log = self.paths.service_log(&self.spec.name);
        if let Some(dir) = log.parent()
            && let Err(source) = std::fs::create_dir_all(dir)
        {
            let dir = dir.to_owned();
            return Err(LaunchError::LogDir { dir, source });
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
                .await?
        } else {
            match self.tmux.new_session(session, name, &placeholder).await {
                Ok(pane) => pane,
                Err(first) => self
                    .tmux
                    .new_window(session, name, &placeholder, false)
                    .await
                    .map_err(|then| LaunchError::NoSession { first, then })?,
            }
        };
        let window = pane.window_id.clone();
        // The pane must outlive the service's process so its exit status can be read.
        for (option, value) in [(SERVICE_OPTION, name.as_str()), ("remain-on-exit", "on")] {
            self.tmux.set_window_option(&window, option, value).await?;
        }
        self.tmux
            .pipe_to_file(&pane.pane_id, &log, self.runner()?)
            .await?;
        Ok(PaneRef {
            pane_id: pane.pane_id,
            window_id: window,
        })
    }
}

/// The runner just started in a pane (`pid`); one that does not answer is killed with the
/// service it may have started (they share its process group): nothing runs unsupervised.
async fn reach(socket: &str, pid: u32) -> Result<Connected, LaunchError> {
    runner::connect(socket, pid, RUNNER_PATIENCE)
        .await
        .map_err(|e| {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(0)),
                nix::sys::signal::Signal::SIGKILL,
            );
            LaunchError::Unreachable(e)
        })
}

/// Words the shell would treat specially in first place: builtins and keywords that are no
/// program of their own.
const SHELL_WORDS: [&str; 38] = [
    "!", ".", ":", "[", "alias", "break", "case", "cd", "command", "continue", "do", "done",
    "elif", "else", "esac", "eval", "exec", "exit", "export", "fi", "for", "getopts", "hash", "if",
    "local", "read", "readonly", "return", "set", "shift", "source", "then", "times", "trap",
    "type", "ulimit", "umask", "unset",
];

/// How `command` is started: directly when it is plain words the shell would pass
/// through unchanged (`exec sleep 10`, `python3 -m http.server 8000`), sparing a shell's
/// exec on every start and restart; through `/bin/sh -c` otherwise.
pub fn service_argv(command: &str) -> Vec<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:@%+,-= \t".contains(c);
    let words: Vec<&str> = command.split_whitespace().collect();
    let words = match words.split_first() {
        Some((&"exec", rest)) => rest,
        _ => &words[..],
    };
    let direct = command.chars().all(plain)
        && words
            .first()
            .is_some_and(|first| !first.contains('=') && !SHELL_WORDS.contains(first));
    if direct {
        words.iter().map(|w| (*w).to_string()).collect()
    } else {
        vec!["/bin/sh".into(), "-c".into(), command.into()]
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

#[cfg(test)]
mod tests {
    use super::service_argv;

    #[test]
    fn plain_commands_skip_the_shell_and_the_rest_keep_it() {
        assert_eq!(service_argv("exec sleep 10"), ["sleep", "10"]);
        assert_eq!(
            service_argv("python3 -m http.server 8000 --bind=127.0.0.1"),
            ["python3", "-m", "http.server", "8000", "--bind=127.0.0.1"]
        );
        for shell in [
            "sleep 1; exit 3",
            "echo $HOME",
            "FOO=1 env",
            "cd /tmp",
            "exec",
            "exit 4",
            "echo 'a b'",
            "cat < in",
            "ls *.rs",
            "",
        ] {
            assert_eq!(service_argv(shell), ["/bin/sh", "-c", shell], "{shell}");
        }
    }
}
