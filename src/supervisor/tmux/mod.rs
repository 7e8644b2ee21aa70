//! The workspace's private tmux server. Commands are spelled with `tmux_interface` and run
//! through `tokio::process` so nothing blocks an async worker; the commands a restart waits
//! for go through a control-mode client of the workspace's session when one is up.

mod control;
mod terminal;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub use terminal::{Chunk, MAX_TERMINALS, Screen, Terminal, TerminalError, Terminals};

use tmux_interface::{
    CapturePane, HasSession, KillServer, KillWindow, ListPanes, NewSession, NewWindow, PipePane,
    RespawnPane, SelectWindow, SetHook, SetOption, TmuxCommand,
};

/// Window option that marks a window as a service's, so a renamed window is still found.
pub const SERVICE_OPTION: &str = "@uc_service";

/// Fields of `list-panes` we read, tab-separated.
const PANE_FORMAT: &str = "#{pane_id}\t#{pane_pid}\t#{window_id}\t#{window_index}\t#{window_name}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{@uc_service}";

#[derive(Debug, thiserror::Error)]
pub enum TmuxError {
    #[error("cannot run tmux ({0}); uc needs tmux 3.3 or newer: `apt-get install tmux`")]
    Spawn(#[from] std::io::Error),
    #[error("tmux {command}: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("unexpected tmux output: {0:?}")]
    Parse(String),
}

impl TmuxError {
    /// The target (pane, window, session) or the whole server does not exist.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Failed { stderr, .. } if is_missing(stderr))
    }
}

/// One pane of the workspace session (each window has one pane).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pane {
    pub pane_id: String,
    pub pid: u32,
    pub window_id: String,
    pub window_index: u32,
    pub window_name: String,
    pub dead: bool,
    pub dead_status: Option<i32>,
    pub dead_signal: Option<i32>,
    /// Value of the `@uc_service` window option, when set.
    pub service: Option<String>,
}

/// What to run in a pane: argv (run directly by tmux, no shell in between), cwd and env.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spawn<'a> {
    pub argv: Vec<String>,
    pub cwd: &'a Path,
    pub env: BTreeMap<String, String>,
}

/// Handle to one private tmux server (`tmux -L <socket>`).
#[derive(Debug, Clone)]
pub struct Tmux {
    pub socket: String,
    /// Config file the server is started with (only read when the server starts).
    pub config: Option<std::path::PathBuf>,
    /// Shared by every clone: one control client per session.
    control: Option<Arc<control::Control>>,
}

impl Tmux {
    pub fn new(socket: impl Into<String>) -> Self {
        Self {
            socket: socket.into(),
            config: None,
            control: None,
        }
    }

    /// Run the hot commands (pane queries, respawns) through a control-mode client attached
    /// to `session`, once it exists; until then, and whenever the client is down, each
    /// command still runs as its own `tmux` process.
    pub fn with_control(mut self, session: &str) -> Self {
        self.control = Some(Arc::new(control::Control::new(&self.socket, session)));
        self
    }

    pub fn with_config(mut self, config: impl Into<std::path::PathBuf>) -> Self {
        self.config = Some(config.into());
        self
    }

    /// `tokio::process::Command` for `tmux -L <socket> [-f conf] <args>`.
    pub fn command(&self, cmd: &TmuxCommand<'_>) -> tokio::process::Command {
        let mut c = tokio::process::Command::new("tmux");
        c.arg("-L").arg(&self.socket);
        if let Some(conf) = &self.config {
            c.arg("-f").arg(conf);
        }
        c.args(cmd.to_vec().iter().map(|a| a.as_ref()));
        c.stdin(std::process::Stdio::null());
        c.kill_on_drop(true);
        c
    }

    /// Run one tmux command and return its stdout.
    pub async fn run(&self, cmd: TmuxCommand<'_>) -> Result<String, TmuxError> {
        self.run_in(self.command(&cmd), cmd).await
    }

