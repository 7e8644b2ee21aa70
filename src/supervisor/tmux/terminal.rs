//! Live terminals: a service window's screen, then what its pane prints as it comes, and
//! keys typed into it, for the web page.
//!
//! The output comes from the service's capture tap ([`crate::logs::capture::tap`]), never
//! from a tmux client: a control-mode client with output crashes tmux 3.3a when a pane it
//! owes output to is respawned, taking every service with it. Window closes and resizes
//! come from ONE notifications client per workspace (attached when the first terminal
//! opens, kept until the engine exits).
//!
//! The screen is taken after the tap is connected, and what the tap had for the terminal
//! by the time the screen arrived is dropped as drawn already. The two come by different
//! routes, so a pane printing at that very moment may show a few bytes twice or not at
//! all until its next screen; a terminal is sent the screen anew whenever the pane is
//! resized or the terminal falls behind.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tmux_interface::{CapturePane, ListPanes, SendKeys, TmuxCommand};
use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;
use tokio::sync::broadcast::{self, error::RecvError};

use super::control::{Control, Feed};
use super::{Tmux, TmuxError};
use crate::logs::capture::tap;
use crate::paths::Paths;

/// Terminals open at once in one workspace; each costs a connection to its service's tap.
pub const MAX_TERMINALS: usize = 16;
/// Notifications a terminal may fall behind by before it is sent the screen anew.
const FEED_CAPACITY: usize = 256;
/// Output already waiting is sent as one chunk up to this size.
const CHUNK_MAX: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("{MAX_TERMINALS} terminals are open in this workspace already")]
    Busy,
    #[error("the service's window is gone")]
    Gone,
    #[error("tmux: {0}")]
    Tmux(String),
    #[error("the service's output cannot be followed: {0}")]
    NoTap(String),
}

impl From<TmuxError> for TerminalError {
    fn from(e: TmuxError) -> Self {
        if e.is_missing() || e.to_string().contains("can't find window") {
            Self::Gone
        } else {
            Self::Tmux(e.to_string())
        }
    }
}

/// The workspace's terminals: the notifications client, its feed, where the services'
/// taps are, and the count of open ones.
#[derive(Clone)]
pub struct Terminals {
    /// The supervisor's handle, whose command client sends the keys.
    tmux: Tmux,
    notes: Arc<Control>,
    feed: broadcast::Sender<Feed>,
    paths: Arc<Paths>,
    open: Arc<AtomicUsize>,
}

/// What a pane shows now: its size and the text (with colours) that draws it, cursor last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub cols: u16,
    pub rows: u16,
    pub text: String,
}

/// What a terminal sends next.
#[derive(Debug)]
pub enum Chunk {
    /// Bytes the pane printed (any encoding; a character may be split between chunks).
    Output(Vec<u8>),
    /// The whole screen again: the pane was resized, or the terminal fell behind.
    Screen(Screen),
    /// The window closed (or tmux went away): nothing more comes.
    Closed,
}

impl Terminals {
    pub fn new(tmux: Tmux, paths: &Paths) -> Self {
        let (feed, _) = broadcast::channel(FEED_CAPACITY);
        let notes = Control::with_notifications(&tmux.socket, &paths.tmux_session, feed.clone());
        Self {
            tmux,
            notes: Arc::new(notes),
            feed,
            paths: Arc::new(paths.clone()),
            open: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Opens a terminal on `service`'s window `window` (`@3`): its screen now, and what
    /// follows it.
    pub async fn open(
        &self,
        service: &str,
        window: &str,
    ) -> Result<(Screen, Terminal), TerminalError> {
        let slot = Slot::take(&self.open)?;
        let rx = self.feed.subscribe();
        let tap = tap::path(&self.paths.service_log(service));
        let stream = connect(&tap).await?;
        let screen = capture(&self.notes, window).await?;
        let stream = skip_waiting(stream);
        let terminal = Terminal {
            notes: self.notes.clone(),
            window: window.into(),
            tap,
            stream,
            rx,
            _slot: slot,
        };
        Ok((screen, terminal))
    }

    /// Types `text` into `window` as it is (control characters and escape sequences
    /// included), then presses each of `keys` (tmux key names: `Enter`, `C-c`, `Up`).
    pub async fn send_keys(
        &self,
        window: &str,
        text: &str,
        keys: &[String],
    ) -> Result<(), TerminalError> {
        let mut commands = Vec::new();
        if !text.is_empty() {
            // `--`: text starting with `-` is not an option.
            let mut literal = SendKeys::new().disable_lookup().target_pane(window).build();
            literal.push_param("--");
            literal.push_param(text.to_owned());
            commands.push(literal);
        }
        if !keys.is_empty() {
            let mut named = SendKeys::new().target_pane(window).build();
            named.push_param("--");
            for key in keys {
                named.push_param(key.clone());
            }
            commands.push(named);
        }
        for answer in self.tmux.run_all(&commands).await {
            answer?;
        }
        Ok(())
    }
}

/// One open terminal; dropping it frees its place.
pub struct Terminal {
    notes: Arc<Control>,
    window: Arc<str>,
    tap: PathBuf,
    /// `None` once the tap closed (the capture ended, or dropped this terminal for falling
    /// behind).
    stream: Option<UnixStream>,
    rx: broadcast::Receiver<Feed>,
    _slot: Slot,
}

impl Terminal {
    pub async fn next(&mut self) -> Chunk {
        let mut buf = vec![0; CHUNK_MAX];
        loop {
            let Some(stream) = self.stream.as_mut() else {
                return self.again().await;
            };
            tokio::select! {
                item = self.rx.recv() => match item {
                    Ok(Feed::WindowClosed(window)) if window == self.window => return Chunk::Closed,
                    Ok(Feed::Exited) | Err(RecvError::Closed) => return Chunk::Closed,
                    Ok(Feed::Layout(window)) if window == self.window => return self.again().await,
                    Err(RecvError::Lagged(_)) => return self.again().await,
                    Ok(_) => {}
                },
                read = stream.read(&mut buf) => match read {
                    Ok(n) if n > 0 => {
                        buf.truncate(n);
                        return Chunk::Output(buf);
                    }
                    _ => self.stream = None,
                },
            }
        }
    }

    /// The screen again, connecting to the tap again first if it closed; `Closed` when
    /// the window or its capture is gone.
    async fn again(&mut self) -> Chunk {
        let stream = match self.stream.take() {
            Some(stream) => stream,
            None => match connect(&self.tap).await {
                Ok(stream) => stream,
                Err(_) => return Chunk::Closed,
            },
        };
        match capture(&self.notes, &self.window).await {
            Ok(screen) => {
                self.stream = skip_waiting(stream);
                Chunk::Screen(screen)
            }
            Err(_) => Chunk::Closed,
        }
    }
}

async fn connect(tap: &std::path::Path) -> Result<UnixStream, TerminalError> {
    UnixStream::connect(tap)
        .await
        .map_err(|e| TerminalError::NoTap(format!("{}: {e}", tap.display())))
}

/// Drops what the tap has ready (it is in the screen just taken); `None` if it closed.
fn skip_waiting(stream: UnixStream) -> Option<UnixStream> {
    let mut scratch = vec![0; CHUNK_MAX];
    loop {
        match stream.try_read(&mut scratch) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Some(stream),
            Err(_) => return None,
        }
    }
}

/// Counts an open terminal while it lives.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(open: &Arc<AtomicUsize>) -> Result<Self, TerminalError> {
        let taken = open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_TERMINALS).then_some(n + 1)
        });
        taken
            .map(|_| Self(open.clone()))
            .map_err(|_| TerminalError::Busy)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Fields of `list-panes` for a screen, space-separated.
