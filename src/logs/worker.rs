//! The engine's logs worker: one OS thread (file IO and mining are blocking work) that
//! follows every source, classifies each line (time, level, pattern), stores it, and tells
//! followers and the pattern list about it.

mod commands;
mod keep;
mod records;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::follow::{Follower, Position, Start, Waker};
use super::live::{Flagged, Live, LogsHub};
use super::mine::Miner;
use super::patterns::PatternBook;
use super::store::{LogStoreError, StoreLimits};
use super::{LevelCounts, LineClassifier, LineHeader, LogLine, line};
use crate::clock::now_ms;
use crate::config::{LogInput, LogSettings, Workspace};
use crate::paths::Paths;
use crate::protocol::{Hub, NoticeLevel};
use keep::{Change, Keep};
use records::{Record, Records};

/// What waits for space while the store cannot write, as `uc status` names it.
const WAITING: &str = "log store";

/// How often stored lines are flushed and live batches sent.
const CYCLE: Duration = Duration::from_millis(100);

/// Least time between two reads of the sources. Busy files change many times a second
/// each (every writer's flush is an event): reading at most this often takes each file's
/// writes in one read, and stores and saves positions once for all of them. A line
/// written after a quiet spell is still read at once.
const PACE: Duration = Duration::from_millis(50);

/// Handle held by the engine; dropping it stops the thread after a last flush.
pub struct LogsWorker {
    pub hub: LogsHub,
    pub store_dir: PathBuf,
    stop: Arc<AtomicBool>,
    waker: Waker,
    thread: Option<JoinHandle<()>>,
}

impl LogsWorker {
    pub fn spawn(ws: &Workspace, paths: &Paths, engine: Hub) -> std::io::Result<Self> {
        let hub = LogsHub::default();
        let store_dir = paths.log_store();
        let mut follower = Follower::new();
        let waker = follower.waker();
        let stop = Arc::new(AtomicBool::new(false));
        let sources = Sources::of(ws, paths);
        let positions = paths.log_positions();
        sources.follow(&mut follower, &positions, &engine);
        let commands = commands::spawn(&sources.commands, waker.clone());
        let captures = Captures::new(paths, &sources.captures);
        let limits = limits(&ws.logs, ws.quotas.log_retention.as_ref().map(|q| q.limit));
        let thread = {
            let (hub, stop, store_dir) = (hub.clone(), stop.clone(), store_dir.clone());
            std::thread::Builder::new()
                .name("logs".into())
                .spawn(move || {
                    let mut ingest = Ingest::new(hub, engine, Keep::new(store_dir, limits));
                    let opened = ingest.keep.open(&ingest.classify);
                    ingest.report(opened);
                    let mut captures = captures;
                    run(
                        &mut follower,
                        &commands,
                        &mut captures,
                        &mut ingest,
                        &stop,
                        &positions,
                    );
                })?
        };
        Ok(Self {
            hub,
            store_dir,
            stop,
            waker,
            thread: Some(thread),
        })
    }
}

impl Drop for LogsWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.waker.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `total`: `quotas.log_retention`. Only closed segments can go, so under a quota a segment
/// is at most an eighth of it.
fn limits(settings: &LogSettings, total: Option<u64>) -> StoreLimits {
    let segment = settings.retention.segment;
    StoreLimits {
        segment_bytes: total.map_or(segment, |t| segment.min((t / 8).max(4 << 10))),
        max_bytes_per_source: settings.retention.size,
        max_age: settings.retention.age,
        max_bytes_total: total,
    }
}

/// Every source of the workspace: each service's captured output, its declared files, the
/// workspace's files and commands.
struct Sources {
    /// Each service's captured output: (service, capture file), read from its start.
    captures: Vec<(String, PathBuf)>,
    /// (source, path or glob, where a file present at the first start is read from)
    files: Vec<(String, PathBuf, Start)>,
    commands: Vec<commands::CommandSource>,
}

