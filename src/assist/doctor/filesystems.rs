//! The file systems holding the workspace, its state and its logs: free space now, free
//! space at the diagnoses before (and from the metric history when the host samples that
//! disk), and the biggest files under those directories, from a bounded walk.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::metrics::series::{Metric, SeriesKey};

/// Biggest files named per file system.
const BIGGEST: usize = 3;
/// Entries a walk looks at, at most, per directory, and how deep it goes.
const WALK_ENTRIES: usize = 5000;
const WALK_DEPTH: usize = 8;
/// Readings remembered per file system, and for how long.
const READINGS: usize = 240;
const READINGS_MS: u64 = 10 * 60_000;

/// One file system and the workspace's directories on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filesystem {
    pub mount: String,
    /// What it holds, for people: `workspace /srv/app`, `logs /var/lib/uc/ws/logs`.
    pub holds: Vec<String>,
    /// Bytes this engine may still write, and the size.
    pub free: u64,
    pub total: u64,
    /// Free bytes at earlier readings and now, `(unix ms, bytes)`, oldest first.
    pub readings: Vec<(u64, u64)>,
    /// The biggest files under the directories it holds, biggest first.
    pub biggest: Vec<(PathBuf, u64)>,
}

/// The free space readings of this engine's diagnoses, by device: a diagnosis is a moment,
/// the rate a disk fills at needs the ones before it.
static SEEN: Mutex<BTreeMap<u64, VecDeque<(u64, u64)>>> = Mutex::new(BTreeMap::new());

/// The file systems holding `dirs` (`(what, path)`), each read now. `series` holds the
/// host's disk series, whose points become earlier readings of a sampled disk.
/// `worth_a_walk` says which file systems are worth walking for their biggest files: the
/// walk reads up to thousands of entries, and the doctor runs every few seconds while its
/// pane is open.
pub fn read(
    dirs: &[(&str, PathBuf)],
    series: &BTreeMap<SeriesKey, Vec<(f64, f64)>>,
    now_ms: u64,
    worth_a_walk: &dyn Fn(&Filesystem) -> bool,
) -> Vec<Filesystem> {
    let mounts = mount_points();
    let mut by_dev: BTreeMap<u64, (Filesystem, Vec<PathBuf>)> = BTreeMap::new();
    for (what, dir) in dirs {
        let Ok(meta) = std::fs::metadata(dir) else {
            continue;
        };
        let Some((free, total)) = space(dir) else {
            continue;
        };
        let entry = by_dev.entry(meta.dev()).or_insert_with(|| {
            let fs = Filesystem {
                mount: mount_of(&mounts, dir),
                free,
                total,
                ..Filesystem::default()
            };
            (fs, Vec::new())
        });
        entry.0.holds.push(format!("{what} {}", dir.display()));
        entry.1.push(dir.clone());
    }
    by_dev
        .into_iter()
        .map(|(dev, (mut fs, dirs))| {
            fs.readings = remember(dev, now_ms, fs.free, sampled(&fs, series));
            if worth_a_walk(&fs) {
                fs.biggest = biggest(&dirs, dev);
            }
            fs
        })
        .collect()
}

/// Adds this reading to the device's and answers them all; the metric history's readings
/// come first when it has older ones.
fn remember(dev: u64, now_ms: u64, free: u64, sampled: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let readings = seen.entry(dev).or_default();
    readings.push_back((now_ms, free));
    while readings.len() > READINGS
        || readings
            .front()
            .is_some_and(|(at, _)| at + READINGS_MS < now_ms)
    {
        readings.pop_front();
    }
    let first_seen = readings.front().map_or(now_ms, |r| r.0);
    let mut out: Vec<(u64, u64)> = sampled.into_iter().filter(|r| r.0 < first_seen).collect();
    out.extend(readings.iter().copied());
    out
}

/// The host sampler's used-percent points for the disk, as free bytes.
fn sampled(fs: &Filesystem, series: &BTreeMap<SeriesKey, Vec<(f64, f64)>>) -> Vec<(u64, u64)> {
    let key = SeriesKey::new(Metric::DiskUsedPct, &fs.mount);
    let total = fs.total as f64;
    (series.get(&key).into_iter().flatten())
        .map(|&(t, pct)| {
            (
                (t * 1000.0) as u64,
                (total * (1.0 - pct / 100.0)).max(0.0) as u64,
            )
        })
        .collect()
}