const SCREEN_FORMAT: &str =
    "#{pane_id} #{pane_width} #{pane_height} #{cursor_x} #{cursor_y} #{cursor_flag}";

/// The screen of `window`'s pane, asked of the notifications client so a layout change
/// tmux reported before it is known to be covered.
async fn capture(notes: &Control, window: &str) -> Result<Screen, TerminalError> {
    let argv = |cmd: TmuxCommand<'_>| -> Vec<String> {
        cmd.to_vec().iter().map(|a| a.to_string()).collect()
    };
    let list = ListPanes::new()
        .format(SCREEN_FORMAT)
        .target(window)
        .build();
    let capture = CapturePane::new()
        .stdout()
        .escape_sequences()
        .target_pane(window)
        .build();
    let answers = notes
        .run(&[argv(list), argv(capture)])
        .await
        .map_err(|_| TerminalError::Tmux("the workspace's tmux session is not up".into()))?;
    let [list, text] = <[_; 2]>::try_from(answers)
        .map_err(|_| TerminalError::Tmux("tmux answered the wrong count".into()))?;
    let gone = |e: String| match e.contains("can't find") {
        true => TerminalError::Gone,
        false => TerminalError::Tmux(e),
    };
    let (list, text) = (list.map_err(gone)?, text.map_err(gone)?);
    let fields: Vec<&str> = list.lines().next().unwrap_or_default().split(' ').collect();
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u16>().ok());
    let (Some(_pane), Some(cols), Some(rows), Some(x), Some(y)) = (
        fields.first().filter(|p| p.starts_with('%')),
        number(1),
        number(2),
        number(3),
        number(4),
    ) else {
        return Err(TerminalError::Tmux(format!(
            "unexpected list-panes: {list}"
        )));
    };
    let cursor_shown = fields.get(5) != Some(&"0");
    let screen = Screen {
        cols,
        rows,
        text: draw(&text, x, y, cursor_shown),
    };
    Ok(screen)
}

/// What draws `captured` (a pane's lines, with colours) on a cleared terminal and puts the
/// cursor where the pane has it.
fn draw(captured: &str, x: u16, y: u16, cursor_shown: bool) -> String {
    let lines: Vec<&str> = captured.lines().collect();
    let cursor = if cursor_shown {
        "\x1b[?25h"
    } else {
        "\x1b[?25l"
    };
    format!(
        "\x1b[0m\x1b[H\x1b[2J{}\x1b[0m\x1b[{};{}H{cursor}",
        lines.join("\x1b[0m\r\n"),
        u32::from(y) + 1,
        u32::from(x) + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screen_ends_with_its_cursor() {
        let text = draw("$ ls\n\x1b[31mred\x1b[39m\n", 2, 1, true);
        assert_eq!(
            text,
            "\x1b[0m\x1b[H\x1b[2J$ ls\x1b[0m\r\n\x1b[31mred\x1b[39m\x1b[0m\x1b[2;3H\x1b[?25h"
        );
    }

    #[test]
    fn slots_are_counted_and_given_back() {
        let open = Arc::new(AtomicUsize::new(0));
        let slots: Vec<Slot> = (0..MAX_TERMINALS)
            .map(|_| Slot::take(&open).expect("free"))
            .collect();
        assert!(matches!(Slot::take(&open), Err(TerminalError::Busy)));
        drop(slots);
        assert_eq!(open.load(Ordering::Acquire), 0);
        assert!(Slot::take(&open).is_ok());
    }
}
