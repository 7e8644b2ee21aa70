//! Where a workspace's configuration comes from (a file, or the built-in demo) and the
//! loaded form the configuration center keeps.

use std::path::PathBuf;

use super::{ConfigError, Workspace};
use crate::config::{self, demo_dir};

/// Where a workspace's configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    /// The built-in demo workspace.
    Demo,
}

impl Source {
    /// `-f FILE` when given, else `./univers.yaml`, else the demo.
    pub fn resolve(file: Option<PathBuf>) -> Self {
        match file {
            Some(f) => Self::File(absolute(f)),
            None => std::env::current_dir()
                .ok()
                .and_then(|d| config::find_workspace_file(&d))
                .map_or(Self::Demo, Self::File),
        }
    }

    pub fn load(&self) -> Result<Workspace, ConfigError> {
        match self {
            Self::File(path) => config::load_file(path),
            Self::Demo => config::demo_workspace(&demo_dir()?),
        }
    }

    /// The effective config of `environment` (the default one when `None`).
    pub fn load_effective(&self, environment: Option<&str>) -> Result<Effective, ConfigError> {
        let loaded = match self {
            Self::File(path) => config::load_env(path, environment)?,
            Self::Demo => config::demo_loaded(&demo_dir()?, environment)?,
        };
        Ok(Effective::from(loaded))
    }

    /// A stored revision's effective text, loaded as it was applied (secrets resolved
    /// again from the secrets file).
    pub fn load_revision(
        &self,
        text: &str,
        environment: Option<&str>,
    ) -> Result<Effective, ConfigError> {
        let loaded = match self {
            Self::File(path) => {
                let dir = path.parent().unwrap_or(std::path::Path::new("."));
                config::load_effective(text, path, dir, environment)?
            }
            Self::Demo => {
                let file = std::path::Path::new("configs/demo/univers.yaml");
                let mut loaded = config::load_effective(text, file, &demo_dir()?, environment)?;
                loaded.workspace.file = None;
                loaded.workspace.alerts.builtin = config::BuiltinRules::Demo;
                loaded
            }
        };
        Ok(Effective::from(loaded))
    }

    /// The workspace's name, read even from a file that does not validate.
    pub fn workspace_name(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Name {
            workspace: String,
        }
        match self {
            Self::File(path) => {
                let text = std::fs::read_to_string(path).ok()?;
                serde_saphyr::from_str::<Name>(&text)
                    .ok()
                    .map(|n| n.workspace)
            }
            Self::Demo => Some("demo".to_owned()),
        }
    }

    /// Arguments that make another `uc` process load the same workspace.
    pub fn args(&self) -> Vec<String> {
        match self {
            Self::File(path) => vec!["-f".into(), path.to_string_lossy().into_owned()],
            Self::Demo => vec!["--demo".into()],
        }
    }
}

fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

/// A loaded config as the configuration center keeps it.
#[derive(Debug, Clone)]
pub struct Effective {
    pub workspace: Workspace,
    /// Effective YAML, secrets as `${secret:name}` references.
    pub text: String,
    pub hash: String,
    /// Files it was read from (watched for edits).
    pub inputs: Vec<std::path::PathBuf>,
}

impl From<crate::config::Loaded> for Effective {
    fn from(loaded: crate::config::Loaded) -> Self {
        Self {
            workspace: loaded.workspace,
            text: loaded.effective,
            hash: loaded.hash,
            inputs: loaded.inputs,
        }
    }
}

impl Effective {
    pub fn environment(&self) -> Option<&str> {
        self.workspace.environment.as_deref()
    }
}
