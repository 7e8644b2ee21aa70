//! A small disk of its own: a tmpfs mounted for one test (CI runs as root), filled to the
//! last byte and freed again.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted at a directory; unmounted when dropped (lazily: the engine may still
/// hold files there while the test's tmux server goes down).
pub struct SmallDisk {
    pub dir: PathBuf,
    filler: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size` (`4m`) at `dir` (created if needed, private to its owner).
    /// `None`, with the reason printed, when this process may not mount: the caller skips.
    pub fn mount(dir: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700")])
            .arg("tmpfs")
            .arg(dir)
            .output()
            .expect("run mount");
        if !out.status.success() {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(Self {
            dir: dir.to_path_buf(),
            filler: dir.join("filler"),
        })
    }

    /// Writes a file until the disk has no byte left.
    pub fn fill(&self) {
        let mut file = std::fs::File::create(&self.filler).expect("filler");
        let chunk = vec![0x55; 4096];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc_enospc()) => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        // The last partial page too.
        while let Ok(n) = file.write(&chunk[..1]) {
            if n == 0 {
                break;
            }
        }
        assert_eq!(self.free_bytes(), 0, "the disk is full");
    }

    /// Deletes what [`SmallDisk::fill`] wrote.
    pub fn free(&self) {
        std::fs::remove_file(&self.filler).expect("remove the filler");
    }

    pub fn free_bytes(&self) -> u64 {
        let stat = nix::sys::statvfs::statvfs(&self.dir).expect("statvfs");
        stat.blocks_available() as u64 * stat.fragment_size() as u64
    }
}

fn libc_enospc() -> i32 {
    nix::errno::Errno::ENOSPC as i32
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Write system calls a process made so far, failed ones included (`syscw` in
/// `/proc/PID/io`); `None` once it is gone.
pub fn write_calls(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("syscw:"))
        .and_then(|v| v.trim().parse().ok())
}
