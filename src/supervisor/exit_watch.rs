//! Knowing at once when a service's main process ends, without polling and without relying
//! on tmux: a pidfd becomes readable when the process it refers to exits, even for a process
//! that is not our child (service processes are children of the tmux server).

use std::io;

use rustix::process::{Pid, PidfdFlags, pidfd_open};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Resolves when process `pid` has exited (it may still be an unreaped zombie). An error
/// means the process could not be watched, usually because it is already gone.
pub async fn exited(pid: u32) -> io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad pid"))?;
    let fd = pidfd_open(pid, PidfdFlags::NONBLOCK)?;
    // Deprecated because a `T` could swap or close its fd while registered; an `OwnedFd`
    // moved into the `AsyncFd` cannot, so this use is sound (and needs no `unsafe`).
    #[allow(deprecated)]
    let fd = AsyncFd::with_interest(fd, Interest::READABLE)?;
    let _ready = fd.readable().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn resolves_when_the_process_exits() {
        let mut child = std::process::Command::new("sleep")
            .arg("0.2")
            .spawn()
            .expect("spawn sleep");
        let watch = exited(child.id());
        tokio::time::timeout(Duration::from_secs(5), watch)
            .await
            .expect("noticed the exit in time")
            .expect("watchable");
        child.wait().expect("reap");
    }
}