impl Sources {
    fn of(ws: &Workspace, paths: &Paths) -> Self {
        // Captured output was written for this workspace: all of it is worth storing. A
        // declared file may be years of history: only what is written from now on.
        let captures = ws
            .services
            .iter()
            .map(|s| (s.name.clone(), paths.service_log(&s.name)))
            .collect();
        let mut files = Vec::new();
        let mut commands = Vec::new();
        for source in &ws.logs.sources {
            match &source.input {
                LogInput::Files(globs) => files.extend(
                    globs
                        .iter()
                        .map(|g| (source.name.clone(), g.clone(), Start::End)),
                ),
                LogInput::Command { command, cwd, env } => commands.push(commands::CommandSource {
                    name: source.name.clone(),
                    command: command.clone(),
                    cwd: cwd.clone(),
                    env: env.clone(),
                }),
            }
        }
        Self {
            captures,
            files,
            commands,
        }
    }

    fn follow(&self, follower: &mut Follower, positions: &Path, engine: &Hub) {
        if let Some(saved) = std::fs::read(positions)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Vec<Position>>(&bytes).ok())
        {
            follower.restore(saved);
        }
        let mut added = Vec::new();
        for (source, path) in &self.captures {
            added.push((source, follower.add_whole_lines(source, path)));
        }
        for (source, path, start) in &self.files {
            added.push((source, follower.add(source, path, *start)));
        }
        for (source, added) in added {
            if let Err(e) = added {
                engine.notice(
                    NoticeLevel::Warn,
                    None,
                    format!("log source `{source}`: {e}"),
                );
            }
        }
    }
}

/// The services whose captured output is followed. A service that starts later (added by
/// a config applied while the engine runs) is followed from its first line within a second,
/// like the ones the engine started with: the logs pane shows it, and the alert rules'
/// `log_rate` and `log_match`, which count this worker's lines, see it.
struct Captures {
    paths: Paths,
    services: HashSet<String>,
    checked: Instant,
}

impl Captures {
    fn new(paths: &Paths, captures: &[(String, PathBuf)]) -> Self {
        Self {
            paths: paths.clone(),
            services: captures.iter().map(|(s, _)| s.clone()).collect(),
            checked: Instant::now(),
        }
    }

    fn follow_started(&mut self, follower: &mut Follower, engine: &Hub) {
        if self.checked.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.checked = Instant::now();
        for (service, _) in engine.running_services() {
            if self.services.contains(&service) {
                continue;
            }
            let path = self.paths.service_log(&service);
            if let Err(e) = follower.add_whole_lines(&service, &path) {
                engine.notice(
                    NoticeLevel::Warn,
                    None,
                    format!("log source `{service}`: {e}"),
                );
            }
            self.services.insert(service);
        }
    }
}

fn run(
    follower: &mut Follower,
    commands: &commands::Lines,
    captures: &mut Captures,
    ingest: &mut Ingest,
    stop: &AtomicBool,
    positions: &Path,
) {
    // Positions are saved only once every line read up to them is stored.
    let mut unsaved = false;
    let mut last_read = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if ingest.keep.blocked() {
            std::thread::sleep(ingest.keep.wait().min(CYCLE));
        } else {
            follower.wait(CYCLE);
            std::thread::sleep(PACE.saturating_sub(last_read.elapsed()));
            last_read = Instant::now();
        }
        ingest.followed = ingest.hub.followed();
        ingest.now = now_ms();
        captures.follow_started(follower, &ingest.engine);
        ingest.retry();
        if !ingest.keep.blocked() {
            let before = ingest.lines;
            follower.read(&mut |source, bytes| ingest.line(source, bytes));
            commands.drain(&mut |source, bytes| ingest.line(source, bytes));
            unsaved |= ingest.lines != before;
        }
        ingest.cycle();
        // Right after the store's flush: a crash between the two repeats at most one
        // cycle's lines.
        if unsaved && !ingest.keep.blocked() {
            unsaved = !save_positions(follower, positions);
        }
    }
    if !ingest.keep.blocked() {
        ingest.now = now_ms();
        follower.read(&mut |source, bytes| ingest.line(source, bytes));
    }
    ingest.cycle();
    if !ingest.keep.blocked() {
        save_positions(follower, positions);
    }
}

