//! Colour themes as semantic slots (`danger`, `selection_bg`, `state_running`, ...), read from
//! `themes/*.toml`. The built-in themes are embedded; a user theme lists only the slots it
//! changes on top of a base (`extends = "light"`, `default` when not said).

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use super::suggest::{did_you_mean, with_suggestion};
use crate::alerts::Severity;
use crate::protocol::{Health, NoticeLevel, ServiceState};

/// The built-in themes, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// How deep `extends` may chain.
const MAX_EXTENDS: usize = 8;

macro_rules! slots {
    ($($slot:ident),* $(,)?) => {
        /// A resolved theme: every slot has a colour.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Theme {
            pub name: String,
            $(pub $slot: Color,)*
        }

        /// One theme file: any subset of the slots.
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ThemeFile {
            #[serde(default)]
            extends: Option<String>,
            $(#[serde(default)] $slot: Option<ThemeColor>,)*
        }

        impl ThemeFile {
            fn apply_to(&self, theme: &mut Theme) {
                $(if let Some(color) = self.$slot { theme.$slot = color.0; })*
            }

            #[cfg(test)]
            fn missing(&self) -> Vec<&'static str> {
                let mut missing = Vec::new();
                $(if self.$slot.is_none() { missing.push(stringify!($slot)); })*
                missing
            }
        }

        impl Theme {
            /// All slots `Reset`: the start of every resolution.
            fn blank(name: &str) -> Self {
                Self { name: name.to_string(), $($slot: Color::Reset,)* }
            }
        }
    };
}

slots! {
    fg, bg, dim, accent, ok, warn, danger, info,
    selection_fg, selection_bg, border, border_focus,
    header_fg, header_bg, footer_key,
    state_running, state_stopped, state_starting, state_exited, state_failed,
    chart_cpu, chart_mem, chart_swap, chart_rx, chart_tx,
}

/// A theme could not be found, read or understood.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("cannot read theme {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", file.display())]
    Parse {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unknown theme `{name}`{}", hint(suggestion.as_deref(), available))]
    Unknown {
        name: String,
        suggestion: Option<String>,
        available: Vec<String>,
    },
    #[error("theme `{name}` extends itself, or extends more than {MAX_EXTENDS} deep")]
    Cycle { name: String },
}

fn hint(suggestion: Option<&str>, available: &[String]) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => format!(" (available: {})", available.join(", ")),
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::builtin("default").unwrap_or_else(|_| Self::blank("default"))
    }
}

impl Theme {
    /// A theme by name: `<user_dir>/<name>.toml` when it exists, else a built-in theme.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Self, ThemeError> {
        let mut chain = Vec::new();
        let mut used_user_files = HashSet::new();
        let mut next = Some(name.to_string());
        while let Some(current) = next {
            if chain.len() >= MAX_EXTENDS {
                return Err(ThemeError::Cycle {
                    name: name.to_string(),
                });
            }
            let (source, text, is_user) = find(&current, user_dir, &mut used_user_files)?;
            let file = parse(&text, &source)?;
            let is_root = !is_user && current == "default";
            next = file
                .extends
                .clone()
                .or_else(|| (!is_root).then(|| "default".into()));
            chain.push(file);
        }
        let mut theme = Self::blank(name);
        for file in chain.iter().rev() {
            file.apply_to(&mut theme);
        }
        Ok(theme)
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Result<Self, ThemeError> {
        Self::load(name, None)
    }

    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(name, _)| *name)
    }

    /// Text on the background.
    pub fn base(&self) -> Style {
        Style::new().fg(self.fg).bg(self.bg)
    }

    pub fn dim(&self) -> Style {
        Style::new().fg(self.dim)
    }

    pub fn accent(&self) -> Style {
        Style::new().fg(self.accent)
    }

    pub fn selection(&self) -> Style {
        Style::new()
            .fg(self.selection_fg)
            .bg(self.selection_bg)
            .add_modifier(Modifier::BOLD)
    }

    pub fn border(&self, focused: bool) -> Style {
        Style::new().fg(if focused {
            self.border_focus
        } else {
            self.border
        })
    }

    pub fn header(&self) -> Style {
        Style::new().fg(self.header_fg).bg(self.header_bg)
    }

    pub fn footer_key(&self) -> Style {
        Style::new()
            .fg(self.footer_key)
            .add_modifier(Modifier::BOLD)
    }

    pub fn level(&self, level: NoticeLevel) -> Style {
        Style::new().fg(match level {
            NoticeLevel::Info => self.info,
            NoticeLevel::Warn => self.warn,
            NoticeLevel::Error => self.danger,
        })
    }

    /// A fill level (disk used, ...): `ok`, then `warn` from 75 %, `danger` from 90 %.
    pub fn usage(&self, pct: f64) -> Style {
        Style::new().fg(match pct {
            p if p >= 90.0 => self.danger,
            p if p >= 75.0 => self.warn,
            _ => self.ok,
        })
    }

    pub fn state(&self, state: ServiceState) -> Style {
        let color = match state {
            ServiceState::Running => self.state_running,
            ServiceState::Stopped => self.state_stopped,
            ServiceState::Starting | ServiceState::Stopping => self.state_starting,
            ServiceState::Exited | ServiceState::CrashLooping => self.state_exited,
            ServiceState::Failed | ServiceState::GaveUp => self.state_failed,
        };
        let style = Style::new().fg(color);
        match state {
            ServiceState::Failed | ServiceState::GaveUp | ServiceState::CrashLooping => {
                style.add_modifier(Modifier::BOLD)
            }
            _ => style,
        }
    }

    /// A probe's verdict: `ok` passing, `danger` failing, dimmed before the first pass.
    pub fn health(&self, health: Health) -> Style {
        match health {
            Health::Unknown => self.dim(),
            Health::Healthy => Style::new().fg(self.ok),
            Health::Unhealthy => Style::new().fg(self.danger),
        }
    }

    /// An alert's colour: critical `danger`, warning `warn`, info `info`.
    pub fn severity(&self, severity: Severity) -> Style {
        Style::new().fg(match severity {
            Severity::Critical => self.danger,
            Severity::Warning => self.warn,
            Severity::Info => self.info,
        })
    }
}

