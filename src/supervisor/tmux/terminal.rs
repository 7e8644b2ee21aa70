//! Live terminals: a service window's screen, then what its pane prints as it comes, and
//! keys typed into it, for the web page.
//!
//! Every terminal of the workspace reads from ONE control-mode client with output
//! (attached when the first terminal opens, kept until the engine exits) whose `%output`
//! lines a broadcast fans out. A client per terminal would be simpler, but tmux 3.3a
//! crashes (taking every service with it) when output clients come and go quickly next to
//! a chatty pane. The client is attached with `ignore-size`: a browser never resizes the
//! user's window; the page draws the pane at the pane's size.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tmux_interface::{CapturePane, ListPanes, SendKeys, TmuxCommand};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use super::control::{Control, Feed};
use super::{Tmux, TmuxError};

/// Terminals open at once in one workspace; each costs a copy of its pane's output.
pub const MAX_TERMINALS: usize = 16;
/// Output of the feed a slow terminal may fall behind by before it is sent the screen anew.
const FEED_CAPACITY: usize = 4096;
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

/// The workspace's terminals: the output client, its feed, and the count of open ones.
#[derive(Clone)]
pub struct Terminals {
    /// The supervisor's handle, whose command client sends the keys.
    tmux: Tmux,
    output: Arc<Control>,
    feed: broadcast::Sender<Feed>,
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
    pub fn new(tmux: Tmux, session: &str) -> Self {
        let (feed, _) = broadcast::channel(FEED_CAPACITY);
        let output = Control::with_output(&tmux.socket, session, feed.clone());
        Self {
            tmux,
            output: Arc::new(output),
            feed,
            open: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Opens a terminal on `window` (`@3`): its screen now, and what follows it.
    pub async fn open(&self, window: &str) -> Result<(Screen, Terminal), TerminalError> {
        let slot = Slot::take(&self.open)?;
        let rx = self.feed.subscribe();
        let (pane, screen, after) = capture(&self.output, window).await?;
        let terminal = Terminal {
            output: self.output.clone(),
            window: window.into(),
            pane,
            rx,
            after,
            held: None,
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
    output: Arc<Control>,
    window: Arc<str>,
    pane: Arc<str>,
    rx: broadcast::Receiver<Feed>,
    /// Output up to this `%output` line is in the screen already sent.
    after: u64,
    /// What ended the last chunk early, to handle first next time.
    held: Option<Result<Feed, RecvError>>,
    _slot: Slot,
}

impl Terminal {
    pub async fn next(&mut self) -> Chunk {
        loop {
            let item = match self.held.take() {
                Some(item) => item,
                None => self.rx.recv().await,
            };
            match item {
                Ok(Feed::Output { seq, pane, bytes }) if pane == self.pane && seq > self.after => {
                    return Chunk::Output(self.gather(bytes.to_vec()));
                }
                Ok(Feed::WindowClosed(window)) if window == self.window => return Chunk::Closed,
                Ok(Feed::Exited) | Err(RecvError::Closed) => return Chunk::Closed,
                Ok(Feed::Layout(window)) if window == self.window => return self.again().await,
                Err(RecvError::Lagged(_)) => return self.again().await,
                Ok(_) => {}
            }
        }
    }

    /// `first` and this pane's output already waiting, up to [`CHUNK_MAX`].
    fn gather(&mut self, mut out: Vec<u8>) -> Vec<u8> {
        while out.len() < CHUNK_MAX {
            match self.rx.try_recv() {
                Ok(Feed::Output { pane, bytes, .. }) if pane == self.pane => {
                    out.extend_from_slice(&bytes);
                }
                Ok(Feed::Output { .. }) => {}
                Ok(other) => {
                    self.held = Some(Ok(other));
                    break;
                }
                Err(TryRecvError::Lagged(n)) => {
                    self.held = Some(Err(RecvError::Lagged(n)));
                    break;
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        out
    }

    async fn again(&mut self) -> Chunk {
        match capture(&self.output, &self.window).await {
            Ok((_, screen, after)) => {
                self.after = after;
                Chunk::Screen(screen)
            }
            Err(_) => Chunk::Closed,
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

/// The pane of `window`, its screen, and the last `%output` line the screen covers. Both
/// commands go through the output client so its `%output` lines and their answers come in
/// one order.
async fn capture(output: &Control, window: &str) -> Result<(Arc<str>, Screen, u64), TerminalError> {
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
    let answers = output
        .run_counted(&[argv(list), argv(capture)])
        .await
        .map_err(|_| TerminalError::Tmux("the workspace's tmux session is not up".into()))?;
    let [(list, _), (text, after)] = <[_; 2]>::try_from(answers)
        .map_err(|_| TerminalError::Tmux("tmux answered the wrong count".into()))?;
    let gone = |e: String| match e.contains("can't find") {
        true => TerminalError::Gone,
        false => TerminalError::Tmux(e),
    };
    let (list, text) = (list.map_err(gone)?, text.map_err(gone)?);
    let fields: Vec<&str> = list.lines().next().unwrap_or_default().split(' ').collect();
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u16>().ok());
    let (Some(pane), Some(cols), Some(rows), Some(x), Some(y)) = (
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
    Ok(((*pane).into(), screen, after))
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
