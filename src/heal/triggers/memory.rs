//! `max_memory`: a restart when the service's processes together stay above the limit for
//! the sustain period (PM2's `max_memory_restart`, without its one-sample trigger: a
//! short spike during a GC should not kill a service).

use std::time::Duration;

use tokio::sync::mpsc;

use super::{Fired, TriggerKind};
use crate::config::MemoryLimit;
use crate::procfs::process;

const SAMPLE_EVERY: Duration = Duration::from_secs(1);

pub async fn run(
    service: String,
    root: u32,
    limit: MemoryLimit,
    fired: mpsc::UnboundedSender<Fired>,
) {
    let mut above_since: Option<tokio::time::Instant> = None;
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Ok(rss) = tokio::task::spawn_blocking(move || tree_rss(root)).await else {
            return;
        };
        if rss <= limit.bytes {
            above_since = None;
            continue;
        }
        let since = *above_since.get_or_insert_with(tokio::time::Instant::now);
        if since.elapsed() < limit.sustain {
            continue;
        }
        let reason = format!(
            "memory {} above max_memory {} for {}",
            mib(rss),
            mib(limit.bytes),
            crate::config::duration::format(limit.sustain)
        );
        let event = Fired {
            service,
            kind: TriggerKind::Memory,
            reason,
        };
        let _ = fired.send(event);
        // One firing per run: the restart ends this task with the process tree.
        return;
    }
}

/// Resident memory of `root` and its descendants, in bytes.
pub fn tree_rss(root: u32) -> u64 {
    let page = process::page_size();
    process::descendants(&[root])
        .iter()
        .filter_map(|p| resident_pages(p.pid))
        .sum::<u64>()
        * page
}

fn resident_pages(pid: u32) -> Option<u64> {
    let mut buf = [0u8; 256];
    let statm = process::read_proc_file(&format!("/proc/{pid}/statm"), &mut buf)?;
    statm.split_whitespace().nth(1)?.parse().ok()
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1 << 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_includes_children() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 5 & sleep 5 & wait"])
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(200));
        let alone = resident_pages(child.id()).expect("statm") * process::page_size();
        let tree = tree_rss(child.id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(tree > alone, "tree {tree} vs shell alone {alone}");
    }

    #[tokio::test]
    async fn fires_once_memory_stays_above_the_limit() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let limit = MemoryLimit {
            bytes: 1024,
            sustain: Duration::from_millis(1500),
        };
        let began = tokio::time::Instant::now();
        let task = tokio::spawn(run("api".into(), std::process::id(), limit, tx));
        let fired = tokio::time::timeout(Duration::from_secs(6), rx.recv())
            .await
            .expect("fired in time")
            .expect("open");
        assert!(began.elapsed() >= Duration::from_millis(1500));
        assert!(
            fired.reason.contains("above max_memory 0 MiB for 1s 500ms"),
            "{}",
            fired.reason
        );
        task.abort();
    }
}
