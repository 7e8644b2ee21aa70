//! A YAML document as a tree that remembers where every node came from (file, line,
//! column, scalar style), so overlays can be merged and variables interpolated before the
//! result is checked, and every problem can still point at the text the user wrote.

use granit_parser::{Event, Parser, ScalarStyle, Span, StructureStyle};

/// Where a node was written: an index into the loader's list of files, 1-based line and
/// column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Origin {
    pub file: usize,
    pub line: u64,
    pub column: u64,
}

/// A problem found in a tree, before it becomes a [`super::Problem`] naming its file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub at: Origin,
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
    pub warning: bool,
}

impl Found {
    pub fn error(at: Origin, path: &str, message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            at,
            path: path.to_owned(),
            message: message.into(),
            hint,
            warning: false,
        }
    }
}

/// One step of a key path: `services`, `api`, `[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// `services.api.depends_on[0]`
pub(crate) fn key_path(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub at: Origin,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Scalar(Scalar),
    /// `flow`: written `[a, b]`, and rendered so.
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        entries: Vec<Entry>,
        flow: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: Key,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub at: Origin,
    /// Written in quotes: `"8080": x` is the string, not the number.
    pub quoted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scalar {
    /// The value the program sees (secrets resolved once interpolated).
    pub value: String,
    /// The value as `uc config render` shows it, when that differs: `$` escaped where
    /// needed, secrets as `${secret:name}`.
    pub shown: Option<String>,
    /// Plain scalars may be numbers, booleans or null; quoted and block ones are strings.
    pub plain: bool,
    /// The source text of a scalar with a `$` in it, to point at a `${` exactly.
    pub raw: Option<String>,
}

impl Node {
    pub fn scalar(value: &str, plain: bool, at: Origin) -> Self {
        let scalar = Scalar {
            value: value.to_owned(),
            shown: None,
            plain,
            raw: None,
        };
        Self {
            at,
            kind: Kind::Scalar(scalar),
        }
    }

    /// A plain empty scalar, `~` or `null`: what an overlay writes to delete a key.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s) if s.plain && matches!(s.value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(&s.value),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map { entries, .. } => Some(entries),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key.name == key)
    }

    /// Removes and returns the entry `key` of a map.
    pub fn take(&mut self, key: &str) -> Option<Entry> {
        let Kind::Map { entries, .. } = &mut self.kind else {
            return None;
        };
        let index = entries.iter().position(|e| e.key.name == key)?;
        Some(entries.remove(index))
    }
}

/// A problem found while building the tree: 1-based line and column in the parsed text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TreeError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Parses one YAML document. `Ok(None)` for an empty one.
pub(crate) fn parse(text: &str, file: usize) -> Result<Option<Node>, TreeError> {
    let mut builder = Builder {
        text,
        file,
        stack: Vec::new(),
        anchors: Vec::new(),
        root: None,
        documents: 0,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| TreeError {
            line: e.marker().line() as u64,
            column: e.marker().col() as u64 + 1,
            message: e.info(),
        })?;
        builder.event(event, span)?;
    }
    Ok(builder.root)
}

enum Open {
    Seq(Node, usize),
    /// The node, its anchor, and a key waiting for its value.
    Map(Node, usize, Option<Key>),
}

struct Builder<'t> {
    text: &'t str,
    file: usize,
    stack: Vec<Open>,
    anchors: Vec<(usize, Node)>,
    root: Option<Node>,
    documents: usize,
}

impl Builder<'_> {
    fn origin(&self, span: &Span) -> Origin {
        Origin {
            file: self.file,
            line: span.start.line() as u64,
            column: span.start.col() as u64 + 1,
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), TreeError> {
        let at = self.origin(&span);
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(error(at, "a workspace file holds one YAML document"));
                }
                Ok(())
            }
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain
                    && !tag.is_some_and(|t| t.is_yaml_core_schema_tag("str"));
                let mut node = Node::scalar(&value, plain, at);
                if let Kind::Scalar(s) = &mut node.kind
                    && value.contains('$')
                {
                    s.raw = span.slice(self.text).map(str::to_owned);
                }
                self.finish(node, anchor)
            }
            Event::SequenceStart(style, anchor, _) => {
                let flow = style == StructureStyle::Flow;
                let items = Vec::new();
                let node = Node {
                    at,
                    kind: Kind::Seq { items, flow },
                };
                self.stack.push(Open::Seq(node, anchor));
                Ok(())
            }
            Event::MappingStart(style, anchor, _) => {
                let flow = style == StructureStyle::Flow;
                let entries = Vec::new();
                let node = Node {
                    at,
                    kind: Kind::Map { entries, flow },
                };
                self.stack.push(Open::Map(node, anchor, None));
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open::Seq(node, anchor) | Open::Map(node, anchor, _)) => {
                    self.finish(node, anchor)
                }
                None => Ok(()),
            },
            Event::Alias(id) => {
                let node = self.anchors.iter().rev().find(|(a, _)| *a == id);
                let node = node.map(|(_, n)| n.clone());
                let node = node.ok_or_else(|| error(at, "unknown alias"))?;
                self.finish(node, 0)
            }
            _ => Ok(()),
        }
    }

    /// A complete node goes into its parent (as a key or a value) or becomes the root.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), TreeError> {
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Open::Seq(parent, _)) => {
                if let Kind::Seq { items, .. } = &mut parent.kind {
                    items.push(node);
                }
                Ok(())
            }
            Some(Open::Map(parent, _, pending)) => match pending.take() {
                None => {
                    *pending = Some(key(node)?);
                    Ok(())
                }
                Some(key) => insert(parent, key, node),
            },
        }
    }
}

