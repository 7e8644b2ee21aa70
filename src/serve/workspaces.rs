//! The workspaces `uc serve` can reach: every directory of the state dir, running when its
//! engine's socket answers. Asked per request, as engines come and go.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::api::WorkspaceEntry;

use crate::paths::Paths;

/// How long "the only running workspace", and a workspace found in the state dir, are
/// trusted before the state dir is read again: a file check per request was a twentieth of
/// `uc serve`'s time under load.
const DEFAULT_TTL: Duration = Duration::from_secs(1);

pub struct Workspaces {
    base: PathBuf,
    /// `--default` or the workspace of `./univers.yaml`.
    chosen: Option<String>,
    only_running: Mutex<Option<(Instant, Option<String>)>>,
    /// Workspaces whose engine files were seen, and when.
    seen: Mutex<HashMap<String, Instant>>,
}

impl Workspaces {
    pub fn new(base: PathBuf, chosen: Option<String>) -> Self {
        Self {
            base,
            chosen,
            only_running: Mutex::new(None),
            seen: Mutex::default(),
        }
    }

    /// The engine socket of `name`, when the state dir has such a workspace.
    pub fn socket(&self, name: &str) -> Option<PathBuf> {
        let paths = Paths::new(&self.base, name, String::new());
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.get(name).is_some_and(|at| at.elapsed() < DEFAULT_TTL) {
            return Some(paths.socket());
        }
        if !has_engine_files(&paths.dir) {
            seen.remove(name);
            return None;
        }
        // Names come from requests: forget stale ones so the map stays small.
        if seen.len() >= 1024 {
            seen.retain(|_, at| at.elapsed() < DEFAULT_TTL);
        }
        seen.insert(name.to_owned(), Instant::now());
        Some(paths.socket())
    }

    /// Where unprefixed requests go: the chosen one, else the only one running.
    pub fn default(&self) -> Option<String> {
        if let Some(chosen) = &self.chosen {
            return Some(chosen.clone());
        }
        let mut cached = self.only_running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, name)) = cached.as_ref()
            && at.elapsed() < DEFAULT_TTL
        {
            return name.clone();
        }
        let running: Vec<String> = self
            .names()
            .into_iter()
            .filter(|n| self.running(n))
            .collect();
        let only = (running.len() == 1).then(|| running[0].clone());
        *cached = Some((Instant::now(), only.clone()));
        only
    }

    /// Every workspace, by name.
    pub fn list(&self) -> Vec<WorkspaceEntry> {
        let default = self.default();
        self.names()
            .into_iter()
            .map(|name| WorkspaceEntry {
                running: self.running(&name),
                default: default.as_ref() == Some(&name),
                name,
            })
            .collect()
    }

    fn running(&self, name: &str) -> bool {
        self.socket(name)
            .is_some_and(|socket| std::os::unix::net::UnixStream::connect(socket).is_ok())
    }

    /// Directories named as `paths::sanitize` names workspaces: not `.serve`, not a file.
    fn names(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.base) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| crate::paths::sanitize(name) == *name)
            .filter(|name| has_engine_files(&self.base.join(name)))
            .collect();
        names.sort();
        names
    }
}

/// A workspace's dir holds its engine's lock once an engine ran there; other dirs in the
/// state dir (file indexes) are not workspaces.
fn has_engine_files(dir: &Path) -> bool {
    dir.join("engine.lock").exists() || dir.join("engine.sock").exists()
}