/// Free bytes this process may write (root may use the reserved blocks too) and the size.
fn space(dir: &Path) -> Option<(u64, u64)> {
    let stat = nix::sys::statvfs::statvfs(dir).ok()?;
    let free = if nix::unistd::geteuid().is_root() {
        stat.blocks_free()
    } else {
        stat.blocks_available()
    };
    let size = stat.fragment_size();
    Some((
        free.saturating_mul(size),
        stat.blocks().saturating_mul(size),
    ))
}

fn mount_points() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split(' ').nth(1))
        .map(|m| m.replace("\\040", " "))
        .collect()
}

/// The deepest mount point holding `dir`.
fn mount_of(mounts: &[String], dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    (mounts.iter())
        .filter(|m| dir.starts_with(m.as_str()))
        .max_by_key(|m| m.len())
        .cloned()
        .unwrap_or_else(|| "/".to_owned())
}

/// The biggest regular files under `dirs` on device `dev`, at most [`WALK_ENTRIES`] entries
/// looked at per directory; symbolic links are not followed.
fn biggest(dirs: &[PathBuf], dev: u64) -> Vec<(PathBuf, u64)> {
    let mut sizes: HashMap<PathBuf, u64> = HashMap::new();
    for dir in dirs {
        let mut budget = WALK_ENTRIES;
        walk(dir, dev, 0, &mut budget, &mut sizes);
    }
    let mut files: Vec<(PathBuf, u64)> = sizes.into_iter().collect();
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    files.truncate(BIGGEST);
    files
}

fn walk(dir: &Path, dev: u64, depth: usize, budget: &mut usize, out: &mut HashMap<PathBuf, u64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.dev() != dev {
            continue;
        }
        if meta.is_dir() && depth < WALK_DEPTH {
            walk(&entry.path(), dev, depth + 1, budget, out);
        } else if meta.is_file() {
            out.insert(entry.path(), meta.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_read_with_its_biggest_files_and_readings_add_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(logs.join("deep")).expect("dirs");
        std::fs::write(logs.join("small.log"), "x").expect("small");
        std::fs::write(logs.join("deep/big.log"), vec![b'x'; 10_000]).expect("big");
        std::fs::write(dir.path().join("mid.bin"), vec![b'x'; 500]).expect("mid");
        let dirs = [
            ("workspace", dir.path().to_path_buf()),
            ("logs", logs.clone()),
        ];
        let first = read(&dirs, &BTreeMap::new(), 1_000, &|_| true);
        assert_eq!(first.len(), 1, "one file system holds both");
        let fs = &first[0];
        assert_eq!(fs.holds.len(), 2);
        assert!(fs.total > 0 && fs.free <= fs.total);
        assert_eq!(fs.biggest[0], (logs.join("deep/big.log"), 10_000));
        assert_eq!(fs.biggest[1].1, 500, "counted once though under two dirs");
        let second = read(&dirs, &BTreeMap::new(), 2_000, &|_| false);
        let at: Vec<u64> = second[0].readings.iter().map(|r| r.0).collect();
        assert!(at.ends_with(&[1_000, 2_000]), "{at:?}");
        assert!(
            second[0].biggest.is_empty(),
            "a disk not in trouble is not walked"
        );
    }

    #[test]
    fn sampled_points_come_before_the_first_reading() {
        let fs = Filesystem {
            mount: "/data".into(),
            total: 1000,
            ..Filesystem::default()
        };
        let mut series = BTreeMap::new();
        series.insert(
            SeriesKey::new(Metric::DiskUsedPct, "/data"),
            vec![(1.0, 10.0), (2.0, 20.0)],
        );
        assert_eq!(sampled(&fs, &series), [(1000, 900), (2000, 800)]);
        let readings = remember(u64::MAX, 1_500, 850, sampled(&fs, &series));
        assert_eq!(readings, [(1000, 900), (1500, 850)]);
    }
}