fn key(node: Node) -> Result<Key, TreeError> {
    match node.kind {
        Kind::Scalar(s) => Ok(Key {
            name: s.value,
            at: node.at,
            quoted: !s.plain,
        }),
        _ => Err(error(
            node.at,
            "a key must be a plain name, not a list or map",
        )),
    }
}

fn insert(parent: &mut Node, key: Key, value: Node) -> Result<(), TreeError> {
    let Kind::Map { entries, .. } = &mut parent.kind else {
        return Ok(());
    };
    if entries.iter().any(|e| e.key.name == key.name) {
        return Err(error(key.at, &format!("duplicate key `{}`", key.name)));
    }
    entries.push(Entry { key, value });
    Ok(())
}

fn error(at: Origin, message: &str) -> TreeError {
    TreeError {
        line: at.line,
        column: at.column,
        message: message.to_owned(),
    }
}

/// Deep merge of an overlay: maps merge key by key, anything else (lists included)
/// replaces, and a null deletes the key.
pub(crate) fn merge(base: &mut Node, overlay: Node) {
    let Kind::Map { entries: over, .. } = overlay.kind else {
        *base = overlay;
        return;
    };
    let Kind::Map { entries, .. } = &mut base.kind else {
        *base = Node {
            at: overlay.at,
            kind: Kind::Map {
                entries: over.into_iter().filter(|e| !e.value.is_null()).collect(),
                flow: false,
            },
        };
        return;
    };
    for entry in over {
        let existing = entries.iter().position(|e| e.key.name == entry.key.name);
        match (existing, entry.value.is_null()) {
            (Some(i), true) => {
                entries.remove(i);
            }
            (Some(i), false) => merge(&mut entries[i].value, entry.value),
            (None, true) => {}
            (None, false) => entries.push(entry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        parse(text, 0).expect("parses").expect("not empty")
    }

    #[test]
    fn positions_are_one_based() {
        let root = tree("a:\n  b: 'x'\n");
        let b = root.get("a").and_then(|a| a.value.get("b")).expect("b");
        assert_eq!((b.key.at.line, b.key.at.column), (2, 3));
        assert_eq!((b.value.at.line, b.value.at.column), (2, 6));
        assert!(matches!(&b.value.kind, Kind::Scalar(s) if !s.plain && s.value == "x"));
    }

    #[test]
    fn overlays_merge_maps_replace_lists_and_delete_nulls() {
        let mut base = tree("a: {x: 1, y: 2}\nl: [1, 2]\nd: 3\n");
        merge(
            &mut base,
            tree("a: {y: 5, z: 6}\nl: [9]\nd: null\nn: new\n"),
        );
        let a = &base.get("a").expect("a").value;
        let values: Vec<_> = ["x", "y", "z"]
            .iter()
            .map(|k| a.get(k).and_then(|e| e.value.as_str()))
            .collect();
        assert_eq!(values, [Some("1"), Some("5"), Some("6")]);
        assert!(
            matches!(&base.get("l").expect("l").value.kind, Kind::Seq { items, .. } if items.len() == 1)
        );
        assert!(base.get("d").is_none());
        assert_eq!(base.get("n").and_then(|e| e.value.as_str()), Some("new"));
    }

    #[test]
    fn duplicate_keys_and_aliases() {
        assert!(parse("a: 1\na: 2\n", 0).is_err());
        let root = tree("a: &x {b: 1}\nc: *x\n");
        assert_eq!(
            root.get("a").map(|e| &e.value),
            root.get("c").map(|e| &e.value)
        );
    }
}
