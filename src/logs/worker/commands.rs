//! Command sources (`logs: { commands: { ssh: journalctl -f -u ssh } }`): the engine runs
//! each command and reads what it prints. A command that exits is started again after a
//! pause; the children die with the engine (they only read).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::logs::follow::Waker;
use crate::logs::line::MAX_LINE;

/// Lines waiting for the worker; a full queue blocks the reader, and so the command:
/// backpressure instead of loss.
const QUEUE: usize = 16_384;
/// Pause before starting a command that exited, doubling up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct CommandSource {
    pub name: String,
    pub command: String,
    pub cwd: PathBuf,
    /// The variables the command's `${…}` are read from.
    pub env: std::collections::BTreeMap<String, String>,
}

/// The lines every command printed, and the children to kill when the worker goes.
pub struct Lines {
    rx: Receiver<(Arc<str>, Vec<u8>)>,
    children: Arc<Mutex<Vec<Child>>>,
}

impl Lines {
    pub fn drain(&self, sink: &mut dyn FnMut(&str, &[u8])) {
        loop {
            match self.rx.try_recv() {
                Ok((source, line)) => sink(&source, &line),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return,
            }
        }
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        let mut children = self
            .children
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for child in children.iter_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn spawn(sources: &[CommandSource], waker: Waker) -> Lines {
    let (tx, rx) = sync_channel(QUEUE);
    let children = Arc::new(Mutex::new(Vec::new()));
    for source in sources {
        let (source, tx, waker, children) =
            (source.clone(), tx.clone(), waker.clone(), children.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("logs-{}", source.name))
            .spawn(move || keep_running(&source, &tx, &waker, &children));
        if let Err(e) = spawned {
            tracing::warn!("cannot start log command thread: {e}");
        }
    }
    Lines { rx, children }
}

fn keep_running(
    source: &CommandSource,
    tx: &SyncSender<(Arc<str>, Vec<u8>)>,
    waker: &Waker,
    children: &Mutex<Vec<Child>>,
) {
    let name: Arc<str> = Arc::from(source.name.as_str());
    let mut pause = FIRST_PAUSE;
    loop {
        match start(source) {
            Ok(mut child) => {
                let stdout = child.stdout.take();
                if let Ok(mut list) = children.lock() {
                    list.push(child);
                }
                if let Some(stdout) = stdout
                    && !forward(stdout, &name, tx, waker)
                {
                    return;
                }
            }
            Err(e) => tracing::warn!(source = %source.name, "cannot run log command: {e}"),
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

fn start(source: &CommandSource) -> std::io::Result<Child> {
    Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("exec 2>&1; {}", source.command))
        .current_dir(&source.cwd)
        .envs(&source.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
}

/// Until the command's output ends; `false` when the worker is gone.
fn forward(
    stdout: impl Read,
    name: &Arc<str>,
    tx: &SyncSender<(Arc<str>, Vec<u8>)>,
    waker: &Waker,
) -> bool {
    let mut reader = BufReader::with_capacity(64 << 10, stdout.take(u64::MAX));
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return true,
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                if tx.send((name.clone(), line.clone())).is_err() {
                    return false;
                }
                waker.wake();
            }
        }
    }
}
