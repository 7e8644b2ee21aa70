//! What the TUI is started with: theme, keymap, tick and the user's name, from explicit
//! paths and values.

use std::path::Path;
use std::time::Duration;

use super::app::DEFAULT_USER;
use super::keymap::{Keymap, KeymapError};
use super::theme::{Theme, ThemeError};

#[derive(Debug, Clone, PartialEq)]
pub struct UiOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    /// How often the screen refreshes without news (uptimes, ages).
    pub tick: Duration,
    /// Who acknowledges and silences alerts.
    pub user: String,
    /// Start on the overview of the projects file's workspaces.
    pub overview: bool,
    /// What the user may do: keys beyond it are hidden and refused (`tui::access`).
    pub role: crate::protocol::Role,
}

/// The theme or the keymap could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error(transparent)]
    Theme(#[from] ThemeError),
    #[error(transparent)]
    Keymap(#[from] KeymapError),
}

impl Default for UiOptions {
    fn default() -> Self {
        Self {
            theme: Theme::default(),
            keymap: Keymap::builtin(),
            tick: Duration::from_secs(1),
            user: DEFAULT_USER.to_string(),
            overview: false,
            role: crate::protocol::Role::Admin,
        }
    }
}

impl UiOptions {
    /// Theme `theme` (from `themes_dir` or built in) and the default keymap with `keymap_file`
    /// merged over it. The caller finds the paths; nothing here looks at the environment.
    pub fn load(
        theme: &str,
        themes_dir: Option<&Path>,
        keymap_file: Option<&Path>,
    ) -> Result<Self, OptionsError> {
        Ok(Self {
            theme: Theme::load(theme, themes_dir)?,
            keymap: Keymap::load(keymap_file)?,
            ..Self::default()
        })
    }

    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }
}
