//! `watch`: a restart when a file under the watched paths changes (inotify through notify,
//! debounced so a save that writes several files, or a build, restarts once).

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use notify::{EventKind, RecursiveMode};
use tokio::sync::mpsc;

use super::{Fired, TriggerKind};
use crate::config::Watch;

pub async fn run(service: String, watch: Watch, fired: mpsc::UnboundedSender<Fired>) {
    let filter = match Filter::new(&watch) {
        Ok(filter) => filter,
        Err(e) => {
            tracing::warn!(%service, "watch globs: {e}");
            return;
        }
    };
    let (tx, mut changes) = mpsc::unbounded_channel::<Vec<PathBuf>>();
    let handler = move |result: notify_debouncer_full::DebounceEventResult| {
        let Ok(events) = result else { return };
        let paths: Vec<PathBuf> = events
            .into_iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
                )
            })
            .flat_map(|e| e.event.paths)
            .collect();
        if !paths.is_empty() {
            let _ = tx.send(paths);
        }
    };
    // Dropped with this task, which stops the watch.
    let mut debouncer = match notify_debouncer_full::new_debouncer(watch.debounce, None, handler) {
        Ok(debouncer) => debouncer,
        Err(e) => {
            tracing::warn!(%service, "cannot watch files: {e}");
            return;
        }
    };
    for path in &watch.paths {
        if let Err(e) = debouncer.watch(path, RecursiveMode::Recursive) {
            tracing::warn!(%service, path = %path.display(), "cannot watch: {e}");
        }
    }
    while let Some(paths) = changes.recv().await {
        let Some(changed) = paths.iter().find(|p| filter.wants(p)) else {
            continue;
        };
        let event = Fired {
            service: service.clone(),
            kind: TriggerKind::Watch,
            reason: format!("changed: {}", filter.shown(changed)),
        };
        if fired.send(event).is_err() {
            return;
        }
    }
}

/// `include` / `exclude` globs, matched against the path relative to the watched path it
/// is under.
struct Filter {
    roots: Vec<PathBuf>,
    include: Option<GlobSet>,
    exclude: GlobSet,
}

impl Filter {
    fn new(watch: &Watch) -> Result<Self, globset::Error> {
        let set = |globs: &[String]| -> Result<GlobSet, globset::Error> {
            let mut builder = GlobSetBuilder::new();
            for glob in globs {
                builder.add(Glob::new(glob)?);
            }
            builder.build()
        };
        Ok(Self {
            roots: watch.paths.clone(),
            include: (!watch.include.is_empty())
                .then(|| set(&watch.include))
                .transpose()?,
            exclude: set(&watch.exclude)?,
        })
    }

    fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        self.roots
            .iter()
            .find_map(|root| path.strip_prefix(root).ok())
            .filter(|rel| !rel.as_os_str().is_empty())
            .unwrap_or(path)
    }

    fn wants(&self, path: &Path) -> bool {
        let rel = self.relative(path);
        !self.exclude.is_match(rel) && self.include.as_ref().is_none_or(|i| i.is_match(rel))
    }

    fn shown(&self, path: &Path) -> String {
        self.relative(path).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn watch(dir: &Path, include: &[&str], exclude: &[&str]) -> Watch {
        Watch {
            paths: vec![dir.to_path_buf()],
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            debounce: Duration::from_millis(100),
        }
    }

    #[test]
    fn include_and_exclude_are_relative_to_the_watched_path() {
        let w = watch(Path::new("/src"), &["**/*.rs"], &["target/**"]);
        let f = Filter::new(&w).expect("globs");
        assert!(f.wants(Path::new("/src/main.rs")));
        assert!(f.wants(Path::new("/src/a/b.rs")));
        assert!(!f.wants(Path::new("/src/notes.md")));
        assert!(!f.wants(Path::new("/src/target/x.rs")));
        assert_eq!(f.shown(Path::new("/src/a/b.rs")), "a/b.rs");
    }

    #[tokio::test]
    async fn a_matching_change_fires_once_after_the_debounce() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, mut rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run("api".into(), watch(dir.path(), &["*.rs"], &[]), tx));
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::write(dir.path().join("notes.md"), "x").expect("write");
        for i in 0..3 {
            std::fs::write(dir.path().join("main.rs"), format!("fn main() {{}} // {i}"))
                .expect("write");
        }
        let fired = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("fired in time")
            .expect("open");
        assert_eq!(fired.reason, "changed: main.rs");
        // The burst is one restart.
        let again = tokio::time::timeout(Duration::from_millis(600), rx.recv()).await;
        assert!(again.is_err(), "fired twice: {again:?}");
        task.abort();
    }
}
