//! `audit.jsonl`: one JSON object a line, each carrying the hash of the line before it, so an
//! edited, inserted or removed line breaks the chain where it happened.
//!
//! A line is the record's fields, then `prev` (the previous line's `hash`, zeros for the
//! first), then `hash`: the SHA-256 of the line's bytes up to `hash` (with `}` closing them).
//! An edit that does not recompute `hash` is caught on its own line; one that does, on the
//! next line, whose `prev` no longer matches — as is a removal or an insertion.
//!
//! Appends take an exclusive `flock` (the engine, `uc serve` and a CLI command may write one
//! file), write whole lines with `O_APPEND`, and `fdatasync` before they return. A full disk
//! makes them wait and retry: an action is delayed, never left off the record.

use std::fs::File;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// A line ends `,"hash":"<64 hex>"}`.
const HASH_KEY: &[u8] = b",\"hash\":\"";
const TAIL: usize = HASH_KEY.len() + 64 + 2;

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    /// A user name (the socket's peer), a token's name (HTTP), or `system`.
    pub actor: String,
    /// `cli`, `tui`, `api`, `web`, `playbook` or `system`.
    pub via: String,
    #[serde(default)]
    pub workspace: Option<String>,
    /// What was asked: `POST /api/v1/services/stop`, `token create`, `heal restart`.
    pub action: String,
    /// What it acted on, when it names something.
    #[serde(default)]
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub outcome: String,
    /// Why a call was denied or failed, or why the system acted.
    #[serde(default)]
    pub reason: Option<String>,
    /// The HTTP status answered, for calls.
    #[serde(default)]
    pub status: Option<u16>,
    /// The client's address over TCP, `socket` on the engine's socket.
    #[serde(default)]
    pub source: Option<String>,
}

impl AuditRecord {
    /// A record stamped now.
    pub fn now(actor: &str, via: &str, action: &str, outcome: &str) -> Self {
        Self {
            time: time_of(crate::clock::now_ms()),
            actor: actor.to_owned(),
            via: via.to_owned(),
            workspace: None,
            action: action.to_owned(),
            target: None,
            outcome: outcome.to_owned(),
            reason: None,
            status: None,
            source: None,
        }
    }

    /// Milliseconds since the epoch; 0 when `time` does not parse.
    pub fn at_ms(&self) -> u64 {
        chrono::DateTime::parse_from_rfc3339(&self.time)
            .ok()
            .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
            .unwrap_or(0)
    }
}

pub fn time_of(at_ms: u64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(i64::try_from(at_ms).unwrap_or(i64::MAX))
        .unwrap_or_default();
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Serialize)]
struct Unsealed<'a> {
    #[serde(flatten)]
    record: &'a AuditRecord,
    prev: &'a str,
}

#[derive(Deserialize)]
struct Sealed {
    #[serde(flatten)]
    record: AuditRecord,
    prev: String,
}

/// The line for `record` after a line whose hash is `prev`, and its own hash.
pub fn seal(record: &AuditRecord, prev: &str) -> (Vec<u8>, String) {
    let mut line = serde_json::to_vec(&Unsealed { record, prev }).unwrap_or_default();
    let hash = hex::encode(Sha256::digest(&line));
    line.pop();
    line.extend_from_slice(HASH_KEY);
    line.extend_from_slice(hash.as_bytes());
    line.extend_from_slice(b"\"}\n");
    (line, hash)
}

/// What is wrong with a line (without its newline): `Err` when it is not one `seal` made.
fn open(line: &[u8]) -> Result<(Sealed, String), &'static str> {
    let broken = "edited: it is not a sealed record";
    if line.len() < TAIL || !line.ends_with(b"\"}") {
        return Err(broken);
    }
    let body_end = line.len() - TAIL;
    if &line[body_end..body_end + HASH_KEY.len()] != HASH_KEY {
        return Err(broken);
    }
    let hash = std::str::from_utf8(&line[line.len() - 66..line.len() - 2]).map_err(|_| broken)?;
    let mut body = line[..body_end].to_vec();
    body.push(b'}');
    if hex::encode(Sha256::digest(&body)) != hash {
        return Err("edited: its hash does not match its content");
    }
    let sealed: Sealed = serde_json::from_slice(&body).map_err(|_| broken)?;
    Ok((sealed, hash.to_owned()))
}

/// Where the chain breaks first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    pub problem: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.problem)
    }
}

/// The number of lines when the whole chain holds; else where it breaks first.
pub fn verify(path: &Path) -> std::io::Result<Result<usize, Break>> {
    let mut reader = std::io::BufReader::new(File::open(path)?);
    let mut prev = GENESIS.to_owned();
    let mut line = Vec::new();
    let mut number = 0;
    let broken = |line, problem: &str| Break {
        file: path.to_owned(),
        line,
        problem: problem.to_owned(),
    };
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(Ok(number));
        }
        number += 1;
        if line.pop() != Some(b'\n') {
            return Ok(Err(broken(
                number,
                "truncated tail: the last line is cut short",
            )));
        }
        let (sealed, hash) = match open(&line) {
            Ok(opened) => opened,
            Err(problem) => return Ok(Err(broken(number, problem))),
        };
        if sealed.prev != prev {
            let problem = format!(
                "does not follow line {}: a line was removed or inserted here, or the line \
                 before was edited and resealed",
                number - 1
            );
            return Ok(Err(broken(number, &problem)));
        }
        prev = hash;
    }
}

