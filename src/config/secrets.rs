//! What interpolation learned about each value (the variables a command reads, whether a
//! value holds a secret), and the secrets of a workspace, to keep them out of anything shown.

use std::borrow::Cow;
use std::collections::HashMap;

use super::interpolate::{Hidden, Ref};

/// Per key path (`services.api.command`), what validation needs to build the workspace.
#[derive(Debug, Default)]
pub(crate) struct Bindings {
    by_path: HashMap<String, Binding>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    /// The variables a command reads its `${…}` from.
    pub refs: Vec<Ref>,
    /// The value holds a secret.
    pub secret: bool,
}

impl Bindings {
    pub fn insert(&mut self, path: String, binding: Binding) {
        if binding != Binding::default() {
            self.by_path.insert(path, binding);
        }
    }

    pub fn get(&self, path: &str) -> Option<&Binding> {
        self.by_path.get(path)
    }

    /// The variables every command of the workspace reads, sorted: they belong in the
    /// config's hash (the command text names them, not their values).
    pub fn all_refs(&self) -> Vec<(&str, &str)> {
        let mut refs: Vec<(&str, &str)> = self
            .by_path
            .values()
            .flat_map(|b| &b.refs)
            .map(|r| (r.name.as_str(), r.value.as_str()))
            .collect();
        refs.sort_unstable();
        refs.dedup();
        refs
    }
}

/// Values shorter than this are not looked for in free text (a probe's output): they
/// cannot be told from ordinary words, and hiding them would garble what is shown.
const SHORTEST: usize = 4;

/// The secrets a workspace uses (values from the secrets file, env files and the
/// environment `uc` runs in), each with the reference it is shown as. Its `Debug` shows
/// the references only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Longest value first, so a secret containing another is replaced whole.
    known: Vec<(String, String)>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.known.iter().map(|(reference, _)| reference))
            .finish()
    }
}

impl Secrets {
    pub(crate) fn new(hidden: impl IntoIterator<Item = Hidden>) -> Self {
        let mut known: Vec<(String, String)> = Vec::new();
        for h in hidden {
            if h.value.chars().count() >= SHORTEST && !known.iter().any(|(_, v)| *v == h.value) {
                known.push((h.reference, h.value));
            }
        }
        known.sort_by_key(|(_, value)| std::cmp::Reverse(value.len()));
        Self { known }
    }

    /// Secrets of (reference, value) pairs, for other modules' tests.
    #[cfg(test)]
    pub(crate) fn of(pairs: &[(&str, &str)]) -> Self {
        Self::new(pairs.iter().map(|(reference, value)| Hidden {
            reference: (*reference).to_owned(),
            value: (*value).to_owned(),
        }))
    }

    /// `text` with every secret in it replaced by its reference.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (reference, value) in &self.known {
            if out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), reference));
            }
        }
        out
    }

    /// `text` with every secret in it replaced by what `with` makes of its reference
    /// (the assistant's `<secret-1>` before text leaves the host). The values stay here.
    pub fn replace_with(&self, text: &str, mut with: impl FnMut(&str) -> String) -> String {
        let mut out = text.to_owned();
        for (reference, value) in &self.known {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &with(reference));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(reference: &str, value: &str) -> Hidden {
        Hidden {
            reference: reference.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn secrets_are_replaced_by_their_reference_longest_first() {
        let secrets = Secrets::new([
            hidden("${TOKEN}", "abcd"),
            hidden("${secret:url}", "http://u:abcd@h"),
            hidden("${PORT}", "80"),
            hidden("${AGAIN}", "abcd"),
        ]);
        assert_eq!(
            secrets.redact("get http://u:abcd@h with abcd on 80"),
            "get ${secret:url} with ${TOKEN} on 80"
        );
        assert!(matches!(secrets.redact("nothing"), Cow::Borrowed(_)));
        assert_eq!(format!("{secrets:?}"), "[\"${secret:url}\", \"${TOKEN}\"]");
        let named = secrets.replace_with("abcd and http://u:abcd@h", |r| format!("<{r}>"));
        assert_eq!(named, "<${TOKEN}> and <${secret:url}>");
    }
}
