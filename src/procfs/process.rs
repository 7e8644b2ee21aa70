//! What `/proc` says about the processes of a service: who descends from whom, which process
//! groups exist, when a PID started (so a recycled PID is never mistaken for ours), and which
//! processes carry a service's instance marker in their environment.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Env var every service process inherits; its value identifies one run of one service.
/// Descendants that left the process group and lost their parent (double-forked daemons)
/// still carry it, so a stop can find them.
pub const INSTANCE_ENV: &str = "UC_INSTANCE";

/// One process as seen in `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: u32,
    pub ppid: u32,
    pub pgrp: u32,
    pub state: char,
    /// Start time in clock ticks since boot: with the PID, a process identity that survives
    /// PID reuse.
    pub start_ticks: u64,
    pub threads: u32,
}

impl ProcStat {
    pub fn is_zombie(&self) -> bool {
        matches!(self.state, 'Z' | 'X')
    }

    pub fn identity(&self) -> ProcId {
        ProcId {
            pid: self.pid,
            start_ticks: self.start_ticks,
        }
    }
}

/// A PID plus its start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProcId {
    pub pid: u32,
    pub start_ticks: u64,
}

/// Parse the content of `/proc/<pid>/stat`. The command name may hold spaces and parentheses,
/// so fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text.get(..open)?.trim().parse().ok()?;
    // Field 3 (state) onwards; `f[n - 3]` is field n of proc(5).
    let mut f = [""; 20];
    let mut fields = text.get(close + 1..)?.split_whitespace();
    for slot in &mut f {
        *slot = fields.next()?;
    }
    let num = |n: usize| f[n - 3].parse::<u64>().ok();
    Some(ProcStat {
        pid,
        state: f[0].chars().next()?,
        ppid: u32::try_from(num(4)?).ok()?,
        pgrp: u32::try_from(num(5)?).ok()?,
        threads: u32::try_from(num(20)?).ok()?,
        start_ticks: num(22)?,
    })
}

/// How a zombie process ended, from field 52 of its `stat` (the status `waitpid` would
/// return): `(exit code, signal)`. `None` while the process is not a zombie.
pub fn zombie_exit(pid: u32) -> Option<(Option<i32>, Option<i32>)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let close = text.rfind(')')?;
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    if !matches!(fields.first(), Some(&"Z")) {
        return None;
    }
    let status: i32 = fields.get(49)?.parse().ok()?;
    Some(wait_status(status))
}

pub fn read_stat(pid: u32) -> Option<ProcStat> {
    let mut buf = [0u8; 1024];
    let text = read_proc_file(&format!("/proc/{pid}/stat"), &mut buf)?;
    parse_stat(text)
}

/// A small `/proc` file in one `read` into `buf`: `fs::read_to_string` adds a `statx` and
/// a second `read` per file, which doubles the cost of sampling a process tree. Text longer
/// than `buf` is cut at the last whole space-separated field.
pub fn read_proc_file<'a>(path: &str, buf: &'a mut [u8]) -> Option<&'a str> {
    use std::io::Read;
    let mut file = fs::File::open(path).ok()?;
    let n = file.read(buf).ok()?;
    whole_fields(buf, n)
}

/// The `n` bytes read into `buf` as text; when they filled it, cut at the last whole
/// space-separated field.
pub(super) fn whole_fields(buf: &[u8], n: usize) -> Option<&str> {
    let bytes = &buf[..n];
    let bytes = if n == buf.len() {
        &bytes[..bytes.iter().rposition(|b| *b == b' ').unwrap_or(0)]
    } else {
        bytes
    };
    std::str::from_utf8(bytes).ok()
}

/// The process with this identity still exists and is not a zombie.
pub fn is_alive(id: ProcId) -> bool {
    read_stat(id.pid).is_some_and(|s| s.start_ticks == id.start_ticks && !s.is_zombie())
}

/// Every process on the machine at one instant.
#[derive(Debug, Default)]
pub struct ProcessTable {
    procs: HashMap<u32, ProcStat>,
}

impl ProcessTable {
    pub fn scan() -> Self {
        let mut procs = HashMap::new();
        if let Ok(entries) = fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                    continue;
                };
                if let Some(stat) = read_stat(pid) {
                    procs.insert(pid, stat);
                }
            }
        }
        Self { procs }
    }

    pub fn get(&self, pid: u32) -> Option<&ProcStat> {
        self.procs.get(&pid)
    }

    /// `roots` and all their live descendants (zombies excluded), each once.
    pub fn tree(&self, roots: &[u32]) -> Vec<ProcStat> {
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for p in self.procs.values() {
            children.entry(p.ppid).or_default().push(p.pid);
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut stack: Vec<u32> = roots.to_vec();
        while let Some(pid) = stack.pop() {
            if !seen.insert(pid) {
                continue;
            }
            if let Some(p) = self.procs.get(&pid) {
                if !p.is_zombie() {
                    out.push(*p);
                }
                stack.extend(children.get(&pid).into_iter().flatten());
            }
        }
        out
    }

    /// Live members of process group `pgrp`.
    pub fn group(&self, pgrp: u32) -> Vec<ProcStat> {
        self.procs
            .values()
            .filter(|p| p.pgrp == pgrp && !p.is_zombie())
            .copied()
            .collect()
    }

    /// Live processes whose environment has `UC_INSTANCE=<instance>`. Only processes we may
    /// read (our own user's) are found, which are the only ones a service can have started.
    pub fn with_instance(&self, instance: &str) -> Vec<ProcStat> {
        let needle = format!("{INSTANCE_ENV}={instance}");
        self.procs
            .values()
            .filter(|p| !p.is_zombie())
            .filter(|p| {
                fs::read(format!("/proc/{}/environ", p.pid))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
            })
            .copied()
            .collect()
    }
}