/// Every record that opens, in file order; broken lines are skipped (`verify` names them).
pub fn read(path: &Path) -> std::io::Result<Vec<AuditRecord>> {
    let reader = std::io::BufReader::new(File::open(path)?);
    let mut out = Vec::new();
    for line in reader.split(b'\n') {
        if let Ok((sealed, _)) = open(&line?) {
            out.push(sealed.record);
        }
    }
    Ok(out)
}

/// The records of the whole lines after byte `offset`, each with its hash, and the offset
/// after the last whole line: where the next read goes on. Broken lines are skipped.
pub fn read_from(path: &Path, offset: u64) -> std::io::Result<(Vec<(AuditRecord, String)>, u64)> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = std::io::BufReader::new(file);
    let (mut out, mut end, mut line) = (Vec::new(), offset, Vec::new());
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        // A line still being written is read when it is whole.
        if read == 0 || line.pop() != Some(b'\n') {
            return Ok((out, end));
        }
        end += read as u64;
        if let Ok((sealed, hash)) = open(&line) {
            out.push((sealed.record, hash));
        }
    }
}

/// An `audit.jsonl` open for appending.
pub struct Chain {
    path: PathBuf,
    file: File,
    /// The file's length after our last append and the hash of its last line: another
    /// writer changed the length, so the tail is read again.
    last: Option<(u64, String)>,
    /// Called with `true` while a full disk holds an append, `false` once it went through.
    on_full: Box<dyn FnMut(bool) + Send>,
}

impl Chain {
    /// Opens (or makes, 0600, in a 0700 directory) the file at `path`.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            crate::paths::private_dir(dir).map_err(std::io::Error::other)?;
        }
        let file = crate::paths::private_file()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file,
            last: None,
            on_full: Box::new(|_| {}),
        })
    }

    /// Told when a full disk holds appends, and when they resume.
    pub fn on_full(mut self, report: impl FnMut(bool) + Send + 'static) -> Self {
        self.on_full = Box::new(report);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `records` in order and makes them durable before returning.
    pub fn append(&mut self, records: &[AuditRecord]) -> std::io::Result<()> {
        rustix::fs::flock(&self.file, rustix::fs::FlockOperation::LockExclusive)?;
        let appended = self.append_locked(records);
        rustix::fs::flock(&self.file, rustix::fs::FlockOperation::Unlock)?;
        appended
    }

    fn append_locked(&mut self, records: &[AuditRecord]) -> std::io::Result<()> {
        let len = self.file.metadata()?.len();
        let (len, mut prev) = match &self.last {
            Some((at, hash)) if *at == len => (len, hash.clone()),
            _ => self.tail_hash(len)?,
        };
        let mut lines = Vec::with_capacity(records.len() * 320);
        for record in records {
            let (line, hash) = seal(record, &prev);
            lines.extend_from_slice(&line);
            prev = hash;
        }
        let mut written = 0;
        self.until_stored(|file| {
            // After a short write only the rest is written: the file keeps what it stored.
            written += file.write(&lines[written..])?;
            Ok(written == lines.len())
        })?;
        self.until_stored(|file| file.sync_data().map(|()| true))?;
        // Under the lock nobody else wrote: the file is what it was and what we added.
        self.last = Some((len + lines.len() as u64, prev));
        Ok(())
    }

    /// Runs `step` until it reports done, waiting out a full disk.
    fn until_stored(
        &mut self,
        mut step: impl FnMut(&mut File) -> std::io::Result<bool>,
    ) -> std::io::Result<()> {
        let mut waited = Duration::ZERO;
        loop {
            match step(&mut self.file) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if crate::protocol::is_full(&e) => {
                    if waited.is_zero() {
                        tracing::warn!(file = %self.path.display(), "audit append waits for space");
                        (self.on_full)(true);
                    }
                    let pause = Duration::from_millis(50)
                        .max(waited / 2)
                        .min(Duration::from_secs(1));
                    std::thread::sleep(pause);
                    waited += pause;
                }
                Err(e) => return Err(e),
            }
        }
        if !waited.is_zero() {
            (self.on_full)(false);
        }
        Ok(())
    }

    /// The length of a file `len` long once a line cut short (a crash mid-write, never
    /// answered) is cut off, and the hash of its last whole line, which the chain goes on from.
    fn tail_hash(&mut self, len: u64) -> std::io::Result<(u64, String)> {
        let whole = self.whole_length(len)?;
        if whole < len {
            tracing::warn!(
                file = %self.path.display(),
                bytes = len - whole,
                "the audit log's last line was cut short: removed"
            );
            self.file.set_len(whole)?;
        }
        if whole == 0 {
            return Ok((0, GENESIS.to_owned()));
        }
        let mut hash = [0u8; 64];
        self.file.read_exact_at(&mut hash, whole - 3 - 64)?;
        let hash = String::from_utf8(hash.to_vec()).map_err(std::io::Error::other)?;
        Ok((whole, hash))
    }

    /// The length up to the end of the last newline.
    fn whole_length(&mut self, len: u64) -> std::io::Result<u64> {
        let mut end = len;
        let mut block = vec![0u8; 4096];
        while end > 0 {
            let start = end.saturating_sub(block.len() as u64);
            let chunk = &mut block[..usize::try_from(end - start).unwrap_or(0)];
            self.file.seek(SeekFrom::Start(start))?;
            self.file.read_exact(chunk)?;
            if let Some(at) = memchr::memrchr(b'\n', chunk) {
                return Ok(start + at as u64 + 1);
            }
            end = start;
        }
        Ok(0)
    }
}
