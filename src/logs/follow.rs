//! Following many log files rotation-safely, on one blocking thread.
//!
//! Each source names a file or a glob in one directory (`./app/logs/*.log`). The follower
//! watches those directories (inotify through notify) and also looks at every file on a
//! short poll, which covers file systems without events, a refused watch, and missed
//! events. Files are known by (device, inode): a file renamed away (`app.log` →
//! `app.log.1`) is read to its end before it is let go, a new `app.log` is read from its
//! start, a file that shrank (copytruncate) is read again from its start. Lines are handed
//! out without their newline; a line longer than [`crate::logs::line::MAX_LINE`] comes in
//! pieces, and an unfinished last line waits for its newline for a grace time.
//!
//! ```text
//! loop { follower.wait(timeout); follower.read(&mut |source, line| ...); }
//! ```

mod pattern;
mod signal;
mod tail;
mod watch;

use std::collections::{HashMap, HashSet};
use std::fs::{File, Metadata};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use pattern::Pattern;
pub use signal::Waker;
use signal::{Pending, Signal};
use tail::Tail;
use watch::Watch;

/// Bytes per read system call.
const BUFFER: usize = 256 << 10;

/// Bytes read from one file before the others get their turn.
const BUDGET: u64 = 16 << 20;

/// A file rotated away or deleted is let go after this long without growing: long enough
/// for its writer to notice the rotation and reopen.
const ORPHAN_QUIET: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("{0}: wildcards are only allowed in the file name")]
    DirectoryGlob(PathBuf),
    #[error("{0}: names no file")]
    NoFileName(PathBuf),
    #[error("{path}: {source}")]
    Path {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where to start reading the files a source names when it is added (files created later
/// are always read from their start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Beginning,
    End,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How often every file is looked at, whatever the watcher reports.
    pub poll_interval: Duration,
    /// How long an unfinished last line waits for its newline.
    pub partial_grace: Duration,
    /// Poll only, without a watcher.
    pub polling: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(250),
            partial_grace: Duration::from_millis(500),
            polling: false,
        }
    }
}

/// How far one file was read, to resume there after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub source: String,
    pub path: PathBuf,
    pub device: u64,
    pub inode: u64,
    pub offset: u64,
}

/// A file, whatever its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    fn of(meta: &Metadata) -> Self {
        Self {
            device: meta.dev(),
            inode: meta.ino(),
        }
    }
}

struct Source {
    name: Arc<str>,
    pattern: Pattern,
    /// Its writer ends every line (a capture file): an unfinished last line is waited for,
    /// however long, instead of being handed out after the grace time.
    whole_lines: bool,
}

pub struct Follower {
    options: Options,
    signal: Arc<Signal>,
    watch: Watch,
    sources: Vec<Source>,
    files: HashMap<FileId, Tail>,
    /// The file each followed name currently holds.
    by_path: HashMap<PathBuf, FileId>,
    /// Positions given to [`Follower::restore`], used as their files are found.
    saved: HashMap<FileId, Position>,
    restored_sources: HashSet<String>,
    pending: Pending,
    /// Files that stopped at their budget: read again at once.
    behind: Vec<FileId>,
    buf: Vec<u8>,
    next_poll: Instant,
}

impl Default for Follower {
    fn default() -> Self {
        Self::new()
    }
}

impl Follower {
    /// Watches directories for changes (polling too, as a safety net); polls alone when
    /// the system refuses a watcher.
    pub fn new() -> Self {
        Self::with_options(Options::default())
    }

    /// Polls only (file systems without change events, tests).
    pub fn polling() -> Self {
        Self::with_options(Options {
            polling: true,
            ..Options::default()
        })
    }

    pub fn with_options(options: Options) -> Self {
        let signal = Arc::new(Signal::default());
        Self {
            watch: Watch::new(&signal, options.polling),
            signal,
            options,
            sources: Vec::new(),
            files: HashMap::new(),
            by_path: HashMap::new(),
            saved: HashMap::new(),
            restored_sources: HashSet::new(),
            pending: Pending::default(),
            behind: Vec::new(),
            buf: vec![0; BUFFER],
            next_poll: Instant::now(),
        }
    }

    /// Whether a watcher reports changes (else only polling finds them).
    pub fn is_watching(&self) -> bool {
        self.watch.is_watching()
    }

    pub fn waker(&self) -> Waker {
        Waker(Arc::clone(&self.signal))
    }

    /// Follows the file or the glob `path` as part of `source` (a source may have several).
    /// Files it names now start at `start`, or where [`Follower::restore`] left them; files
    /// created later, or while a restored follower was away, start at 0.
    pub fn add(&mut self, source: &str, path: &Path, start: Start) -> Result<(), FollowError> {
        self.add_source(source, path, start, false)
    }

