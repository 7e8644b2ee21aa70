//! Writes a [`Node`] tree back as YAML text: for checking (values resolved, every node
//! marked with the position it was written at, so a problem found in this text can be
//! traced to the file the user wrote) and for showing (`uc config render`: secrets as
//! references, multi-line strings as `|` blocks).

use super::tree::{Entry, Kind, Node, Origin, Scalar};

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

/// What sits at a marked position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum What {
    Key,
    Node,
    /// A map starting here (a block map starts at its first key).
    Map,
}

#[derive(Debug, Clone)]
pub(crate) struct Mark {
    pub line: u64,
    pub column: u64,
    pub what: What,
    pub at: Origin,
    /// The node's key path, as an index into `Emitted::steps`.
    path: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Emitted {
    pub text: String,
    pub marks: Vec<Mark>,
    /// Key paths as a tree: (parent, step), the parent 0 for the root and `i + 1` for
    /// `steps[i]`. Marks share their parents' steps instead of each copying a whole path.
    steps: Vec<(usize, Step)>,
}

impl Emitted {
    /// The key path of a marked node.
    pub fn path(&self, mark: &Mark) -> Vec<Step> {
        let mut path = Vec::new();
        let mut at = mark.path;
        while let Some((parent, step)) = at.checked_sub(1).and_then(|i| self.steps.get(i)) {
            path.push(step.clone());
            at = *parent;
        }
        path.reverse();
        path
    }

    /// The node written at `line:column` of the text, or the nearest before it. A map
    /// and its first key share a position: `prefer` decides.
    pub fn find(&self, line: u64, column: u64, prefer: What) -> Option<&Mark> {
        let end = self
            .marks
            .partition_point(|m| (m.line, m.column) <= (line, column));
        let before = &self.marks[..end];
        let last = before.last()?;
        let same: Vec<&Mark> = before
            .iter()
            .rev()
            .take_while(|m| (m.line, m.column) == (last.line, last.column))
            .collect();
        let preferred = same.iter().find(|m| m.what == prefer);
        Some(preferred.copied().unwrap_or(last))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Resolved values, marks recorded.
    Check,
    /// Resolved values only (what the hash is taken of).
    Resolved,
    /// Shown values, readable layout.
    Show,
}

/// `skip`: top-level keys left out.
pub(crate) fn emit(root: Option<&Node>, mode: Mode, skip: &[&str]) -> Emitted {
    let mut e = Emitter {
        mode,
        out: Emitted::default(),
        line: 1,
        column: 1,
        path: 0,
    };
    if let Some(root) = root {
        match &root.kind {
            Kind::Map { entries, flow } if !*flow && !entries.is_empty() => {
                let kept: Vec<&Entry> = entries
                    .iter()
                    .filter(|e| !skip.contains(&e.key.name.as_str()))
                    .collect();
                e.mark(What::Map, root.at);
                e.block_map(&kept, 0, false);
            }
            _ => {
                e.value(root);
                e.newline();
            }
        }
    }
    e.out
}

struct Emitter {
    mode: Mode,
    out: Emitted,
    line: u64,
    column: u64,
    /// The current key path, an index into `out.steps`.
    path: usize,
}

impl Emitter {
    fn write(&mut self, s: &str) {
        self.out.text.push_str(s);
        self.column += s.chars().count() as u64;
    }

    fn indent(&mut self, width: usize) {
        let text = &mut self.out.text;
        text.extend(std::iter::repeat_n(' ', width));
        self.column += width as u64;
    }

    fn newline(&mut self) {
        self.out.text.push('\n');
        self.line += 1;
        self.column = 1;
    }

    fn mark(&mut self, what: What, at: Origin) {
        if self.mode == Mode::Check {
            self.out.marks.push(Mark {
                line: self.line,
                column: self.column,
                what,
                at,
                path: self.path,
            });
        }
    }

    fn push(&mut self, step: Step) {
        if self.mode == Mode::Check {
            self.out.steps.push((self.path, step));
            self.path = self.out.steps.len();
        }
    }

    fn pop(&mut self) {
        if let Some(i) = self.path.checked_sub(1) {
            self.path = self.out.steps.get(i).map_or(0, |(parent, _)| *parent);
        }
    }

    /// `first_inline`: the first entry goes on the current line (after `- `).
    fn block_map(&mut self, entries: &[&Entry], indent: usize, first_inline: bool) {
        for (i, entry) in entries.iter().enumerate() {
            if i > 0 || !first_inline {
                self.indent(indent);
            }
            self.push(Step::Key(entry.key.name.clone()));
            self.mark(What::Key, entry.key.at);
            self.write(&key_text(&entry.key.name, entry.key.quoted));
            self.write(":");
            self.block_value(&entry.value, indent);
            self.pop();
        }
    }

    /// A value after `key:` or `- `, ending its last line.
    fn block_value(&mut self, node: &Node, indent: usize) {
        match &node.kind {
            Kind::Map { entries, flow } if !*flow && !entries.is_empty() => {
                self.newline();
                let entries: Vec<&Entry> = entries.iter().collect();
                self.indent(indent + 2);
                self.mark(What::Map, node.at);
                self.block_map(&entries, indent + 2, true);
            }
            Kind::Seq { items, flow } if !*flow && !items.is_empty() => {
                self.newline();
                self.block_seq(node, items, indent + 2);
            }
            Kind::Scalar(s) if self.mode == Mode::Show && self.literal(s, indent + 2) => {}
            _ => {
                self.write(" ");
                self.value(node);
                self.newline();
            }
        }
    }