/// The text of theme `name`: a user file not used yet in this chain, else a built-in.
fn find(
    name: &str,
    user_dir: Option<&Path>,
    used_user_files: &mut HashSet<PathBuf>,
) -> Result<(PathBuf, String, bool), ThemeError> {
    if let Some(dir) = user_dir {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() && used_user_files.insert(path.clone()) {
            let text = std::fs::read_to_string(&path).map_err(|source| ThemeError::Io {
                path: path.clone(),
                source,
            })?;
            return Ok((path, text, true));
        }
    }
    match BUILTIN.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => Ok((
            PathBuf::from(format!("<built-in {n}.toml>")),
            text.to_string(),
            false,
        )),
        None => Err(unknown(name, user_dir)),
    }
}

fn unknown(name: &str, user_dir: Option<&Path>) -> ThemeError {
    let mut available: Vec<String> = Theme::builtin_names().map(String::from).collect();
    if let Some(Ok(entries)) = user_dir.map(std::fs::read_dir) {
        let user = entries.filter_map(|e| {
            let path = e.ok()?.path();
            let stem = path.file_stem()?.to_str()?.to_string();
            (path.extension()? == "toml").then_some(stem)
        });
        available.extend(user);
    }
    available.sort();
    available.dedup();
    ThemeError::Unknown {
        name: name.to_string(),
        suggestion: did_you_mean(name, available.iter().map(String::as_str)).map(String::from),
        available,
    }
}

fn parse(text: &str, file: &Path) -> Result<ThemeFile, ThemeError> {
    toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
        ThemeError::Parse {
            file: file.to_path_buf(),
            line,
            column,
            message: with_suggestion(e.message()),
        }
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// A colour as a theme file spells it: a name, a 0-255 index or `#rrggbb`.
#[derive(Debug, Clone, Copy)]
struct ThemeColor(Color);

impl<'de> Deserialize<'de> for ThemeColor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Color::from_str(&text).map(ThemeColor).map_err(|_| {
            serde::de::Error::custom(format!(
                "invalid colour `{text}`: use a name (red, light-blue, dark-gray, reset), \
                 a number 0-255 or #rrggbb"
            ))
        })
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_load_and_default_sets_every_slot() {
        let default: ThemeFile = toml::from_str(BUILTIN[0].1).unwrap();
        assert!(default.missing().is_empty(), "{:?}", default.missing());
        for name in Theme::builtin_names() {
            let theme = Theme::builtin(name).unwrap();
            assert_eq!(theme.name, name);
        }
        let hc = Theme::builtin("high-contrast").unwrap();
        assert_eq!(hc.selection_bg, Color::Rgb(255, 255, 0));
        assert_eq!(Theme::default().state_running, Color::Green);
    }

    #[test]
    fn user_theme_overrides_some_slots_of_its_base() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("prod.toml"),
            "extends = \"light\"\nheader_bg = \"red\"\n",
        )
        .unwrap();
        let prod = Theme::load("prod", Some(dir.path())).unwrap();
        let light = Theme::builtin("light").unwrap();
        assert_eq!(prod.header_bg, Color::Red);
        assert_eq!(prod.fg, light.fg);
        assert_eq!(prod.name, "prod");

        // A user file may shadow a built-in and extend it.
        std::fs::write(dir.path().join("default.toml"), "danger = \"#ff00ff\"\n").unwrap();
        let shadowed = Theme::load("default", Some(dir.path())).unwrap();
        assert_eq!(shadowed.danger, Color::Rgb(255, 0, 255));
        assert_eq!(shadowed.ok, Color::Green);
    }

    #[test]
    fn errors_name_the_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "fg = \"red\"\ndanger = \"reddish\"\n",
        )
        .unwrap();
        let err = Theme::load("bad", Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bad.toml:2:10: invalid colour `reddish`"),
            "{err}"
        );

        std::fs::write(dir.path().join("typo.toml"), "stat_running = \"red\"\n").unwrap();
        let err = Theme::load("typo", Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("typo.toml:1:1:"), "{err}");
        assert!(err.contains("did you mean `state_running`"), "{err}");

        let err = Theme::load("ligth", Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "unknown theme `ligth` (did you mean `light`?)");

        std::fs::write(dir.path().join("a.toml"), "extends = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("b.toml"), "extends = \"a\"\n").unwrap();
        assert!(Theme::load("a", Some(dir.path())).is_err());
    }
}
