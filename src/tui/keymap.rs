//! The live keymap: which key (sequence) does which [`Action`] in which [`Layer`]. Built from
//! the embedded `configs/keymap.yaml` with the user's keymap file merged over it.

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::action::Action;
use super::keys::{KeyPress, KeySeq};
use super::suggest::with_suggestion;

/// The embedded default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../configs/keymap.yaml");

/// Where a binding applies. Input goes to the open popup's layer, then to the focused pane,
/// then to `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Global,
    Services,
    Host,
    Alerts,
    Silences,
    Help,
    Confirm,
    /// The popup that creates a silence; typed characters go to its inputs.
    SilenceForm,
    Logs,
    Patterns,
    Environments,
    ConfigHistory,
    Deploys,
    /// Every workspace of the projects file.
    Overview,
    Audit,
    /// The assistant's findings.
    Assistant,
}

impl Layer {
    pub const ALL: [Self; 16] = [
        Self::Global,
        Self::Services,
        Self::Host,
        Self::Logs,
        Self::Patterns,
        Self::Alerts,
        Self::Silences,
        Self::Environments,
        Self::ConfigHistory,
        Self::Deploys,
        Self::Overview,
        Self::Audit,
        Self::Assistant,
        Self::Help,
        Self::Confirm,
        Self::SilenceForm,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::Services => "Services",
            Self::Host => "Host view",
            Self::Alerts => "Alerts",
            Self::Silences => "Silences",
            Self::Help => "Help",
            Self::Confirm => "Confirm dialog",
            Self::SilenceForm => "New silence popup",
            Self::Logs => "Logs",
            Self::Patterns => "Log patterns",
            Self::Environments => "Environments",
            Self::ConfigHistory => "Config history",
            Self::Deploys => "Deploys",
            Self::Overview => "Workspaces overview",
            Self::Audit => "Audit log",
            Self::Assistant => "Assistant",
        }
    }
}

/// The keys of one action in one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub layer: Layer,
    pub action: Action,
    pub keys: Vec<KeySeq>,
}

/// What a key sequence means in a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Action(Action),
    /// The start of a longer binding: wait for the next press.
    Prefix,
    None,
}

/// A keymap file could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("cannot read keymap {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", file.display())]
    Parse {
        file: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Keymap {
    /// The embedded defaults (a unit test guarantees they parse).
    pub fn builtin() -> Self {
        let mut keymap = Self { bindings: vec![] };
        // The embedded file is covered by a test; never fail at runtime because of it.
        let _ = keymap.merge_str(DEFAULT_KEYMAP, Path::new("<built-in keymap.yaml>"));
        keymap
    }

    /// The defaults with `user_file` merged over them. The caller decides where the file is.
    pub fn load(user_file: Option<&Path>) -> Result<Self, KeymapError> {
        let mut keymap = Self::builtin();
        if let Some(path) = user_file {
            let text = std::fs::read_to_string(path).map_err(|source| KeymapError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            keymap.merge_str(&text, path)?;
        }
        Ok(keymap)
    }

    /// Merge a keymap file's text over this keymap; `file` only names the source in errors.
    /// Each listed action's keys replace its keys in that layer, and a rebound key leaves the
    /// action that had it.
    pub fn merge_str(&mut self, text: &str, file: &Path) -> Result<(), KeymapError> {
        let parsed: IndexMap<Layer, Option<IndexMap<Action, Keys>>> =
            serde_saphyr::from_str(text).map_err(|e| parse_error(&e, file))?;
        for (layer, actions) in parsed {
            for (action, Keys(keys)) in actions.unwrap_or_default() {
                self.bind(layer, action, keys);
            }
        }
        Ok(())
    }

    fn bind(&mut self, layer: Layer, action: Action, keys: Vec<KeySeq>) {
        for other in self.bindings.iter_mut().filter(|b| b.layer == layer) {
            other.keys.retain(|k| !keys.contains(k));
        }
        match self
            .bindings
            .iter_mut()
            .find(|b| b.layer == layer && b.action == action)
        {
            Some(binding) => binding.keys = keys,
            None => self.bindings.push(Binding {
                layer,
                action,
                keys,
            }),
        }
    }

    /// The bindings whose action `keep` keeps.
    pub fn only(&self, keep: impl Fn(Action) -> bool) -> Self {
        let bindings = self.bindings.iter().filter(|b| keep(b.action)).cloned();
        Self {
            bindings: bindings.collect(),
        }
    }

    /// Bindings of one layer that have at least one key.
    pub fn layer(&self, layer: Layer) -> impl Iterator<Item = &Binding> {
        self.bindings
            .iter()
            .filter(move |b| b.layer == layer && !b.keys.is_empty())
    }

    pub fn keys(&self, layer: Layer, action: Action) -> &[KeySeq] {
        self.bindings
            .iter()
            .find(|b| b.layer == layer && b.action == action)
            .map_or(&[], |b| b.keys.as_slice())
    }

    /// What `presses` (the pending sequence plus the new press) mean in `layer`. A complete
    /// binding wins over a longer one that starts the same way.
    pub fn lookup(&self, layer: Layer, presses: &[KeyPress]) -> Lookup {
        let mut prefix = false;
        for binding in self.layer(layer) {
            for seq in &binding.keys {
                let keys = seq.presses();
                if keys == presses {
                    return Lookup::Action(binding.action);
                }
                prefix |= keys.len() > presses.len() && keys.starts_with(presses);
            }
        }
        if prefix { Lookup::Prefix } else { Lookup::None }
    }
}

fn parse_error(error: &serde_saphyr::Error, file: &Path) -> KeymapError {
    let (line, column) = error.location().map_or((0, 0), |l| (l.line(), l.column()));
    KeymapError::Parse {
        file: file.to_path_buf(),
        line,
        column,
        message: with_suggestion(&first_line(&error.without_snippet().to_string())),
    }
}

/// serde-saphyr appends " at line X column Y"; the caller prints the place itself.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    match line.rfind(" at line ") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

/// `key`, `[key, key]` or nothing (unbound).
struct Keys(Vec<KeySeq>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KeysVisitor)
    }
}