    fn block_seq(&mut self, node: &Node, items: &[Node], indent: usize) {
        for (i, item) in items.iter().enumerate() {
            self.indent(indent);
            if i == 0 {
                self.mark(What::Node, node.at);
            }
            self.write("-");
            self.push(Step::Index(i));
            match &item.kind {
                Kind::Map { entries, flow } if !*flow && !entries.is_empty() => {
                    self.write(" ");
                    self.mark(What::Map, item.at);
                    let entries: Vec<&Entry> = entries.iter().collect();
                    self.block_map(&entries, indent + 2, true);
                }
                _ => self.block_value(item, indent),
            }
            self.pop();
        }
    }

    /// A value on the current line: a scalar, or a collection in flow style.
    fn value(&mut self, node: &Node) {
        match &node.kind {
            Kind::Scalar(s) => {
                self.mark(What::Node, node.at);
                let text = self.scalar_text(s);
                self.write(&text);
            }
            Kind::Seq { items, .. } => {
                self.mark(What::Node, node.at);
                self.write("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.write(", ");
                    }
                    self.push(Step::Index(i));
                    self.value(item);
                    self.pop();
                }
                self.write("]");
            }
            Kind::Map { entries, .. } => {
                self.mark(What::Map, node.at);
                self.write("{");
                for (i, entry) in entries.iter().enumerate() {
                    if i > 0 {
                        self.write(", ");
                    }
                    self.push(Step::Key(entry.key.name.clone()));
                    self.mark(What::Key, entry.key.at);
                    self.write(&key_text(&entry.key.name, entry.key.quoted));
                    self.write(": ");
                    self.value(&entry.value);
                    self.pop();
                }
                self.write("}");
            }
        }
    }

    fn scalar_text(&self, s: &Scalar) -> String {
        let text = match self.mode {
            Mode::Check | Mode::Resolved => &s.value,
            Mode::Show => s.shown.as_ref().unwrap_or(&s.value),
        };
        if s.plain && text.is_empty() {
            "~".to_owned()
        } else if s.plain && is_plain_safe(text) {
            text.clone()
        } else {
            quote(text)
        }
    }

    /// Writes a multi-line string as a `|` block when it can be one.
    fn literal(&mut self, s: &Scalar, indent: usize) -> bool {
        let text = s.shown.as_ref().unwrap_or(&s.value);
        let body = text.trim_end_matches('\n');
        let trailing = text.len() - body.len();
        let blockable = body.contains('\n')
            && !body.starts_with([' ', '\t', '\n'])
            && !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t');
        if !blockable {
            return false;
        }
        let chomp = match trailing {
            0 => "|-",
            1 => "|",
            _ => "|+",
        };
        self.write(" ");
        self.write(chomp);
        self.newline();
        let pad = " ".repeat(indent);
        for line in body.lines().chain((1..trailing).map(|_| "")) {
            if !line.is_empty() {
                self.write(&pad);
                self.write(line);
            }
            self.newline();
        }
        true
    }
}

fn key_text(name: &str, quoted: bool) -> String {
    if !quoted && is_plain_safe(name) {
        name.to_owned()
    } else {
        quote(name)
    }
}

/// A double-quoted YAML string; JSON's escapes are a subset of YAML's.
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

/// Text that reads back as the same plain scalar in block and flow context alike.
pub(crate) fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let leading_ok = !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        || (first == '-' && text[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.'));
    leading_ok
        && text.trim() == text
        && !text.chars().any(|c| c.is_control() || ",[]{}".contains(c))
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    fn round_trip(text: &str, mode: Mode) -> String {
        let root = parse(text, 0).expect("parses");
        emit(root.as_ref(), mode, &[]).text
    }

    #[test]
    fn block_and_flow_layout() {
        let text = "a:\n  b: 1\n  c: [x, 'y z']\nd:\n- e: {f: g}\n  h: ~\n- 2\n";
        let out = round_trip(text, Mode::Check);
        assert_eq!(
            out,
            "a:\n  b: 1\n  c: [x, \"y z\"]\nd:\n  - e: {f: g}\n    h: ~\n  - 2\n"
        );
        assert_eq!(round_trip(&out, Mode::Check), out);
    }

    #[test]
    fn marks_trace_back_to_the_source() {
        let root = parse("s:\n  api:\n    cmd: run\n    deps: [a, b]\n", 0).expect("ok");
        let out = emit(root.as_ref(), Mode::Check, &[]);
        let b = out.find(4, 16, What::Node).expect("b");
        assert_eq!(key_path(&out.path(b)), "s.api.deps[1]");
        assert_eq!((b.at.line, b.at.column), (4, 15));
        let api = out.find(3, 5, What::Map).expect("api map");
        assert_eq!(key_path(&out.path(api)), "s.api");
    }

    #[test]
    fn multi_line_strings_show_as_blocks() {
        let out = round_trip("c: |\n  one\n    two\nd: \"x\\n\"\n", Mode::Show);
        assert_eq!(out, "c: |\n  one\n    two\nd: \"x\\n\"\n");
        let out = round_trip("c: \"a\\nb\"\ne: \"a\\n\\n\"\n", Mode::Show);
        assert_eq!(out, "c: |-\n  a\n  b\ne: \"a\\n\\n\"\n");
    }

    #[test]
    fn plain_safety() {
        for ok in ["a b", "8080", "-1", "http://x:1/y", "~", "a:b"] {
            assert!(is_plain_safe(ok), "{ok}");
        }
        for bad in [
            "", " a", "a: b", "a #b", "[x", "x,y", "- x", "a:", "*x", "a\nb",
        ] {
            assert!(!is_plain_safe(bad), "{bad}");
        }
    }
}
