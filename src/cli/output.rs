//! What commands print on standard output goes through [`out!`] / [`outln!`] or an [`Out`]
//! writer, so a reader that goes away (`uc logs -f | head -1`, `uc config schema | true`)
//! ends the command quietly with exit 0, whichever command it was and wherever it was
//! writing, instead of the panic `println!` gives.

use std::fmt;
use std::io::{self, Write};

use rustix::event::{PollFd, PollFlags, poll};

use super::Failure;

/// Standard output's reader went away: nothing more to say, and nothing went wrong.
#[derive(Debug, thiserror::Error)]
#[error("standard output is closed")]
pub struct Closed;

/// Standard output, as a writer whose closed pipe is an error carrying [`Closed`].
pub struct Out(io::StdoutLock<'static>);

impl Out {
    pub fn new() -> Self {
        Self(io::stdout().lock())
    }
}

impl Default for Out {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(mark)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(mark)
    }
}

fn mark(error: io::Error) -> io::Error {
    if error.kind() == io::ErrorKind::BrokenPipe {
        io::Error::new(io::ErrorKind::BrokenPipe, Closed)
    } else {
        error
    }
}

/// What [`out!`] and [`outln!`] call.
pub fn print(args: fmt::Arguments<'_>) -> Result<(), Failure> {
    Out::new().write_fmt(args).map_err(Failure::runtime)
}

/// Whether an error (or one it wraps) is standard output closing.
pub fn is_closed(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.is::<Closed>()
            || cause
                .downcast_ref::<io::Error>()
                .and_then(io::Error::get_ref)
                .is_some_and(|inner| inner.is::<Closed>())
    })
}

/// Resolves once standard output's reader went away (a pipe whose other end closed), so a
/// command waiting for something to print (`uc logs -f` on a quiet service) ends with its
/// reader instead of at its next line. Never resolves for a terminal or a file.
pub async fn closed() -> Closed {
    let (tx, rx) = tokio::sync::oneshot::channel();
    // poll(2) with no events asked for wakes only on an error or a hang-up: a pipe's reader
    // closing, which a runtime's readiness never reports on a write end. The thread ends
    // with the process.
    let watcher = std::thread::Builder::new()
        .name("stdout-watch".into())
        .spawn(move || {
            let stdout = io::stdout();
            let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
            loop {
                match poll(&mut fds, None) {
                    Ok(_) if fds[0].revents().contains(PollFlags::ERR) => {
                        let _ = tx.send(());
                        return;
                    }
                    // A hang-up or a closed descriptor stays set: polling again would spin.
                    Ok(_) if !fds[0].revents().is_empty() => return,
                    Err(rustix::io::Errno::INTR) | Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
    if watcher.is_ok() && rx.await.is_ok() {
        return Closed;
    }
    std::future::pending().await
}

/// `print!` to standard output; `Err` (a [`Failure`]) when it cannot be written.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::print(format_args!($($arg)*))
    };
}

/// `println!` to standard output; `Err` (a [`Failure`]) when it cannot be written.
macro_rules! outln {
    () => {
        $crate::cli::output::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};