    /// Follows a file whose writer only ever leaves a line unfinished for a moment (what
    /// `uc log-capture` writes), from its start: a last line without its newline is held
    /// until the newline comes, so a write cut short by a full disk is not split in two.
    pub fn add_whole_lines(&mut self, source: &str, path: &Path) -> Result<(), FollowError> {
        self.add_source(source, path, Start::Beginning, true)
    }

    fn add_source(
        &mut self,
        source: &str,
        path: &Path,
        start: Start,
        whole_lines: bool,
    ) -> Result<(), FollowError> {
        let pattern = Pattern::parse(path)?;
        self.watch.add(&pattern.dir);
        let start = if self.restored_sources.contains(source) {
            Start::Beginning
        } else {
            start
        };
        self.sources.push(Source {
            name: Arc::from(source),
            pattern,
            whole_lines,
        });
        let added = self.sources.len() - 1;
        self.discover_source(added, start);
        self.recover_rotated(added);
        Ok(())
    }

    /// Stops following a source's files (an unfinished last line is dropped).
    pub fn remove(&mut self, source: &str) {
        self.sources.retain(|s| {
            let keep = &*s.name != source;
            if !keep {
                self.watch.remove(&s.pattern.dir);
            }
            keep
        });
        self.files.retain(|_, tail| &*tail.source != source);
        self.by_path.retain(|_, id| self.files.contains_key(id));
    }

    /// Where each followed file was read to (a file rotated away but not yet finished
    /// included), for [`Follower::restore`].
    pub fn positions(&self) -> Vec<Position> {
        self.files.values().map(Tail::position).collect()
    }

    /// Resumes from positions a previous follower saved; call it before [`Follower::add`].
    pub fn restore(&mut self, positions: impl IntoIterator<Item = Position>) {
        for position in positions {
            self.restored_sources.insert(position.source.clone());
            let id = FileId {
                device: position.device,
                inode: position.inode,
            };
            self.saved.insert(id, position);
        }
    }

    /// Blocks until something may be there to read: a change, a poll due, a [`Waker`], or
    /// `timeout` (then `false`).
    pub fn wait(&mut self, timeout: Duration) -> bool {
        if !self.behind.is_empty() {
            return true;
        }
        let deadline = Instant::now() + timeout;
        if self.signal.wait_until(deadline.min(self.next_poll)) {
            return true;
        }
        Instant::now() >= self.next_poll
    }

    /// Hands `sink` every complete line appended since the last read, with its source's
    /// name. Never blocks on a file's writer.
    pub fn read(&mut self, sink: &mut dyn FnMut(&str, &[u8])) {
        self.signal.take(&mut self.pending);
        let now = Instant::now();
        for id in std::mem::take(&mut self.behind) {
            self.check(id, now, sink);
        }
        if self.pending.rescan || now >= self.next_poll {
            self.next_poll = now + self.options.poll_interval;
            self.watch.refresh();
            self.scan(now, sink);
        } else {
            let paths = std::mem::take(&mut self.pending.paths);
            for path in &paths {
                self.changed(path, now, sink);
            }
            self.pending.paths = paths;
        }
        for tail in self.files.values_mut() {
            tail.flush_stale(now, self.options.partial_grace, sink);
        }
    }

    /// Looks for new names in every source, then reads every file, rotated-away ones first
    /// (their lines are older).
    fn scan(&mut self, now: Instant, sink: &mut dyn FnMut(&str, &[u8])) {
        for source in 0..self.sources.len() {
            self.discover_source(source, Start::Beginning);
        }
        let mut order: Vec<(bool, FileId)> = self
            .files
            .values()
            .map(|tail| (tail.orphaned.is_none(), tail.id))
            .collect();
        order.sort_unstable_by_key(|(named, _)| *named);
        for (_, id) in order {
            self.check(id, now, sink);
        }
    }

    /// A path the watcher reported: a followed file, a new file of a source, or a source's
    /// directory.
    fn changed(&mut self, path: &Path, now: Instant, sink: &mut dyn FnMut(&str, &[u8])) {
        if let Some(&id) = self.by_path.get(path) {
            self.check(id, now, sink);
            return;
        }
        if let Some(source) = self.sources.iter().find(|s| s.pattern.matches(path)) {
            let name = Arc::clone(&source.name);
            if let Some(id) = self.discover(path.to_owned(), name, Start::Beginning) {
                self.check(id, now, sink);
            }
        } else if self.sources.iter().any(|s| s.pattern.dir == path) {
            // The directory itself was created or replaced: a full look, at once.
            self.next_poll = now;
        }
    }

