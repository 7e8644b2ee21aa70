//! A tmux control-mode client (`tmux -C attach`) kept open, so a command costs one line
//! written to a pipe instead of starting a `tmux` process (~0.1 ms instead of ~6 ms).
//!
//! tmux answers each line with a `%begin … %end` (or `%error`) block, in order; `%`
//! lines outside blocks are notifications. One command goes on each line: a parse error
//! answers a whole line with one block, which would shift the answers of `a ; b`.
//!
//! The client only ever talks to the server: the services are the server's children, so
//! losing this client (or the engine) never touches them. It is attached with
//! `ignore-size` (the windows keep the size the user's terminal gives them) and
//! `no-output`: no pane output is ever sent to a control client of `uc`'s, because tmux
//! 3.3a crashes when a pane is respawned while such a client still owes it output (see
//! [`crate::logs::capture::tap`], where the live terminals read output instead). The live
//! terminals' client ([`Control::with_notifications`]) hands each closed window and each
//! layout change to a broadcast.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::{broadcast, oneshot};

/// After a failed connection (no session yet, no server, tmux without control mode), the
/// per-process path is used for this long before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// How long attaching may take before the client is given up on.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// One command's answer: its output lines, or the error tmux printed.
pub type Answer = Result<String, String>;

/// What a notifications client reports, in the order tmux wrote it.
#[derive(Debug, Clone)]
pub enum Feed {
    /// A window of the session (or one unlinked from it) closed.
    WindowClosed(Arc<str>),
    /// A window's panes changed size.
    Layout(Arc<str>),
    /// The client exited: nothing more comes from it.
    Exited,
}

/// The client is not connected and cannot be now: run the commands another way. Nothing
/// was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// Commands sent but not yet answered, oldest first, shared with the reader task.
#[derive(Default)]
struct Pending {
    waiting: Mutex<VecDeque<oneshot::Sender<Answer>>>,
    /// Set (under `waiting`'s lock) when the client has exited; nothing is queued after.
    closed: AtomicBool,
}

impl Pending {
    fn push(&self, answer: oneshot::Sender<Answer>) -> Result<(), Unavailable> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        if self.closed.load(Ordering::Acquire) {
            return Err(Unavailable);
        }
        waiting.push_back(answer);
        Ok(())
    }

    fn answer(&self, answer: Answer) {
        let next = self
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front();
        if let Some(next) = next {
            let _ = next.send(answer);
        }
    }

    /// Dropping the senders tells every waiter its command went unanswered.
    fn close(&self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        self.closed.store(true, Ordering::Release);
        waiting.clear();
    }
}

struct Connection {
    /// Killed when the connection is replaced or the engine drops it.
    _child: Child,
    stdin: ChildStdin,
    pending: Arc<Pending>,
}

#[derive(Default)]
struct State {
    connection: Option<Connection>,
    retry_at: Option<Instant>,
}

/// A control-mode client of one session, connected on first use and again after it exits
/// (the session was killed and recreated, the server restarted).
pub struct Control {
    socket: String,
    session: String,
    /// Where notifications go; `None`: they are not read.
    notifications: Option<broadcast::Sender<Feed>>,
    state: tokio::sync::Mutex<State>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("socket", &self.socket)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Control {
    pub fn new(socket: &str, session: &str) -> Self {
        Self {
            socket: socket.to_string(),
            session: session.to_string(),
            notifications: None,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    /// A client whose notifications (windows closed, layouts changed) go to `feed`.
    pub fn with_notifications(socket: &str, session: &str, feed: broadcast::Sender<Feed>) -> Self {
        Self {
            notifications: Some(feed),
            ..Self::new(socket, session)
        }
    }

    /// Send each argv as one command line, all in one write, and wait for their answers.
    /// A command whose answer was lost (the client exited meanwhile) gets an error, not a
    /// second run: it may have taken effect.
    pub async fn run(&self, commands: &[Vec<String>]) -> Result<Vec<Answer>, Unavailable> {
        let mut text = String::new();
        for argv in commands {
            text.push_str(&command_line(argv));
            text.push('\n');
        }
        let mut answers = Vec::with_capacity(commands.len());
        {
            let mut state = self.state.lock().await;
            let connection = self.connected(&mut state).await?;
            for _ in commands {
                let (tx, rx) = oneshot::channel();
                connection.pending.push(tx)?;
                answers.push(rx);
            }
            if connection.stdin.write_all(text.as_bytes()).await.is_err() {
                state.connection = None;
                return Err(Unavailable);
            }
        }
        let mut out = Vec::with_capacity(answers.len());
        for answer in answers {
            out.push(answer.await.unwrap_or_else(|_| {
                let lost = "the tmux control client exited before answering";
                Err(lost.to_string())
            }));
        }
        Ok(out)
    }

    async fn connected<'a>(&self, state: &'a mut State) -> Result<&'a mut Connection, Unavailable> {
        let alive = state
            .connection
            .as_ref()
            .is_some_and(|c| !c.pending.closed.load(Ordering::Acquire));
        if !alive {
            state.connection = None;
            if state.retry_at.is_some_and(|at| Instant::now() < at) {
                return Err(Unavailable);
            }
            match self.connect().await {
                Ok(connection) => {
                    state.retry_at = None;
                    state.connection = Some(connection);
                }
                Err(e) => {
                    tracing::debug!(session = %self.session, "no tmux control client: {e}");
                    state.retry_at = Some(Instant::now() + RETRY_AFTER);
                    return Err(Unavailable);
                }
            }
        }
        state.connection.as_mut().ok_or(Unavailable)
    }

    async fn connect(&self) -> Result<Connection, String> {
        // `-N`: an attach may not start a server. One started here would hold no session
        // and exit a moment later, under the feet of the `new-session` of the first launch.
        let mut child = tokio::process::Command::new("tmux")
            .args(["-L", &self.socket, "-N", "-C", "attach-session", "-t"])
            .arg(format!("={}", self.session))
            .args(["-f", "no-output,ignore-size"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| e.to_string())?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("no pipes to the control client".into());
        };
        let pending = Arc::new(Pending::default());
        let (attached, answer) = oneshot::channel();
        let reader = Reader {
            pending: pending.clone(),
            notifications: self.notifications.clone(),
        };
        tokio::spawn(reader.read(stdout, attached));
        // Lines written before the client is attached would run without its session.
        match tokio::time::timeout(CONNECT_TIMEOUT, answer).await {
            Ok(Ok(Ok(()))) => Ok(Connection {
                _child: child,
                stdin,
                pending,
            }),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) => Err("the control client exited".into()),
            Err(_) => Err("the control client did not attach".into()),
        }
    }
}