struct KeysVisitor;

impl<'de> Visitor<'de> for KeysVisitor {
    type Value = Keys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key like `q` or `ctrl-c`, or a list of keys")
    }

    fn visit_str<E: de::Error>(self, spec: &str) -> Result<Keys, E> {
        KeySeq::parse(spec)
            .map(|k| Keys(vec![k]))
            .map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Keys, A::Error> {
        let mut keys = Vec::new();
        while let Some(spec) = seq.next_element::<String>()? {
            keys.push(KeySeq::parse(&spec).map_err(de::Error::custom)?);
        }
        Ok(Keys(keys))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Keys, E> {
        Ok(Keys(vec![]))
    }

    fn visit_none<E: de::Error>(self) -> Result<Keys, E> {
        Ok(Keys(vec![]))
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::KeyCode;

    use super::*;

    fn seq(spec: &str) -> Vec<KeyPress> {
        KeySeq::parse(spec).unwrap().0
    }

    fn user(text: &str) -> Result<Keymap, KeymapError> {
        let mut keymap = Keymap::builtin();
        keymap.merge_str(text, Path::new("keymap.yaml"))?;
        Ok(keymap)
    }

    #[test]
    fn embedded_defaults_parse() {
        let mut keymap = Keymap { bindings: vec![] };
        keymap
            .merge_str(DEFAULT_KEYMAP, Path::new("default"))
            .unwrap();
        let k = Keymap::builtin();
        assert_eq!(k, keymap);
        assert_eq!(
            k.lookup(Layer::Services, &seq("s")),
            Lookup::Action(Action::Start)
        );
        assert_eq!(
            k.lookup(Layer::Global, &seq("ctrl-c")),
            Lookup::Action(Action::Quit)
        );
        assert_eq!(k.lookup(Layer::Services, &seq("g")), Lookup::Prefix);
        assert_eq!(
            k.lookup(Layer::Services, &seq("g g")),
            Lookup::Action(Action::Top)
        );
        assert_eq!(k.lookup(Layer::Services, &seq("z")), Lookup::None);
        assert_eq!(
            k.keys(Layer::Services, Action::ShowWindow),
            [KeySeq::from(KeyPress::plain(KeyCode::Enter))]
        );
    }

    #[test]
    fn user_file_rebinds_and_unbinds_one_action() {
        let k = user("services:\n  restart: s\n  stop_all: []\n").unwrap();
        assert_eq!(
            k.lookup(Layer::Services, &seq("s")),
            Lookup::Action(Action::Restart)
        );
        assert_eq!(k.lookup(Layer::Services, &seq("r")), Lookup::None);
        assert!(k.keys(Layer::Services, Action::Start).is_empty());
        assert_eq!(k.lookup(Layer::Services, &seq("X")), Lookup::None);
        // Everything else is untouched.
        assert_eq!(
            k.lookup(Layer::Services, &seq("x")),
            Lookup::Action(Action::Stop)
        );
        assert_eq!(
            k.lookup(Layer::Global, &seq("q")),
            Lookup::Action(Action::Quit)
        );
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let err = user("services:\n  start: entr\n").unwrap_err().to_string();
        assert!(err.starts_with("keymap.yaml:2:"), "{err}");
        assert!(err.contains("did you mean `enter`"), "{err}");

        let err = user("services:\n  strat: s\n").unwrap_err().to_string();
        assert!(err.starts_with("keymap.yaml:2:3:"), "{err}");
        assert!(err.contains("(did you mean `start`?)"), "{err}");

        let err = user("panes:\n  start: s\n").unwrap_err().to_string();
        assert!(err.starts_with("keymap.yaml:1:1:"), "{err}");
    }

    #[test]
    fn load_reads_the_user_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.yaml");
        std::fs::write(&path, "global:\n  quit: Q\n").unwrap();
        let k = Keymap::load(Some(&path)).unwrap();
        assert_eq!(
            k.lookup(Layer::Global, &seq("Q")),
            Lookup::Action(Action::Quit)
        );
        assert_eq!(k.lookup(Layer::Global, &seq("q")), Lookup::None);
        let missing = Keymap::load(Some(&dir.path().join("nope.yaml"))).unwrap_err();
        assert!(matches!(missing, KeymapError::Io { .. }));
    }
}
