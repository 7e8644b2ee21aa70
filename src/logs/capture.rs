//! `uc log-capture FILE`: what tmux pipes a service's pane into. It appends to FILE and,
//! once FILE passes the size limit, renames it to `FILE.1` (replacing the previous one) and
//! starts a new FILE, so captured output never fills the disk. The logs worker follows the
//! rename; the store keeps the history. It runs as tmux's child, so it outlives the engine.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::path::Path;

/// `uc`'s subcommand that captures a pane (dispatched in `main.rs`, ahead of everything).
pub const SUBCOMMAND: &str = "log-capture";

/// Size at which the capture file is rotated.
pub const ROTATE_AT: u64 = 16 << 20;

/// Copies `input` to `path` line by line until it ends, rotating at `limit` bytes.
pub fn run(input: impl io::Read, path: &Path, limit: u64) -> io::Result<()> {
    let mut input = io::BufReader::with_capacity(64 << 10, input);
    let mut file = open(path)?;
    let mut size = file.metadata()?.len();
    let mut line = Vec::with_capacity(4096);
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        if size > 0 && size + line.len() as u64 > limit {
            std::fs::rename(path, path.with_extension(rotated_extension(path)))?;
            file = open(path)?;
            size = 0;
        }
        // Unbuffered: a line reaches the file (and the follower) as soon as it is printed.
        file.write_all(&line)?;
        size += line.len() as u64;
    }
}

fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
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

    #[test]
    fn rotates_at_the_limit_without_splitting_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("api.log");
        let input: String = (0..100).map(|i| format!("line {i:03}\n")).collect();
        run(input.as_bytes(), &path, 300).expect("capture");
        let current = std::fs::read_to_string(&path).expect("current");
        let rotated = std::fs::read_to_string(dir.path().join("api.log.1")).expect("rotated");
        assert!(current.len() <= 300 && rotated.len() <= 300);
        assert!(current.ends_with("line 099\n"), "{current}");
        assert!(rotated.ends_with('\n') && current.starts_with("line "));
        let kept = rotated.lines().count() + current.lines().count();
        let first_kept: usize = rotated[5..8].parse().expect("number");
        assert_eq!(first_kept + kept, 100, "only whole files are dropped");
    }
}