    /// Run a command that may start the server. The server, and so every service, gets the
    /// user's umask rather than `uc`'s private one: `/bin/sh` sets it and execs tmux (a
    /// child's umask cannot be set otherwise without `unsafe`).
    async fn run_starting_server(&self, cmd: TmuxCommand<'_>) -> Result<String, TmuxError> {
        let tmux = self.command(&cmd);
        let std = tmux.as_std();
        let umask = crate::paths::user_umask().bits();
        let mut sh = tokio::process::Command::new("/bin/sh");
        sh.arg("-c")
            .arg(format!("umask {umask:04o} && exec \"$0\" \"$@\""))
            .arg(std.get_program())
            .args(std.get_args())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        self.run_in(sh, cmd).await
    }

    async fn run_in(
        &self,
        mut command: tokio::process::Command,
        cmd: TmuxCommand<'_>,
    ) -> Result<String, TmuxError> {
        let out = command.output().await?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(failed(&cmd, String::from_utf8_lossy(&out.stderr).trim()))
        }
    }

    /// Run commands in order through the control client, written at once and answered in
    /// one round trip; one `tmux` process each when the client is unavailable. Each command
    /// runs even when an earlier one fails.
    pub async fn run_all(&self, cmds: &[TmuxCommand<'_>]) -> Vec<Result<String, TmuxError>> {
        if let Some(control) = &self.control {
            let argvs: Vec<Vec<String>> = cmds
                .iter()
                .map(|c| c.to_vec().iter().map(|a| a.to_string()).collect())
                .collect();
            if let Ok(answers) = control.run(&argvs).await {
                return answers
                    .into_iter()
                    .zip(cmds)
                    .map(|(answer, cmd)| answer.map_err(|e| failed(cmd, &e)))
                    .collect();
            }
        }
        let mut out = Vec::with_capacity(cmds.len());
        for cmd in cmds {
            out.push(self.run(cmd.clone()).await);
        }
        out
    }

    /// [`Tmux::run_all`] for one command.
    async fn run_quick(&self, cmd: TmuxCommand<'_>) -> Result<String, TmuxError> {
        self.run_all(std::slice::from_ref(&cmd))
            .await
            .pop()
            .unwrap_or_else(|| Err(TmuxError::Parse(String::new())))
    }

    pub async fn has_session(&self, session: &str) -> bool {
        let cmd = HasSession::new().target_session(exact(session)).build();
        self.run(cmd).await.is_ok()
    }

    /// Create the session with a first window running `spawn`.
    pub async fn new_session(
        &self,
        session: &str,
        window: &str,
        spawn: &Spawn<'_>,
    ) -> Result<Pane, TmuxError> {
        let mut cmd = NewSession::new()
            .detached()
            .print()
            .format(PANE_FORMAT)
            .session_name(session)
            .window_name(window)
            .width(200)
            .height(50)
            .start_directory(spawn.cwd.to_string_lossy())
            .build();
        push_spawn(&mut cmd, spawn);
        parse_pane(first_line(&self.run_starting_server(cmd).await?))
    }

    /// A new window at the end of `session` (or before window 0 with `first`).
    pub async fn new_window(
        &self,
        session: &str,
        window: &str,
        spawn: &Spawn<'_>,
        first: bool,
    ) -> Result<Pane, TmuxError> {
        let mut builder = NewWindow::new()
            .detached()
            .print()
            .format(PANE_FORMAT)
            .window_name(window)
            .start_directory(spawn.cwd.to_string_lossy());
        builder = if first {
            builder
                .before()
                .target_window(format!("{}:0", exact(session)))
        } else {
            builder.target_window(format!("{}:", exact(session)))
        };
        let mut cmd = builder.build();
        push_spawn(&mut cmd, spawn);
        parse_pane(first_line(&self.run(cmd).await?))
    }

    /// Run `spawn` in an existing pane; `kill` replaces a process that is still running.
    /// Returns the new process's PID, asked for in the same round trip.
    pub async fn respawn_pane(
        &self,
        pane_id: &str,
        spawn: &Spawn<'_>,
        kill: bool,
    ) -> Result<u32, TmuxError> {
        let mut builder = RespawnPane::new()
            .target_pane(pane_id)
            .start_directory(spawn.cwd.to_string_lossy());
        if kill {
            builder = builder.kill();
        }
        let mut respawn = builder.build();
        push_spawn(&mut respawn, spawn);
        let pid = tmux_interface::DisplayMessage::new()
            .print()
            .target_pane(pane_id)
            .message("#{pane_pid}")
            .build();
        let mut answers = self.run_all(&[respawn, pid]).await.into_iter();
        let (Some(respawned), Some(pid)) = (answers.next(), answers.next()) else {
            return Err(TmuxError::Parse(String::new()));
        };
        respawned?;
        let pid = pid?;
        pid.trim().parse().map_err(|_| TmuxError::Parse(pid))
    }

    /// Every pane of `session`; empty when the session (or server) does not exist.
    pub async fn list_panes(&self, session: &str) -> Result<Vec<Pane>, TmuxError> {
        let cmd = ListPanes::new()
            .session()
            .format(PANE_FORMAT)
            .target(exact(session))
            .build();
        match self.run_quick(cmd).await {
            Ok(out) => out.lines().map(parse_pane).collect(),
            Err(TmuxError::Failed { stderr, .. }) if is_missing(&stderr) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// One pane, or `None` when it is gone (its window was closed).
    pub async fn pane(&self, pane_id: &str) -> Result<Option<Pane>, TmuxError> {
        // `display-message -t` a missing pane answers for the current one instead: list the
        // pane's window, which fails for a missing pane.
        let cmd = ListPanes::new().format(PANE_FORMAT).target(pane_id).build();
        let out = match self.run_quick(cmd).await {
            Ok(out) => out,
            Err(TmuxError::Failed { stderr, .. }) if stderr.contains("can't find pane") => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        for line in out.lines() {
            let pane = parse_pane(line)?;
            if pane.pane_id == pane_id {
                return Ok(Some(pane));
            }
        }
        Ok(None)
    }

    pub async fn set_window_option(
        &self,
        window: &str,
        option: &str,
        value: &str,
    ) -> Result<(), TmuxError> {
        let cmd = SetOption::new()
            .window()
            .target_pane(window)
            .option(option)
            .value(value)
            .build();
        self.run(cmd).await.map(drop)
    }

    /// Append everything the pane prints to `file` (kept across respawns of the pane)
    /// through `uc log-capture`, which rotates the file; `uc` is that binary.
    pub async fn pipe_to_file(
        &self,
        pane_id: &str,
        file: &Path,
        uc: &Path,
    ) -> Result<(), TmuxError> {
        let shell = format!(
            "exec {} {} {}",
            shell_quote(&uc.to_string_lossy()),
            crate::logs::capture::SUBCOMMAND,
            shell_quote(&file.to_string_lossy())
        );
        let cmd = PipePane::new()
            .target_pane(pane_id)
            .shell_command(shell)
            .build();
        self.run(cmd).await.map(drop)
    }

    /// A global hook; `command` is a tmux command line.
    pub async fn set_hook(&self, hook: &str, command: &str) -> Result<(), TmuxError> {
        let cmd = SetHook::new()
            .global()
            .hook_name(hook)
            .command(command)
            .build();
        self.run(cmd).await.map(drop)
    }

    pub async fn kill_window(&self, window: &str) -> Result<(), TmuxError> {
        let cmd = KillWindow::new().target_window(window).build();
        self.run(cmd).await.map(drop)
    }

    pub async fn select_window(&self, window: &str) -> Result<(), TmuxError> {
        let cmd = SelectWindow::new().target_window(window).build();
        self.run(cmd).await.map(drop)
    }

    /// The visible text of a pane.
    pub async fn capture(&self, pane: &str) -> Result<String, TmuxError> {
        let cmd = CapturePane::new().stdout().target_pane(pane).build();
        self.run(cmd).await
    }

    /// Make the server run its child-reaping loop now (it can miss a SIGCHLD when several
    /// children end at once, leaving a dead pane without its exit status).
    pub fn nudge(&self) {
        let tmux = self.clone();
        tokio::spawn(async move {
            let cmd = tmux_interface::DisplayMessage::new()
                .print()
                .message("#{pid}")
                .build();
            if let Ok(pid) = tmux.run_quick(cmd).await
                && let Ok(pid) = pid.trim().parse::<i32>()
            {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGCHLD,
                );
            }
        });
    }

    pub async fn kill_server(&self) -> Result<(), TmuxError> {
        match self.run(KillServer::new().build()).await {
            Err(TmuxError::Failed { stderr, .. }) if is_missing(&stderr) => Ok(()),
            other => other.map(drop),
        }
    }
}

fn failed(cmd: &TmuxCommand<'_>, stderr: &str) -> TmuxError {
    let argv = cmd.to_vec();
    tracing::debug!(argv = %argv.join(" "), "tmux command failed");
    TmuxError::Failed {
        command: argv.first().map(|c| c.to_string()).unwrap_or_default(),
        stderr: stderr.trim().to_string(),
    }
}

/// `=name` makes tmux match the session name exactly instead of as a prefix.
fn exact(session: &str) -> String {
    format!("={session}")
}

fn is_missing(stderr: &str) -> bool {
    stderr.contains("no server running")
        || stderr.contains("can't find session")
        || stderr.contains("can't find pane")
        || stderr.contains("error connecting")
        || stderr.contains("No such file or directory")
}

/// Appends `-e K=V` for each variable, then the argv. Options must precede the command.
fn push_spawn(cmd: &mut TmuxCommand<'_>, spawn: &Spawn<'_>) {
    for (k, v) in &spawn.env {
        cmd.push_option("-e", format!("{k}={v}"));
    }
    for arg in &spawn.argv {
        cmd.push_param(arg.clone());
    }
}

fn first_line(out: &str) -> &str {
    out.lines().next().unwrap_or_default()
}

fn parse_pane(line: &str) -> Result<Pane, TmuxError> {
    let f: Vec<&str> = line.split('\t').collect();
    let bad = || TmuxError::Parse(line.to_string());
    if f.len() < 9 {
        return Err(bad());
    }
    Ok(Pane {
        pane_id: f[0].to_string(),
        pid: f[1].parse().map_err(|_| bad())?,
        window_id: f[2].to_string(),
        window_index: f[3].parse().map_err(|_| bad())?,
        window_name: f[4].to_string(),
        dead: f[5] == "1",
        dead_status: f[6].parse().ok(),
        dead_signal: f[7].parse().ok(),
        service: Some(f[8].to_string()).filter(|s| !s.is_empty()),
    })
}

/// Quote for `/bin/sh`: single quotes, with embedded single quotes spliced in.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_live_and_dead_panes() {
        let live = parse_pane("%3\t4242\t@2\t1\tapi\t0\t\t\tapi").expect("live");
        assert_eq!(live.pid, 4242);
        assert!(!live.dead);
        assert_eq!(live.service.as_deref(), Some("api"));
        let dead = parse_pane("%4\t4243\t@3\t2\tworker\t1\t\t9\t").expect("dead");
        assert!(dead.dead);
        assert_eq!(dead.dead_status, None);
        assert_eq!(dead.dead_signal, Some(9));
        assert_eq!(dead.service, None);
    }

    #[test]
    fn quotes_for_sh() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn env_goes_before_argv() {
        let mut cmd = RespawnPane::new().target_pane("%1").build();
        let spawn = Spawn {
            argv: vec!["/bin/sh".into(), "-c".into(), "echo hi".into()],
            cwd: Path::new("/"),
            env: BTreeMap::from([("A".into(), "1".into())]),
        };
        push_spawn(&mut cmd, &spawn);
        let v: Vec<String> = cmd.to_vec().iter().map(|s| s.to_string()).collect();
        assert_eq!(
            v,
            [
                "respawn-pane",
                "-t",
                "%1",
                "-e",
                "A=1",
                "/bin/sh",
                "-c",
                "echo hi"
            ]
        );
    }
}
