//! Where a source's segments live and what they are called.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// A segment's two files; `first_seq` (its name) is the sequence number of its first line,
/// so names sort from oldest to newest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentPaths {
    pub first_seq: u64,
    pub log: PathBuf,
    pub idx: PathBuf,
}

impl SegmentPaths {
    pub fn new(dir: &Path, first_seq: u64) -> Self {
        let stem = format!("{first_seq:016x}");
        Self {
            first_seq,
            log: dir.join(format!("{stem}.log")),
            idx: dir.join(format!("{stem}.idx")),
        }
    }
}

/// The segments in `dir`, oldest first (none when `dir` does not exist).
pub fn list(dir: &Path) -> io::Result<Vec<SegmentPaths>> {
    let mut out = Vec::new();
    for entry in read_dir(dir)? {
        let name = entry?.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".log")) else {
            continue;
        };
        if stem.len() == 16
            && let Ok(first_seq) = u64::from_str_radix(stem, 16)
        {
            out.push(SegmentPaths::new(dir, first_seq));
        }
    }
    out.sort_by_key(|s| s.first_seq);
    Ok(out)
}

/// Every source in the store's directory, with its directory.
pub fn sources(root: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in read_dir(root)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        if let Some(name) = entry.file_name().to_str().and_then(source_name) {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn read_dir(dir: &Path) -> io::Result<Box<dyn Iterator<Item = io::Result<std::fs::DirEntry>>>> {
    match std::fs::read_dir(dir) {
        Ok(rd) => Ok(Box::new(rd)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Box::new(std::iter::empty())),
        Err(e) => Err(e),
    }
}

/// A source's directory name: reversible, so listing the store gives the sources back.
pub fn dir_name(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for (i, b) in source.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0);
        if plain {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    if out.is_empty() {
        out.push('%');
    }
    out
}

fn source_name(dir: &str) -> Option<String> {
    if dir == "%" {
        return Some(String::new());
    }
    let mut bytes = Vec::with_capacity(dir.len());
    let mut rest = dir.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_survive_the_file_system() {
        for name in [
            "api", "web-1", "my svc", "../etc", ".hidden", "a/b.log", "é", "",
        ] {
            let dir = dir_name(name);
            assert!(
                !dir.contains('/') && !dir.starts_with('.') && !dir.is_empty(),
                "{dir}"
            );
            assert_eq!(source_name(&dir).as_deref(), Some(name));
        }
    }

    #[test]
    fn segments_list_oldest_first_and_ignore_strangers() {
        let dir = tempfile::tempdir().unwrap();
        for seq in [300u64, 5, 70_000] {
            std::fs::write(SegmentPaths::new(dir.path(), seq).log, b"").unwrap();
        }
        std::fs::write(dir.path().join("notes.log"), b"").unwrap();
        let seqs: Vec<u64> = list(dir.path())
            .unwrap()
            .iter()
            .map(|s| s.first_seq)
            .collect();
        assert_eq!(seqs, [5, 300, 70_000]);
        assert!(list(&dir.path().join("missing")).unwrap().is_empty());
    }
}
