//! Directories held open while a step is planned and done. Each is opened one component at
//! a time from `/`, never through a symlink, and every file in it is touched relative to the
//! open directory (`unlinkat`, `renameat`, `openat` with `O_NOFOLLOW`): a directory that was
//! checked cannot be swapped for a symlink that leads the step out of its roots.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, StatxFlags};
use rustix::io::Errno;

/// An open directory and the path it was opened at (for reports).
#[derive(Debug, Clone)]
pub(super) struct HeldDir {
    fd: Arc<OwnedFd>,
    path: PathBuf,
}

/// What an entry is, read without following it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Meta {
    pub kind: Kind,
    pub len: u64,
    pub modified: SystemTime,
    /// Permission bits.
    mode: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

pub(super) struct Entry {
    pub name: OsString,
    pub meta: Meta,
}

const NOFOLLOW_DIR: OFlags = OFlags::DIRECTORY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

impl HeldDir {
    /// Opens `path` (absolute, symlinks already resolved): a symlink anywhere on the way,
    /// put there since it was resolved, fails with `ELOOP` instead of being followed.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut fd = rustix::fs::open("/", OFlags::RDONLY | NOFOLLOW_DIR, Mode::empty())?;
        let mut names = path.components().skip_while(|c| *c == Component::RootDir);
        let mut next = names.next();
        while let Some(component) = next {
            let Component::Normal(name) = component else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a resolved path", path.display()),
                ));
            };
            next = names.next();
            // Passing through needs only search permission: `O_PATH` until the last. With
            // `O_PATH` a symlink is opened itself and fails as no directory: say `ELOOP` for
            // it, as `O_NOFOLLOW` does without `O_PATH`.
            let access = if next.is_some() {
                OFlags::PATH
            } else {
                OFlags::RDONLY
            };
            fd = match rustix::fs::openat(&fd, name, access | NOFOLLOW_DIR, Mode::empty()) {
                Err(Errno::NOTDIR) if is_symlink(&fd, name) => return Err(Errno::LOOP.into()),
                opened => opened?,
            };
        }
        Ok(Self {
            fd: Arc::new(fd),
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, name: &OsStr) -> PathBuf {
        self.path.join(name)
    }

    /// The subdirectory `name`, refused when it is a symlink.
    pub fn child(&self, name: &OsStr) -> io::Result<Self> {
        let fd = rustix::fs::openat(
            &*self.fd,
            name,
            OFlags::RDONLY | NOFOLLOW_DIR,
            Mode::empty(),
        )?;
        Ok(Self {
            fd: Arc::new(fd),
            path: self.join(name),
        })
    }

    pub fn stat(&self, name: &OsStr) -> io::Result<Meta> {
        let flags = AtFlags::SYMLINK_NOFOLLOW;
        let st = rustix::fs::statx(&*self.fd, name, flags, StatxFlags::BASIC_STATS)?;
        let kind = match FileType::from_raw_mode(st.stx_mode.into()) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        let since_epoch = u64::try_from(st.stx_mtime.tv_sec)
            .map(|secs| Duration::new(secs, st.stx_mtime.tv_nsec))
            .unwrap_or_default();
        Ok(Meta {
            kind,
            len: st.stx_size,
            modified: SystemTime::UNIX_EPOCH + since_epoch,
            mode: u32::from(st.stx_mode) & 0o7777,
        })
    }

    /// Every entry but `.` and `..`, sorted by name; one removed meanwhile is left out.
    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for entry in Dir::read_from(&*self.fd)? {
            let entry = entry?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name == "." || name == ".." {
                continue;
            }
            match self.stat(name) {
                Ok(meta) => entries.push(Entry {
                    name: name.to_owned(),
                    meta,
                }),
                Err(e) if e.raw_os_error() == Some(Errno::NOENT.raw_os_error()) => {}
                Err(e) => return Err(e),
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Unlinks a file or a symlink (never what it points to); a directory is refused.
    pub fn remove(&self, name: &OsStr) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(&*self.fd, name, AtFlags::empty())?)
    }

    pub fn truncate(&self, name: &OsStr) -> io::Result<()> {
        // `O_NONBLOCK`: a FIFO put in the file's place fails instead of waiting for a reader.
        let flags = OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&*self.fd, name, flags, Mode::empty())?;
        File::from(fd).set_len(0)
    }

    pub fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        Ok(rustix::fs::renameat(&*self.fd, from, &*self.fd, to)?)
    }

    /// A new empty file `name` with the permissions of `like`, both in this directory.
    pub fn create_like(&self, name: &OsStr, like: &OsStr) -> io::Result<()> {
        let mode = Mode::from_raw_mode(self.stat(like)?.mode);
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&*self.fd, name, flags, mode)?;
        // The umask may have narrowed the mode `openat` was given.
        Ok(rustix::fs::fchmod(&fd, mode)?)
    }
}

fn is_symlink(dir: &OwnedFd, name: &OsStr) -> bool {
    let flags = AtFlags::SYMLINK_NOFOLLOW;
    rustix::fs::statx(dir, name, flags, StatxFlags::TYPE)
        .is_ok_and(|st| FileType::from_raw_mode(st.stx_mode.into()) == FileType::Symlink)
}

/// Whether `e` says a symlink was found where a directory or file was checked.
pub(super) fn is_symlink_refusal(e: &io::Error) -> bool {
    e.raw_os_error() == Some(Errno::LOOP.raw_os_error())
}
