//! Reading the process trees of running services once per sampling cycle, cheaply. Each
//! process's `/proc` files stay open between cycles and are re-read with one `pread` each
//! (procfs regenerates them on a read at offset 0), and a cycle reads only the cheap ones:
//! `schedstat` (CPU time in ns), `statm` (resident pages) and `children`. The expensive
//! `stat` (generated field by field by the kernel) is read when a process is first met and
//! every [`STAT_EVERY`] cycles after, for its thread count. A held file also pins the
//! process's identity: once it exits, reads fail even if its PID is reused.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::os::unix::fs::FileExt;

use super::process::{parse_stat, read_proc_file};

/// Cycles between two reads of a process's `stat`.
pub const STAT_EVERY: u32 = 10;

/// One process of a service's tree, as of this cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeProc {
    pub pid: u32,
    pub start_ticks: u64,
    /// CPU time used so far, in nanoseconds.
    pub cpu_ns: u64,
    /// As of the last `stat` read (at most `STAT_EVERY` cycles old).
    pub threads: u32,
    pub rss_pages: u64,
}

/// Files of one process, opened once.
struct Handles {
    stat: File,
    schedstat: File,
    statm: File,
    /// `/proc/<pid>/task/<pid>/children`; multi-threaded processes list every task instead.
    children: Option<File>,
    start_ticks: u64,
    threads: u32,
    /// Cycles since `stat` was read.
    age: u32,
}

/// Keeps the `/proc` files of the processes it has seen; forgets those that are gone.
#[derive(Default)]
pub struct TreeReader {
    open: HashMap<u32, Handles>,
    seen: HashSet<u32>,
}

impl TreeReader {
    /// `root` and its live descendants, root first; empty when `root` is gone.
    pub fn tree(&mut self, root: u32) -> Vec<TreeProc> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(pid) = stack.pop() {
            // Each process once per cycle, even if two trees claim it.
            if !self.seen.insert(pid) {
                continue;
            }
            let Some(proc) = self.read(pid) else {
                continue;
            };
            self.children(&proc, &mut stack);
            out.push(proc);
        }
        out
    }

    /// Close the files of processes not met since the last call (call once per cycle).
    pub fn end_cycle(&mut self) {
        let seen = &self.seen;
        self.open.retain(|pid, _| seen.contains(pid));
        self.seen.clear();
    }

    fn read(&mut self, pid: u32) -> Option<TreeProc> {
        if let Some(h) = self.open.get_mut(&pid) {
            match h.read(pid) {
                Some(proc) => return Some(proc),
                // Exited (or a zombie): a new process may hold the PID now.
                None => {
                    self.open.remove(&pid);
                }
            }
        }
        let mut h = Handles::open(pid)?;
        let proc = h.read(pid)?;
        self.open.insert(pid, h);
        Some(proc)
    }

    fn children(&self, proc: &TreeProc, stack: &mut Vec<u32>) {
        let mut buf = [0u8; 4096];
        let mut push = |text: Option<&str>| {
            let ids = text.unwrap_or_default().split_whitespace();
            stack.extend(ids.filter_map(|c| c.parse::<u32>().ok()));
        };
        let pid = proc.pid;
        if proc.threads <= 1 {
            let file = self.open.get(&pid).and_then(|h| h.children.as_ref());
            push(file.and_then(|f| pread(f, &mut buf)));
        } else if let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) {
            for task in tasks.flatten() {
                let path = task.path().join("children");
                push(read_proc_file(&path.to_string_lossy(), &mut buf));
            }
        }
    }
}

impl Handles {
    fn open(pid: u32) -> Option<Self> {
        let file = |name: &str| File::open(format!("/proc/{pid}/{name}")).ok();
        let stat = file("stat")?;
        let mut buf = [0u8; 1024];
        let first = pread(&stat, &mut buf).and_then(parse_stat)?;
        if first.is_zombie() {
            return None;
        }
        Some(Self {
            schedstat: file("schedstat")?,
            statm: file("statm")?,
            children: File::open(format!("/proc/{pid}/task/{pid}/children")).ok(),
            stat,
            start_ticks: first.start_ticks,
            threads: first.threads,
            age: 0,
        })
    }

    /// `None` once the process has exited or become a zombie.
    fn read(&mut self, pid: u32) -> Option<TreeProc> {
        let mut buf = [0u8; 256];
        if self.age >= STAT_EVERY {
            let mut big = [0u8; 1024];
            let stat = pread(&self.stat, &mut big).and_then(parse_stat)?;
            if stat.is_zombie() {
                return None;
            }
            self.threads = stat.threads;
            self.age = 0;
        }
        self.age += 1;
        let cpu_ns = first_number(pread(&self.schedstat, &mut buf)?)?;
        let mut pages = pread(&self.statm, &mut buf)?.split_whitespace();
        let size: u64 = pages.next()?.parse().ok()?;
        let rss_pages: u64 = pages.next()?.parse().ok()?;
        // A zombie has no memory left at all.
        if size == 0 && rss_pages == 0 {
            return None;
        }
        Some(TreeProc {
            pid,
            start_ticks: self.start_ticks,
            cpu_ns,
            threads: self.threads,
            rss_pages,
        })
    }
}

fn first_number(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

/// One `pread` at offset 0; text longer than `buf` is cut at its last whole field.
fn pread<'a>(file: &File, buf: &'a mut [u8]) -> Option<&'a str> {
    let n = file.read_at(buf, 0).ok()?;
    super::process::whole_fields(buf, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_children_and_reuses_its_files() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 5 & sleep 5 & wait"])
            .spawn()
            .expect("spawn sh");
        let mut reader = TreeReader::default();
        let mut tree = Vec::new();
        for _ in 0..100 {
            tree = reader.tree(child.id());
            reader.end_cycle();
            if tree.len() == 3 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(tree.len(), 3, "sh and two sleeps: {tree:?}");
        assert_eq!(tree[0].pid, child.id());
        assert!(tree.iter().all(|p| p.threads == 1 && p.rss_pages > 0));
        assert_eq!(reader.open.len(), 3, "files kept for the next cycle");
        for _ in 0..STAT_EVERY + 1 {
            assert_eq!(reader.tree(child.id()).len(), 3);
            reader.end_cycle();
        }
        let mine = reader.tree(std::process::id());
        assert!(
            mine.iter().any(|p| p.pid == child.id()),
            "through a multi-threaded parent"
        );
        assert!(mine[0].threads > 1 && mine[0].cpu_ns > 0);
        child.kill().ok();
        child.wait().ok();
        reader.end_cycle();
        let gone = reader.tree(child.id());
        reader.end_cycle();
        assert!(gone.is_empty(), "{gone:?}");
    }

    #[test]
    fn a_zombie_is_not_part_of_a_tree() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "exit 0"])
            .spawn()
            .expect("spawn sh");
        let pid = child.id();
        let mut reader = TreeReader::default();
        let mut zombie = false;
        for _ in 0..200 {
            zombie = super::super::process::zombie_exit(pid).is_some();
            if zombie {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(zombie);
        assert!(reader.tree(pid).is_empty());
        child.wait().ok();
    }
}
