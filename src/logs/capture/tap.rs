//! The live tap: a Unix socket beside the capture file (`api.log` → `api.tap`) that hands
//! each connection what the pane prints from then on, byte for byte, as it comes out of
//! tmux's pipe. The web page's live terminals read a service's output here.
//!
//! tmux's own route for live output, a control-mode client attached with output, cannot be
//! used: tmux 3.3a does not reset a pane's read offsets when the pane is respawned, and
//! when such a client still owed the pane output at that moment (a service crashing in the
//! middle of a burst is enough), the server crashes on the new process's first short
//! write, and takes every service with it. The pipe has no such debt: tmux hands it the
//! bytes before it parses them, and waits for it before it closes a dead pane.
//!
//! The tap never holds the capture back: a connection that falls [`BEHIND_MAX`] bytes
//! behind is closed (the terminal draws the screen anew and connects again), writes never
//! block, and a tap that cannot be bound (a path too long for a socket) only means no live
//! terminal for that service.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use rustix::event::{PollFd, PollFlags};

/// Output a connection may have waiting before it is closed.
pub const BEHIND_MAX: usize = 1 << 20;

/// The tap of the capture file `file`.
pub fn path(file: &Path) -> PathBuf {
    file.with_extension("tap")
}

/// The listening socket (with the inode it was bound as) and the connections.
pub struct Tap {
    listener: Option<(UnixListener, PathBuf, u64)>,
    connections: Vec<Connection>,
}

struct Connection {
    stream: UnixStream,
    waiting: Vec<u8>,
}

impl Tap {
    /// Listens at the tap of `file`, in place of a tap a previous capture of the same
    /// service left (its pane is gone: a pane has one pipe).
    pub fn bind(file: &Path) -> Self {
        let path = path(file);
        let listener = Self::listen(&path)
            .inspect_err(|e| eprintln!("uc log-capture: no live tap at {}: {e}", path.display()))
            .ok();
        Self {
            listener,
            connections: Vec::new(),
        }
    }

    fn listen(path: &Path) -> std::io::Result<(UnixListener, PathBuf, u64)> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        // The state dir is private already; the socket is too, should it ever be moved.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        let inode = std::fs::metadata(path)?.ino();
        Ok((listener, path.to_owned(), inode))
    }

    /// What to wake for: a connection coming, one closing, room to write what waits.
    pub fn poll_fds(&self) -> impl Iterator<Item = PollFd<'_>> {
        let listener = self
            .listener
            .iter()
            .map(|(l, _, _)| PollFd::new(l, PollFlags::IN));
        let connections = self.connections.iter().map(|c| {
            let out = match c.waiting.is_empty() {
                true => PollFlags::empty(),
                false => PollFlags::OUT,
            };
            PollFd::new(&c.stream, PollFlags::IN | out)
        });
        listener.chain(connections)
    }

    /// Takes new connections, drops closed ones, writes what waits; never blocks.
    pub fn serve(&mut self) {
        if let Some((listener, _, _)) = &self.listener {
            while let Ok((stream, _)) = listener.accept() {
                if stream.set_nonblocking(true).is_ok() {
                    self.connections.push(Connection {
                        stream,
                        waiting: Vec::new(),
                    });
                }
            }
        }
        self.connections.retain_mut(|c| c.open() && c.flush());
    }

    /// Hands `bytes` to every connection.
    pub fn send(&mut self, bytes: &[u8]) {
        self.connections.retain_mut(|c| {
            c.waiting.extend_from_slice(bytes);
            c.flush() && c.waiting.len() <= BEHIND_MAX
        });
    }
}

impl Connection {
    /// Whether the reader is still there (it never writes: anything read is discarded).
    fn open(&mut self) -> bool {
        let mut scratch = [0; 256];
        loop {
            match self.stream.read(&mut scratch) {
                Ok(0) => return false,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return e.kind() == ErrorKind::WouldBlock,
            }
        }
    }

    /// Writes what waits until the socket is full; false when the reader is gone.
    fn flush(&mut self) -> bool {
        let mut written = 0;
        let open = loop {
            if written == self.waiting.len() {
                break true;
            }
            match self.stream.write(&self.waiting[written..]) {
                Ok(0) => break false,
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => break e.kind() == ErrorKind::WouldBlock,
            }
        };
        self.waiting.drain(..written);
        open
    }
}

impl Drop for Tap {
    /// Removes the socket unless a newer capture of the service has bound the path since.
    fn drop(&mut self) {
        if let Some((_, path, inode)) = &self.listener
            && std::fs::metadata(path).is_ok_and(|m| m.ino() == *inode)
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(tap: &mut Tap, file: &Path) -> UnixStream {
        let stream = UnixStream::connect(path(file)).expect("connect");
        tap.serve();
        stream
    }

    #[test]
    fn connections_get_the_bytes_sent_after_they_came() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("api.log");
        let mut tap = Tap::bind(&file);
        let mode = std::fs::metadata(path(&file))
            .expect("socket")
            .permissions();
        assert_eq!(mode.mode() & 0o777, 0o600);
        tap.send(b"before\n");
        let mut first = connect(&mut tap, &file);
        tap.send(b"one\x1b[31m\r\n");
        let mut second = connect(&mut tap, &file);
        tap.send(b"two");
        drop(tap);
        let mut got = String::new();
        first.read_to_string(&mut got).expect("first");
        assert_eq!(got, "one\x1b[31m\r\ntwo");
        got.clear();
        second.read_to_string(&mut got).expect("second");
        assert_eq!(got, "two");
        assert!(!path(&file).exists(), "the socket goes with the tap");
    }

    #[test]
    fn a_connection_far_behind_is_closed_and_the_others_go_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("api.log");
        let mut tap = Tap::bind(&file);
        let mut stalled = connect(&mut tap, &file);
        let mut reading = connect(&mut tap, &file);
        let chunk = vec![b'x'; 64 << 10];
        let mut read = 0;
        let mut buf = vec![0; 1 << 20];
        reading.set_nonblocking(true).expect("nonblocking");
        for _ in 0..(2 * BEHIND_MAX / chunk.len()) {
            tap.send(&chunk);
            while let Ok(n) = reading.read(&mut buf) {
                read += n;
            }
        }
        assert_eq!(tap.connections.len(), 1, "the stalled one is closed");
        drop(tap);
        reading.set_nonblocking(false).expect("blocking");
        let mut rest = Vec::new();
        reading.read_to_end(&mut rest).expect("rest");
        assert_eq!(
            read + rest.len(),
            2 * BEHIND_MAX,
            "the reading one got everything"
        );
        let mut stalled_got = Vec::new();
        stalled.read_to_end(&mut stalled_got).expect("stalled ends");
        assert!(stalled_got.len() < 2 * BEHIND_MAX);
    }

    #[test]
    fn a_newer_capture_keeps_its_socket_when_an_older_one_ends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("api.log");
        let older = Tap::bind(&file);
        let mut newer = Tap::bind(&file);
        drop(older);
        let _stream = connect(&mut newer, &file);
        assert_eq!(newer.connections.len(), 1);
    }
}
