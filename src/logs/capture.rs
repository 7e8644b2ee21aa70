//! `uc log-capture FILE`: what tmux pipes a service's pane into. It appends to FILE and,
//! once FILE passes the size limit, renames it to `FILE.1` (replacing the previous one) and
//! starts a new FILE, so captured output never fills the disk. The logs worker follows the
//! rename; the store keeps the history. It runs as tmux's child, so it outlives the engine.
//!
//! ## When the file cannot be written
//! A failed write (a full disk, most often) is never the end: the output read so far stays
//! in memory and the write is tried again, 50 ms after the failure and then up to every
//! second, for as long as it takes. Meanwhile the pipe is still read, up to [`BUFFER`]
//! bytes; past that the capture stops reading. tmux does not block the pane on a pipe that
//! is not read: it keeps the pane's output in its own memory and hands it over once the
//! capture reads again. So the service never stalls and no line is dropped; the price of a
//! long outage is the tmux server's memory, growing by what the services print until space
//! is freed (the engine's `DiskFull` alert says so). Dropping lines instead would bound that
//! memory but lose exactly the output written while something was wrong.
//!
//! Only whole lines are written: the file never ends in the middle of a line except for a
//! moment after a short write (the rest follows with the retry), and the output's last line
//! is ended with a newline when the pane closes. A line longer than [`MAX_LINE`] keeps its
//! first [`MAX_LINE`] bytes and ends with a marker saying how many bytes were cut.
//!
//! The bytes read also go, as they are, to the live terminals connected to the capture's
//! [`tap`], which never holds the file back.

mod cut;
pub mod tap;

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use cut::Lines;
pub use cut::MAX_LINE;
use tap::Tap;

/// `uc`'s subcommand that captures a pane (dispatched in `main.rs`, ahead of everything).
pub const SUBCOMMAND: &str = "log-capture";

/// Size at which the capture file is rotated.
pub const ROTATE_AT: u64 = 16 << 20;

/// Output read ahead while the file cannot be written; past it the pipe is left unread.
pub const BUFFER: usize = 1 << 20;

/// Bytes asked of the pipe per read: the first reads ask for [`READ_FIRST`], and each read
/// that fills the chunk doubles it up to [`READ_SIZE`]. A hundred quiet services then keep
/// 4 KiB each instead of 64 KiB of zeroed heap (the per-service budget is 0.3 MiB).
const READ_SIZE: usize = 64 << 10;
const READ_FIRST: usize = 4 << 10;

/// The first retry after a failed write; each further one waits twice as long, up to
/// [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(1);

/// After the pane closed, output that still cannot be written is given up this long after
/// the last failure began, so a capture does not outlive its workspace forever.
const CLOSED_PATIENCE: Duration = Duration::from_secs(3600);

/// Copies `input` to `path` line by line until it ends and everything read is written,
/// rotating at `limit` bytes. Write failures are waited out (see the module docs); only
/// reading `input` can fail.
pub fn run(input: impl Read + AsFd, path: &Path, limit: u64) -> io::Result<()> {
    Capture::new(path, limit).copy(input)
}

struct Capture {
    out: Output,
    lines: Lines,
    retry: Retry,
    tap: Tap,
}

impl Capture {
    fn new(path: &Path, limit: u64) -> Self {
        Self {
            out: Output::new(path, limit),
            lines: Lines::default(),
            retry: Retry::default(),
            tap: Tap::bind(path),
        }
    }

    fn copy(&mut self, mut input: impl Read + AsFd) -> io::Result<()> {
        let mut chunk = vec![0; READ_FIRST];
        let mut open = true;
        while open {
            let room = BUFFER.saturating_sub(self.lines.len());
            let wait = self.retry.wait();
            if room == 0 {
                // Full: the pipe waits (tmux holds the pane's output) until lines are written.
                if let Some(wait) = wait {
                    std::thread::sleep(wait);
                }
            } else if self.ready(&input, wait)? {
                let ask = room.min(chunk.len());
                let n = read(&mut input, &mut chunk[..ask])?;
                if n == 0 {
                    open = false;
                    self.lines.finish();
                } else {
                    self.tap.send(&chunk[..n]);
                    self.lines.push(&chunk[..n]);
                    if n == chunk.len() && n < READ_SIZE {
                        chunk.resize(n * 2, 0);
                    }
                }
            }
            self.write_due();
        }
        while !self.lines.is_empty() {
            if self.retry.failing_for() >= CLOSED_PATIENCE {
                return Err(io::Error::other(format!(
                    "{}: {} bytes not written",
                    self.out.path.display(),
                    self.lines.len()
                )));
            }
            if let Some(wait) = self.retry.wait() {
                std::thread::sleep(wait);
            }
            self.write_due();
        }
        Ok(())
    }

    /// Writes the complete lines held, unless a retry is not due yet.
    fn write_due(&mut self) {
        if self.retry.wait().is_some() || self.lines.complete().is_empty() {
            return;
        }
        match self.out.write(self.lines.complete()) {
            Ok(n) => {
                self.lines.consume(n);
                if self.lines.complete().is_empty() {
                    self.retry.succeeded();
                } else {
                    self.retry.failed();
                }
            }
            Err(_) => self.retry.failed(),
        }
    }

