//! Where rules and channels come from, and noticing when their files change. Files are
//! checked once a second by their modification time, size and inode, which also catches
//! editors that save by renaming a new file over the old one.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{ChannelsConfig, RuleSet};
use crate::config::{AlertSettings, BuiltinRules, ConfigError};

/// Identity of a file's current content, as far as cheap metadata tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

/// A file that is reloaded when it changes.
#[derive(Debug)]
pub struct Watched {
    pub path: PathBuf,
    stamp: Option<Stamp>,
}

impl Watched {
    pub fn new(path: PathBuf) -> Self {
        let stamp = stamp(&path);
        Self { path, stamp }
    }

    /// True once per change of the file since the last call (or since `new`).
    pub fn changed(&mut self) -> bool {
        let now = stamp(&self.path);
        let changed = now != self.stamp;
        self.stamp = now;
        changed
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode: meta.ino(),
    })
}

/// The workspace's rules (its file, or the shipped defaults), with the built-in ones
/// (`DiskFull`) it does not define itself.
pub fn rules_for(settings: &AlertSettings) -> Result<RuleSet, ConfigError> {
    let rules = match &settings.rules {
        Some(path) => super::load_rules(path),
        None => {
            let (text, name) = match settings.builtin {
                BuiltinRules::Defaults => (super::DEFAULT_RULES, "configs/rules.yaml"),
                BuiltinRules::Demo => (super::DEMO_RULES, "configs/demo/rules.yaml"),
            };
            super::parse_rules(text, Path::new(name))
        }
    };
    rules.map(RuleSet::with_built_in)
}

/// Channels from the file, with `${VAR}` taken from the engine's environment.
pub fn channels_for(settings: &AlertSettings) -> Result<ChannelsConfig, ConfigError> {
    match &settings.channels {
        Some(path) => super::load_channels(path, &|name| std::env::var(name).ok()),
        None => Ok(ChannelsConfig::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_seen_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.yaml");
        std::fs::write(&path, "rules: []\n").unwrap();
        let mut watched = Watched::new(path.clone());
        assert!(!watched.changed());
        std::fs::write(&path, "rules: []\n# edited\n").unwrap();
        assert!(watched.changed());
        assert!(!watched.changed());
        // Saved by renaming a new file over it, same size.
        let new = dir.path().join("rules.yaml.tmp");
        std::fs::write(&new, "rules: []\n# edit2d\n").unwrap();
        std::fs::rename(&new, &path).unwrap();
        assert!(watched.changed());
        std::fs::remove_file(&path).unwrap();
        assert!(watched.changed());
    }
}
