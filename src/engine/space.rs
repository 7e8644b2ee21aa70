//! The state directory's free space, looked at once a second: it speaks for the log
//! captures, which have no line to the engine, when the disk fills up.

use std::path::PathBuf;
use std::time::Duration;

use crate::protocol::Hub;

/// Below this much free space the state directory's file system counts as full.
const MIN_FREE: u64 = 64 << 10;

/// How often the free space is looked at.
const SPACE_EVERY: Duration = Duration::from_secs(1);

/// What the space watcher says waits: the captures (tmux's children, with no line to the
/// engine) cannot say so themselves, and they are the first writers a full disk stops.
const CAPTURE: &str = "log capture";

/// Looks at the free space of `dir`'s file system once a second: nearly none is a full disk
/// (the log captures wait), some again ends that.
pub fn watch_space(hub: Hub, dir: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SPACE_EVERY);
        loop {
            tick.tick().await;
            if let Some(free) = free_space(&dir) {
                hub.disk_full(CAPTURE, free < MIN_FREE);
            }
        }
    })
}

/// Bytes this process may still write there (root may use the reserved blocks too).
fn free_space(dir: &std::path::Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(dir).ok()?;
    let blocks = if nix::unistd::geteuid().is_root() {
        stat.blocks_free()
    } else {
        stat.blocks_available()
    };
    Some(blocks.saturating_mul(stat.fragment_size()))
}