    /// Whether `input` has something to read (or its end) before `wait` passes (with no
    /// `wait`, as long as it takes), serving the tap meanwhile.
    fn ready(&mut self, input: &impl AsFd, wait: Option<Duration>) -> io::Result<bool> {
        let timeout = wait.map(|wait| {
            Timespec::try_from(wait).unwrap_or(Timespec {
                tv_sec: 1,
                tv_nsec: 0,
            })
        });
        let mut fds = vec![PollFd::new(input, PollFlags::IN)];
        fds.extend(self.tap.poll_fds());
        let ready = match poll(&mut fds, timeout.as_ref()) {
            Ok(_) => fds[0]
                .revents()
                .intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR),
            Err(rustix::io::Errno::INTR) => false,
            Err(e) => return Err(e.into()),
        };
        drop(fds);
        self.tap.serve();
        Ok(ready)
    }
}

fn read(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

/// When the next write may be tried after failures.
#[derive(Debug, Default)]
struct Retry {
    /// Since when writes fail, and when to try again.
    failing: Option<(Instant, Instant)>,
    delay: Duration,
}

impl Retry {
    /// How long until a write is due; `None` when it is due now.
    fn wait(&self) -> Option<Duration> {
        let (_, at) = self.failing?;
        let left = at.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    fn failing_for(&self) -> Duration {
        self.failing
            .map_or(Duration::ZERO, |(since, _)| since.elapsed())
    }

    fn failed(&mut self) {
        self.delay = (self.delay * 2).clamp(RETRY_FIRST, RETRY_MAX);
        let now = Instant::now();
        let since = self.failing.map_or(now, |(since, _)| since);
        self.failing = Some((since, now + self.delay));
    }

    fn succeeded(&mut self) {
        self.failing = None;
        self.delay = Duration::ZERO;
    }
}

/// The capture file: opened on first use, rotated at the limit.
struct Output {
    path: PathBuf,
    limit: u64,
    file: Option<File>,
    size: u64,
    /// The last byte written was not a newline (a short write): the line is finished
    /// before anything else, rotation included.
    mid_line: bool,
}

impl Output {
    fn new(path: &Path, limit: u64) -> Self {
        Self {
            path: path.to_path_buf(),
            limit,
            file: None,
            size: 0,
            mid_line: false,
        }
    }

    /// Writes a prefix of `lines` (whole lines, ending with a newline) and returns its
    /// length; an error when nothing could be written.
    fn write(&mut self, lines: &[u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < lines.len() {
            let rest = &lines[written..];
            let step = match self.fitting(rest) {
                0 => self.rotate().map(|()| 0),
                end => self.append(&rest[..end]),
            };
            match step {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if written == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(written)
    }

    /// One write system call; at least one byte written, or an error.
    fn append(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.open()?.write(bytes)?;
        if n == 0 {
            return Err(ErrorKind::WriteZero.into());
        }
        self.size += n as u64;
        self.mid_line = bytes[n - 1] != b'\n';
        Ok(n)
    }

    /// How much of `rest` goes into the current file: the lines that fit under the limit,
    /// at least one line when the file is empty or a line is unfinished; 0 to rotate first.
    fn fitting(&self, rest: &[u8]) -> usize {
        let first_line = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        if self.mid_line || self.size == 0 {
            return first_line;
        }
        let room = usize::try_from(self.limit.saturating_sub(self.size)).unwrap_or(usize::MAX);
        if rest.len() <= room {
            return rest.len();
        }
        memchr::memrchr(b'\n', &rest[..room]).map_or(0, |i| i + 1)
    }

    fn open(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.size = file.metadata()?.len();
            self.mid_line = false;
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("capture file not open"))
    }

    fn rotate(&mut self) -> io::Result<()> {
        std::fs::rename(
            &self.path,
            self.path.with_extension(rotated_extension(&self.path)),
        )?;
        self.file = None;
        self.size = 0;
        Ok(())
    }
}

/// `api.log` → `log.1`, so the rotated file is `api.log.1`.
fn rotated_extension(path: &Path) -> String {
    match path.extension() {
        Some(ext) => format!("{}.1", ext.to_string_lossy()),
        None => "1".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(input: &[u8], path: &Path, limit: u64) {
        let (reader, mut writer) = std::io::pipe().expect("pipe");
        let input = input.to_vec();
        let feeder = std::thread::spawn(move || writer.write_all(&input));
        run(reader, path, limit).expect("capture");
        feeder.join().expect("feeder").expect("fed");
    }

    #[test]
    fn rotates_at_the_limit_without_splitting_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("api.log");
        let input: String = (0..100).map(|i| format!("line {i:03}\n")).collect();
        capture(input.as_bytes(), &path, 300);
        let current = std::fs::read_to_string(&path).expect("current");
        let rotated = std::fs::read_to_string(dir.path().join("api.log.1")).expect("rotated");
        assert!(current.len() <= 300 && rotated.len() <= 300);
        assert!(current.ends_with("line 099\n"), "{current}");
        assert!(rotated.ends_with('\n') && current.starts_with("line "));
        let kept = rotated.lines().count() + current.lines().count();
        let first_kept: usize = rotated[5..8].parse().expect("number");
        assert_eq!(first_kept + kept, 100, "only whole files are dropped");
    }

    #[test]
    fn the_last_line_is_ended_when_the_pane_closes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("api.log");
        capture(b"one\ntwo", &path, ROTATE_AT);
        assert_eq!(std::fs::read_to_string(&path).expect("file"), "one\ntwo\n");
    }
}