/// What reads a client's stdout: answers for the waiting commands, notifications for the
/// feed.
struct Reader {
    pending: Arc<Pending>,
    notifications: Option<broadcast::Sender<Feed>>,
}

impl Reader {
    /// Match answer blocks to the waiting commands until the client exits. `attached` gets
    /// the outcome of the client's own `attach-session`, the first block not of our commands.
    async fn read(mut self, stdout: ChildStdout, attached: oneshot::Sender<Result<(), String>>) {
        let mut attached = Some(attached);
        let mut lines = BufReader::new(stdout);
        let mut buf = Vec::new();
        // The `%begin` arguments (time, number, flags) of the block being read, and its lines.
        let mut block: Option<(String, Vec<String>)> = None;
        loop {
            buf.clear();
            match lines.read_until(b'\n', &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
            if block.is_none() && self.notification(raw) {
                continue;
            }
            let line = String::from_utf8_lossy(raw);
            match &mut block {
                Some((id, out)) => {
                    let end = line.strip_prefix("%end ").map(|rest| (rest, true));
                    let end =
                        end.or_else(|| line.strip_prefix("%error ").map(|rest| (rest, false)));
                    match end {
                        Some((rest, ok)) if rest == id.as_str() => {
                            // Flags 1: a command of this client; others (attach, hooks) are not.
                            if id.ends_with(" 1") {
                                let text = out.iter().map(|l| format!("{l}\n")).collect();
                                let answer = if ok { Ok(text) } else { Err(out.join("\n")) };
                                self.pending.answer(answer);
                            } else if let Some(attached) = attached.take() {
                                let _ =
                                    attached.send(if ok { Ok(()) } else { Err(out.join("\n")) });
                            }
                            block = None;
                        }
                        _ => out.push(line.into_owned()),
                    }
                }
                None => {
                    if let Some(id) = line.strip_prefix("%begin ") {
                        block = Some((id.to_string(), Vec::new()));
                    } else if line == "%exit" || line.starts_with("%exit ") {
                        break;
                    }
                }
            }
        }
        self.pending.close();
        if let Some(feed) = &self.notifications {
            let _ = feed.send(Feed::Exited);
        }
    }

    /// Hands a notification line outside blocks to the feed; whether it was one it takes.
    fn notification(&mut self, line: &[u8]) -> bool {
        let Some(feed) = &self.notifications else {
            return false;
        };
        let window = |prefix: &[u8]| {
            let rest = line.strip_prefix(prefix)?;
            let id = rest.split(|&b| b == b' ').next()?;
            Some(Arc::<str>::from(String::from_utf8_lossy(id)))
        };
        if let Some(id) = window(b"%window-close ").or_else(|| window(b"%unlinked-window-close ")) {
            let _ = feed.send(Feed::WindowClosed(id));
            return true;
        }
        if let Some(id) = window(b"%layout-change ") {
            let _ = feed.send(Feed::Layout(id));
            return true;
        }
        false
    }
}

/// One command line for tmux's parser: each argument single-quoted (`'\''` for a quote),
/// control characters (a newline would end the line) as escapes outside the quotes.
pub fn command_line(argv: &[String]) -> String {
    let mut line = String::new();
    for arg in argv {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push('\'');
        for c in arg.chars() {
            match c {
                '\'' => line.push_str(r"'\''"),
                c if c.is_control() && u32::from(c) < 0x80 => {
                    line.push_str(&format!("'\\{:03o}'", u32::from(c)));
                }
                c => line.push(c),
            }
        }
        line.push('\'');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_argument() {
        let argv = ["display-message", "-p", "it's $HOME ; #{a}\nb"].map(String::from);
        assert_eq!(
            command_line(&argv),
            r"'display-message' '-p' 'it'\''s $HOME ; #{a}'\012'b'"
        );
    }
}