/// Written whole to a temp file and renamed, so a crash leaves the old or the new file.
/// Whether it was written.
fn save_positions(follower: &Follower, path: &Path) -> bool {
    let Ok(json) = serde_json::to_vec(&follower.positions()) else {
        return false;
    };
    let tmp = path.with_extension("json.tmp");
    match std::fs::write(&tmp, json) {
        Ok(()) => std::fs::rename(&tmp, path).is_ok(),
        Err(_) => {
            let _ = std::fs::remove_file(&tmp);
            false
        }
    }
}

/// What a follower is told of a line beyond what the store keeps.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown {
    header: Option<LineHeader>,
    continues: bool,
}

/// Everything done to one line, and what is sent once per cycle and once per second.
struct Ingest {
    hub: LogsHub,
    engine: Hub,
    keep: Keep,
    classify: LineClassifier,
    miner: Miner,
    book: PatternBook,
    records: Records,
    /// Lines ingested since the engine started.
    lines: u64,
    /// Whether anyone follows, asked once a cycle (the broadcast answers under a lock).
    followed: bool,
    /// Unix ms when the current read began: a line's arrival time (a read takes a few ms;
    /// the clock is not asked for every line).
    now: u64,
    batch: Vec<LogLine>,
    /// The current second (Unix s) and its counts per source.
    second: u64,
    counts: Vec<(String, LevelCounts)>,
    last_patterns: Instant,
}

impl Ingest {
    fn new(hub: LogsHub, engine: Hub, keep: Keep) -> Self {
        Self {
            hub,
            engine,
            keep,
            classify: LineClassifier { now_ms: now_ms() },
            miner: Miner::new(),
            book: PatternBook::default(),
            records: Records::default(),
            lines: 0,
            followed: false,
            now: now_ms(),
            batch: Vec::new(),
            second: now_ms() / 1000,
            counts: Vec::new(),
            last_patterns: Instant::now(),
        }
    }

    fn line(&mut self, source: &str, bytes: &[u8]) {
        let cleaned = terminal_text(bytes);
        let bytes: &[u8] = &cleaned;
        let now = self.now;
        let text = line::text(bytes);
        let (miner, book) = (&mut self.miner, &mut self.book);
        let read = self.records.read(source, &text, |message| {
            let at = line::timestamp(bytes, now).unwrap_or(now);
            let level = line::level(bytes);
            let pattern = miner.add(message);
            book.record(pattern, source, at, level, &text);
            Record { at, level, pattern }
        });
        let record = read.record;
        if !read.continues {
            self.count(source, record.level, now);
        }
        self.lines += 1;
        let line = keep::LineRef {
            source,
            at: record.at,
            level: record.level,
            pattern: record.pattern,
            text: bytes,
            shown: Shown {
                header: read.header,
                continues: read.continues,
            },
        };
        match self.keep.append(line) {
            Ok(seq) => self.send(line, seq),
            Err(change) => self.report(change),
        }
    }

    /// A stored line goes to the followers, with the sequence number the store gave it.
    fn send(&mut self, line: keep::LineRef<'_>, seq: u64) {
        if self.followed {
            self.batch.push(LogLine {
                seq,
                at: line.at,
                source: line.source.to_owned(),
                level: line.level,
                pattern: Some(line.pattern),
                text: line::text(line.text).into_owned(),
                header: line.shown.header,
                continues: line.shown.continues,
            });
        }
    }

    /// Writes the lines that waited, when it is time to try again.
    fn retry(&mut self) {
        let mut stored = Vec::new();
        let change = self
            .keep
            .retry(&self.classify, &mut |line, seq| stored.push((seq, line)));
        for (seq, line) in stored {
            self.send(line.as_ref(), seq);
        }
        self.report(change);
    }

