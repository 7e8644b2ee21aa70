//! The terminal's one owner: raw mode, alternate screen and hidden cursor on the way in;
//! restored by `Drop`, by the panic hook and on SIGTERM / SIGHUP. Also the event loop that
//! feeds the app and redraws only when something changed, at most 30 times a second.

use std::io::{self, Stdout, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{Event as TermEvent, EventStream};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use ratatui::{Frame, Terminal};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep_until};

use super::app::App;
use super::link::{EngineLink, Update};
use super::options::UiOptions;
use crate::clock::now_ms;

/// The shortest time between two frames (30 fps).
const FRAME: Duration = Duration::from_millis(33);

/// Whether the terminal is in TUI mode and needs restoring.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static PANIC_HOOK: Once = Once::new();

/// The terminal in TUI mode; dropping it restores the terminal.
pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let terminal = execute!(stdout(), EnterAlternateScreen, Hide)
            .and_then(|()| Terminal::new(CrosstermBackend::new(stdout())));
        match terminal {
            Ok(terminal) => Ok(Self { terminal }),
            Err(error) => {
                restore();
                Err(error)
            }
        }
    }

    /// Draw one frame inside synchronized output, so the terminal shows it whole.
    pub fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        execute!(stdout(), BeginSynchronizedUpdate)?;
        let drawn = self.terminal.draw(render).map(drop);
        execute!(stdout(), EndSynchronizedUpdate)?;
        drawn
    }

    pub fn size(&self) -> io::Result<(u16, u16)> {
        let size = self.terminal.size()?;
        Ok((size.width, size.height))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leave TUI mode, once, whoever calls first (drop, panic hook).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), LeaveAlternateScreen, Show);
    }
}

/// Restore the terminal before the previous hook prints the panic.
fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Run the TUI until the user quits, the terminal closes or SIGTERM / SIGHUP arrives.
pub async fn run(link: EngineLink, options: UiOptions) -> anyhow::Result<()> {
    let EngineLink {
        mut updates,
        requests,
    } = link;
    let mut app = App::new(requests, options.keymap, options.theme)
        .with_user(options.user)
        .with_role(options.role);
    if options.overview {
        app = app.with_overview();
    }
    let mut terminal = TerminalGuard::enter()?;
    let (width, height) = terminal.size()?;
    app.on_resize(width, height);

    let mut input = EventStream::new();
    let mut tick = interval(options.tick);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut updates_open = true;
    let mut dirty = true;
    let mut last_draw = Instant::now();

    while !app.should_quit() {
        tokio::select! {
            () = sleep_until(last_draw + FRAME), if dirty => {
                app.on_tick(now_ms());
                terminal.draw(|frame| app.draw(frame))?;
                dirty = false;
                last_draw = Instant::now();
            }
            event = input.next() => match event {
                Some(Ok(event)) => dirty |= on_terminal_event(&mut app, event),
                Some(Err(error)) => return Err(error.into()),
                None => break,
            },
            update = updates.recv(), if updates_open => {
                updates_open = on_updates(&mut app, update, &mut updates);
                dirty = true;
            }
            // The tick only refreshes clocks (uptimes, ages): skipped when metrics or other
            // updates redrew the screen within the tick anyway, which halves idle drawing.
            _ = tick.tick() => dirty |= last_draw.elapsed() >= options.tick.mul_f32(0.9),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        }
    }
    Ok(())
}

/// Returns whether the screen needs redrawing.
fn on_terminal_event(app: &mut App, event: TermEvent) -> bool {
    match event {
        TermEvent::Key(key) => app.handle_key(key),
        TermEvent::Resize(width, height) => {
            app.on_resize(width, height);
            true
        }
        _ => false,
    }
}

/// Fold `first` and every update already queued behind it. Returns whether the channel is
/// still open.
fn on_updates(
    app: &mut App,
    first: Option<Update>,
    updates: &mut UnboundedReceiver<Update>,
) -> bool {
    let Some(first) = first else {
        app.on_update(Update::Disconnected("the engine link closed".into()));
        return false;
    };
    app.on_update(first);
    while let Ok(update) = updates.try_recv() {
        app.on_update(update);
    }
    true
}
