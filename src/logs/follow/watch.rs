//! Watching the directories sources live in (inotify through notify): a change to any file
//! in them, its creation, rename or removal, becomes a pending path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::FileId;
use super::signal::Signal;

pub(super) struct Watch {
    /// `None` when polling: forced, or the system refused a watcher.
    watcher: Option<RecommendedWatcher>,
    dirs: HashMap<PathBuf, Dir>,
}

struct Dir {
    /// Sources in this directory.
    users: usize,
    /// The directory the watch is on; `None` while unwatched (missing, or refused).
    watched: Option<FileId>,
}

impl Watch {
    pub fn new(signal: &Arc<Signal>, polling: bool) -> Self {
        let watcher = (!polling)
            .then(|| {
                let signal = Arc::clone(signal);
                notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                    match event {
                        // Opens and reads (ours included) change nothing.
                        Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
                        Ok(event) => {
                            let rescan = event.need_rescan();
                            signal.changed(event.paths, rescan);
                        }
                        Err(_) => signal.changed(Vec::new(), true),
                    }
                })
                .ok()
            })
            .flatten();
        Self {
            watcher,
            dirs: HashMap::new(),
        }
    }

    pub fn is_watching(&self) -> bool {
        self.watcher.is_some()
    }

    pub fn add(&mut self, dir: &Path) {
        let entry = self.dirs.entry(dir.to_owned()).or_insert(Dir {
            users: 0,
            watched: None,
        });
        entry.users += 1;
        if let (Some(watcher), 1) = (self.watcher.as_mut(), entry.users) {
            rewatch(watcher, dir, entry);
        }
    }

    pub fn remove(&mut self, dir: &Path) {
        let Some(entry) = self.dirs.get_mut(dir) else {
            return;
        };
        entry.users -= 1;
        if entry.users > 0 {
            return;
        }
        let watched = entry.watched.is_some();
        self.dirs.remove(dir);
        if let (Some(watcher), true) = (self.watcher.as_mut(), watched) {
            // Fails when the directory went away, and the kernel dropped the watch with it.
            let _ = watcher.unwatch(dir);
        }
    }

    /// Watches directories that appeared or were replaced since they were last watched.
    pub fn refresh(&mut self) {
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        for (dir, entry) in &mut self.dirs {
            rewatch(watcher, dir, entry);
        }
    }
}

fn rewatch(watcher: &mut RecommendedWatcher, dir: &Path, entry: &mut Dir) {
    let now = std::fs::metadata(dir).ok().map(|meta| FileId::of(&meta));
    if now == entry.watched {
        return;
    }
    if entry.watched.take().is_some() {
        let _ = watcher.unwatch(dir);
    }
    // Refused (the inotify watch limit, a file system without events): polling covers this
    // directory.
    if now.is_some() && watcher.watch(dir, RecursiveMode::NonRecursive).is_ok() {
        entry.watched = now;
    }
}