    /// Tells the user once when storing stops, and once when it works again.
    fn report(&mut self, change: Option<Change>) {
        match change {
            None => {}
            Some(Change::Failed(error)) => {
                tracing::error!("log store failed: {error}");
                self.engine.notice(
                    NoticeLevel::Error,
                    None,
                    format!(
                        "logs are not stored for now ({error}); nothing more is read until \
                         they are, and nothing is lost"
                    ),
                );
                if is_full(&error) {
                    self.engine.disk_full(WAITING, true);
                }
            }
            Some(Change::Recovered { lines }) => {
                tracing::info!("log store writes again; {lines} lines had waited");
                self.engine
                    .notice(NoticeLevel::Info, None, "logs are stored again");
                self.engine.disk_full(WAITING, false);
            }
        }
    }

    /// Counted by arrival: the histogram shows what the services are writing now.
    fn count(&mut self, source: &str, level: Option<super::Level>, now: u64) {
        if now / 1000 != self.second {
            self.send_second();
            self.second = now / 1000;
        }
        match self.counts.iter_mut().find(|(s, _)| s == source) {
            Some((_, counts)) => counts.add(level, 1),
            None => {
                let mut counts = LevelCounts::default();
                counts.add(level, 1);
                self.counts.push((source.to_owned(), counts));
            }
        }
    }

    fn send_second(&mut self) {
        let sources = std::mem::take(&mut self.counts);
        self.hub.send(Live::Second {
            at: self.second * 1000,
            sources,
        });
    }

    fn cycle(&mut self) {
        let change = self.keep.flush();
        self.report(change);
        if !self.batch.is_empty() {
            self.hub.send(Live::Lines(std::mem::take(&mut self.batch)));
        }
        let now = now_ms();
        if now / 1000 != self.second {
            self.send_second();
            self.second = now / 1000;
        }
        if self.last_patterns.elapsed() >= Duration::from_secs(1) {
            self.last_patterns = Instant::now();
            self.publish_patterns(now);
        }
    }

    fn publish_patterns(&mut self, now: u64) {
        let miner = &self.miner;
        self.book.follow_merges(|id| miner.resolve(id));
        if let Some(at) = self.engine.last_change() {
            self.book.mark_change(at);
        }
        let infos = self
            .book
            .infos(now, |id| miner.template(id).unwrap_or_default().to_owned());
        let flagged = infos
            .iter()
            .filter_map(|p| {
                Some(Flagged {
                    id: p.id,
                    flag: p.flag?,
                    template: p.template.clone(),
                    sources: p.sources.clone(),
                    count: p.count,
                })
            })
            .collect();
        self.hub.set_patterns(infos);
        self.hub.set_flagged(flagged);
        self.hub.set_formats(self.records.formats());
    }
}

fn is_full(error: &LogStoreError) -> bool {
    matches!(error, LogStoreError::Io { source, .. } if crate::protocol::is_full(source))
}

/// A pane's output as text: without the terminal's `\r` before the newline and without
/// colour and cursor escapes (they would split patterns and garble the TUI).
fn terminal_text(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if memchr::memchr(0x1b, bytes).is_none() {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(esc) = memchr::memchr(0x1b, rest) {
        out.extend_from_slice(&rest[..esc]);
        rest = &rest[esc + 1..];
        rest = match rest.first() {
            // CSI: parameters, then one final byte in @..~.
            Some(b'[') => {
                let end = rest[1..].iter().position(|b| (0x40..=0x7e).contains(b));
                end.map_or(&[][..], |e| &rest[e + 2..])
            }
            // OSC (titles, links): up to BEL or ESC \.
            Some(b']') => {
                let end = rest.iter().position(|b| *b == 0x07 || *b == 0x1b);
                end.map_or(&[][..], |e| &rest[(e + 1).min(rest.len())..])
            }
            Some(_) => &rest[1..],
            None => rest,
        };
    }
    out.extend_from_slice(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::terminal_text;

    #[test]
    fn terminal_escapes_and_carriage_returns_go() {
        assert_eq!(&*terminal_text(b"plain\r"), b"plain");
        assert_eq!(
            &*terminal_text(b"\x1b[1;31mERROR\x1b[0m disk \x1b]0;title\x07full\r"),
            b"ERROR disk full"
        );
        assert_eq!(&*terminal_text(b"cut \x1b["), b"cut ");
    }
}