/// `roots` and their live descendants, found through `/proc/<pid>/task/<tid>/children` (cost
/// grows with the trees, not with the machine's process count), each once.
pub fn descendants(roots: &[u32]) -> Vec<ProcStat> {
    let mut out: Vec<ProcStat> = Vec::new();
    let mut stack = roots.to_vec();
    let mut buf = [0u8; 4096];
    while let Some(pid) = stack.pop() {
        if out.iter().any(|p| p.pid == pid) {
            continue;
        }
        let Some(stat) = read_stat(pid).filter(|s| !s.is_zombie()) else {
            continue;
        };
        let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let path = task.path().join("children");
            let children = read_proc_file(&path.to_string_lossy(), &mut buf).unwrap_or_default();
            stack.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
        out.push(stat);
    }
    out
}

/// Open file descriptors of a process, `None` when not readable. Since Linux 6.2 the size of
/// `/proc/<pid>/fd` is the count (one `statx`); older kernels say 0, then entries are counted.
pub fn open_fds(pid: u32) -> Option<u32> {
    let dir = format!("/proc/{pid}/fd");
    let size = fs::metadata(&dir).ok()?.len();
    let count = if size > 0 {
        size
    } else {
        fs::read_dir(&dir).ok()?.count() as u64
    };
    u32::try_from(count).ok()
}

/// Bytes in a memory page.
pub fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| {
        nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .and_then(|p| u64::try_from(p).ok())
            .filter(|p| *p > 0)
            .unwrap_or(4096)
    })
}

/// Clock ticks per second (`getconf CLK_TCK`).
fn ticks_per_second() -> u64 {
    static TCK: OnceLock<u64> = OnceLock::new();
    *TCK.get_or_init(|| {
        nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
            .ok()
            .flatten()
            .and_then(|t| u64::try_from(t).ok())
            .filter(|t| *t > 0)
            .unwrap_or(100)
    })
}

/// Boot time in Unix milliseconds. From `/proc/uptime` (10 ms resolution) rather than
/// `btime` (whole seconds), so start times are not off by up to a second.
fn boot_time_ms() -> u64 {
    static BOOT: OnceLock<u64> = OnceLock::new();
    *BOOT.get_or_init(|| {
        let uptime_ms = fs::read_to_string("/proc/uptime")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0, |secs| (secs * 1000.0) as u64);
        crate::clock::now_ms().saturating_sub(uptime_ms)
    })
}

/// When a process started, in Unix milliseconds.
pub fn started_at_ms(start_ticks: u64) -> u64 {
    boot_time_ms() + start_ticks * 1000 / ticks_per_second()
}

/// A raw wait status as `(exit code, signal)`.
pub fn wait_status(status: i32) -> (Option<i32>, Option<i32>) {
    let signal = status & 0x7f;
    if signal == 0 {
        (Some((status >> 8) & 0xff), None)
    } else {
        (None, Some(signal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_and_parens_in_the_name() {
        let line = "4242 (my (weird) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 987654 1000 10 18446744073709551615";
        let stat = parse_stat(line).expect("parses");
        assert_eq!(stat.pid, 4242);
        assert_eq!(stat.ppid, 1);
        assert_eq!(stat.pgrp, 4242);
        assert_eq!(stat.state, 'S');
        assert_eq!(stat.threads, 5);
        assert_eq!(stat.start_ticks, 987654);
    }

    #[test]
    fn finds_own_process_and_its_start_time() {
        let me = std::process::id();
        let stat = read_stat(me).expect("own stat");
        assert!(is_alive(stat.identity()));
        let wrong = ProcId {
            pid: me,
            start_ticks: stat.start_ticks + 1,
        };
        assert!(
            !is_alive(wrong),
            "a different start time is a different process"
        );
        let started = started_at_ms(stat.start_ticks);
        let now = crate::clock::now_ms();
        assert!(
            started <= now && now - started < 3_600_000,
            "{started} vs {now}"
        );
    }

    #[test]
    fn reads_how_a_zombie_ended() {
        for (script, want) in [("exit 7", (Some(7), None)), ("kill -9 $$", (None, Some(9)))] {
            let mut child = std::process::Command::new("sh")
                .args(["-c", script])
                .spawn()
                .expect("spawn sh");
            let pid = child.id();
            let mut seen = None;
            for _ in 0..200 {
                seen = zombie_exit(pid);
                if seen.is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            assert_eq!(seen, Some(want), "{script}");
            child.wait().expect("reap");
        }
        assert_eq!(
            zombie_exit(std::process::id()),
            None,
            "a live process is no zombie"
        );
    }

    #[test]
    fn descendants_follow_children_files() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 5 & wait"])
            .spawn()
            .expect("spawn sh");
        let mut found = Vec::new();
        for _ in 0..100 {
            found = descendants(&[child.id()]);
            if found.len() == 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            descendants(&[std::process::id()])
                .iter()
                .any(|p| p.pid == child.id())
        );
        child.kill().ok();
        child.wait().ok();
    }

    #[test]
    fn tree_includes_children() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("spawn sleep");
        let table = ProcessTable::scan();
        let tree = table.tree(&[std::process::id()]);
        assert!(tree.iter().any(|p| p.pid == child.id()));
        child.kill().ok();
        child.wait().ok();
    }
}
