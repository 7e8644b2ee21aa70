//! The YAML an export writes, as a tree whose maps keep the order they are built in
//! (`apiVersion` before `kind`, `name` before `on`). serde-saphyr writes it: every string
//! that YAML would read as something else (`on`, `8080`, `yes`, `# x`) comes out quoted.

use indexmap::IndexMap;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Yaml {
    Str(String),
    Int(u64),
    Bool(bool),
    Seq(Vec<Yaml>),
    Map(IndexMap<String, Yaml>),
}

#[derive(Debug)]
pub struct EmitError(pub String);

impl Yaml {
    pub fn map() -> Self {
        Self::Map(IndexMap::new())
    }

    /// Adds `key: value` to a map (a no-op on anything else).
    pub fn with(mut self, key: &str, value: impl Into<Yaml>) -> Self {
        if let Self::Map(entries) = &mut self {
            entries.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Adds `key: value` when there is a value.
    pub fn maybe(self, key: &str, value: Option<impl Into<Yaml>>) -> Self {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }

    /// Adds `key: value` unless the value is an empty map or list.
    pub fn unless_empty(self, key: &str, value: Yaml) -> Self {
        let empty = match &value {
            Self::Map(m) => m.is_empty(),
            Self::Seq(s) => s.is_empty(),
            _ => false,
        };
        if empty { self } else { self.with(key, value) }
    }

    pub fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Self::Map(entries) => entries.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The document as text, ending with a newline.
    pub fn emit(&self) -> Result<String, EmitError> {
        let mut text = serde_saphyr::to_string(self).map_err(|e| EmitError(e.to_string()))?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(text)
    }
}

impl From<&str> for Yaml {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}

impl From<String> for Yaml {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}

impl From<&String> for Yaml {
    fn from(s: &String) -> Self {
        Self::Str(s.clone())
    }
}

impl From<u64> for Yaml {
    fn from(n: u64) -> Self {
        Self::Int(n)
    }
}

impl From<u32> for Yaml {
    fn from(n: u32) -> Self {
        Self::Int(n.into())
    }
}

impl From<u16> for Yaml {
    fn from(n: u16) -> Self {
        Self::Int(n.into())
    }
}

impl From<bool> for Yaml {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl<T: Into<Yaml>> From<Vec<T>> for Yaml {
    fn from(items: Vec<T>) -> Self {
        Self::Seq(items.into_iter().map(Into::into).collect())
    }
}

impl<K: Into<String>, V: Into<Yaml>> FromIterator<(K, V)> for Yaml {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::Map(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_yaml_would_misread_are_quoted_and_order_is_kept() {
        let doc = Yaml::map().with("name", "deploy").with(
            "on",
            Yaml::map().with("push", vec!["yes", "8080", "a: # b"]),
        );
        let text = doc.emit().expect("emits");
        assert_eq!(
            text,
            "name: deploy\n\"on\":\n  push:\n  - \"yes\"\n  - \"8080\"\n  - \"a: # b\"\n"
        );
    }
}