    /// Reads one file, then makes sure its name still holds it: when it does not, the file
    /// is kept as an orphan until it has been quiet for a while, and the name's new file
    /// (if any) is followed from its start.
    fn check(&mut self, id: FileId, now: Instant, sink: &mut dyn FnMut(&str, &[u8])) {
        let Some(tail) = self.files.get_mut(&id) else {
            return;
        };
        match tail.drain(&mut self.buf, BUDGET, sink) {
            Ok(drained) => {
                if drained.more {
                    self.behind.push(id);
                }
                if drained.bytes > 0 && tail.orphaned.is_some() {
                    tail.orphaned = Some(now);
                }
            }
            // Unreadable (a stale network handle): let go; its name is found again.
            Err(_) => {
                self.forget(id);
                return;
            }
        }
        if let Some(since) = tail.orphaned {
            if now.duration_since(since) >= ORPHAN_QUIET {
                tail.finish_partial(sink);
                self.files.remove(&id);
            }
            return;
        }
        let named = std::fs::metadata(&tail.path).map(|meta| FileId::of(&meta));
        if named.as_ref().ok() == Some(&id) {
            return;
        }
        tail.orphaned = Some(now);
        let (path, source) = (tail.path.clone(), Arc::clone(&tail.source));
        if self.by_path.get(&path) == Some(&id) {
            self.by_path.remove(&path);
        }
        if named.is_ok()
            && let Some(new) = self.discover(path, source, Start::Beginning)
        {
            self.check(new, now, sink);
        }
    }

    fn forget(&mut self, id: FileId) {
        if let Some(tail) = self.files.remove(&id)
            && self.by_path.get(&tail.path) == Some(&id)
        {
            self.by_path.remove(&tail.path);
        }
    }

    /// Follows the files of a source not followed yet.
    fn discover_source(&mut self, source: usize, start: Start) {
        let Source { name, pattern, .. } = &self.sources[source];
        let name = Arc::clone(name);
        if let Some(path) = pattern.literal() {
            if !self.by_path.contains_key(&path) {
                self.discover(path, name, start);
            }
            return;
        }
        let Ok(entries) = std::fs::read_dir(&pattern.dir) else {
            return;
        };
        let found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|entry| pattern.matches_name(&entry.file_name()))
            .map(|entry| entry.path())
            .filter(|path| !self.by_path.contains_key(path))
            .collect();
        for path in found {
            self.discover(path, Arc::clone(&name), start);
        }
    }

    /// Follows the file at `path`: from where it was read under another name, where a
    /// restored position says, or `start`.
    fn discover(&mut self, path: PathBuf, source: Arc<str>, start: Start) -> Option<FileId> {
        let file = File::open(&path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() {
            return None;
        }
        let id = FileId::of(&meta);
        if let Some(tail) = self.files.get_mut(&id) {
            // Renamed to a name the source also matches (`app.log` → `app.log.1`).
            if self.by_path.get(&tail.path) == Some(&id) {
                self.by_path.remove(&tail.path);
            }
            tail.path.clone_from(&path);
            tail.orphaned = None;
            self.by_path.insert(path, id);
            return Some(id);
        }
        let offset = match (self.saved.remove(&id), start) {
            (Some(saved), _) => saved.offset,
            (None, Start::Beginning) => 0,
            (None, Start::End) => meta.len(),
        };
        let whole_lines = self
            .sources
            .iter()
            .any(|s| s.name == source && s.whole_lines);
        let tail = Tail::open(source, path.clone(), file, id, offset)
            .ok()?
            .whole_lines(whole_lines);
        self.files.insert(id, tail);
        self.by_path.insert(path, id);
        Some(id)
    }

    /// Files a restored position names that were rotated away while no follower ran: found
    /// by inode in the source's directory and read from the saved offset to their end.
    fn recover_rotated(&mut self, source: usize) {
        let Source { name, pattern, .. } = &self.sources[source];
        let lost: HashSet<FileId> = self
            .saved
            .iter()
            .filter(|(_, p)| *p.source == **name && pattern.matches(&p.path))
            .map(|(id, _)| *id)
            .collect();
        if lost.is_empty() {
            return;
        }
        let (name, dir) = (Arc::clone(name), pattern.dir.clone());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let Ok(meta) = std::fs::metadata(entry.path()) else {
                continue;
            };
            let id = FileId::of(&meta);
            if lost.contains(&id)
                && let Some(found) = self.discover(entry.path(), Arc::clone(&name), Start::End)
                && let Some(tail) = self.files.get_mut(&found)
            {
                tail.orphaned = Some(Instant::now());
                self.by_path.remove(&tail.path);
            }
        }
    }
}
