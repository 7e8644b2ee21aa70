//! Notices edits of the files the running config was read from. Directories are watched,
//! not the files, because editors save by writing a new file and renaming it over the old
//! one, which a watch on the old file's inode would miss.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

pub struct Watch {
    watcher: Option<RecommendedWatcher>,
    files: Arc<Mutex<BTreeSet<PathBuf>>>,
    dirs: BTreeSet<PathBuf>,
}

impl Watch {
    /// `edits` gets a `()` for every change to a watched file.
    pub fn new(edits: mpsc::UnboundedSender<()>) -> Self {
        let files: Arc<Mutex<BTreeSet<PathBuf>>> = Arc::default();
        let watched = Arc::clone(&files);
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if event.kind.is_access() {
                return;
            }
            let files = watched.lock().unwrap_or_else(|p| p.into_inner());
            if event.paths.iter().any(|p| files.contains(p)) {
                let _ = edits.send(());
            }
        });
        let watcher = watcher
            .inspect_err(|e| tracing::warn!("config edits will not be noticed: {e}"))
            .ok();
        Self {
            watcher,
            files,
            dirs: BTreeSet::new(),
        }
    }

    /// Watch exactly these files from now on.
    pub fn set(&mut self, inputs: &[PathBuf]) {
        let files: BTreeSet<PathBuf> = inputs.iter().map(|p| absolute(p)).collect();
        let dirs: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        *self.files.lock().unwrap_or_else(|p| p.into_inner()) = files;
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        for gone in self.dirs.difference(&dirs) {
            let _ = watcher.unwatch(gone);
        }
        for new in dirs.difference(&self.dirs) {
            // A directory that does not exist yet (no overlay written) is simply not watched.
            if let Err(e) = watcher.watch(new, RecursiveMode::NonRecursive) {
                tracing::debug!("not watching {}: {e}", new.display());
            }
        }
        self.dirs = dirs;
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
