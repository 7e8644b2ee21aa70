//! Writes a [`Node`] tree back as YAML text: with values resolved (what the hash of a
//! config is taken of) or as shown (`uc config render`: secrets as references, multi-line
//! strings as `|` blocks).

use super::tree::{Entry, Kind, Node, Scalar};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Resolved values (what the hash is taken of).
    Resolved,
    /// Shown values, readable layout.
    Show,
}

pub(crate) fn emit(root: Option<&Node>, mode: Mode) -> String {
    let mut e = Emitter {
        mode,
        text: String::new(),
    };
    if let Some(root) = root {
        match &root.kind {
            Kind::Map { entries, flow } if !*flow && !entries.is_empty() => {
                e.block_map(entries, 0, false);
            }
            _ => {
                e.value(root);
                e.newline();
            }
        }
    }
    e.text
}

struct Emitter {
    mode: Mode,
    text: String,
}

impl Emitter {
    fn write(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn indent(&mut self, width: usize) {
        self.text.extend(std::iter::repeat_n(' ', width));
    }

    fn newline(&mut self) {
        self.text.push('\n');
    }

    /// `first_inline`: the first entry goes on the current line (after `- `).
    fn block_map(&mut self, entries: &[Entry], indent: usize, first_inline: bool) {
        for (i, entry) in entries.iter().enumerate() {
            if i > 0 || !first_inline {
                self.indent(indent);
            }
            self.write(&key_text(&entry.key.name, entry.key.quoted));
            self.write(":");
            self.block_value(&entry.value, indent);
        }
    }

    /// A value after `key:` or `- `, ending its last line.
    fn block_value(&mut self, node: &Node, indent: usize) {
        match &node.kind {
            Kind::Map { entries, flow } if !*flow && !entries.is_empty() => {
                self.newline();
                self.indent(indent + 2);
                self.block_map(entries, indent + 2, true);
            }
            Kind::Seq { items, flow } if !*flow && !items.is_empty() => {
                self.newline();
                self.block_seq(items, indent + 2);
            }
            Kind::Scalar(s) if self.mode == Mode::Show && self.literal(s, indent + 2) => {}
            _ => {
                self.write(" ");
                self.value(node);
                self.newline();
            }
        }
    }

    fn block_seq(&mut self, items: &[Node], indent: usize) {
        for item in items {
            self.indent(indent);
            self.write("-");
            match &item.kind {
                Kind::Map { entries, flow } if !*flow && !entries.is_empty() => {
                    self.write(" ");
                    self.block_map(entries, indent + 2, true);
                }
                _ => self.block_value(item, indent),
            }
        }
    }

    /// A value on the current line: a scalar, or a collection in flow style.
    fn value(&mut self, node: &Node) {
        match &node.kind {
            Kind::Scalar(s) => {
                let text = self.scalar_text(s);
                self.write(&text);
            }
            Kind::Seq { items, .. } => {
                self.write("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.write(", ");
                    }
                    self.value(item);
                }
                self.write("]");
            }
            Kind::Map { entries, .. } => {
                self.write("{");
                for (i, entry) in entries.iter().enumerate() {
                    if i > 0 {
                        self.write(", ");
                    }
                    self.write(&key_text(&entry.key.name, entry.key.quoted));
                    self.write(": ");
                    self.value(&entry.value);
                }
                self.write("}");
            }
        }
    }

    fn scalar_text(&self, s: &Scalar) -> String {
        let text = match self.mode {
            Mode::Resolved => &s.value,
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

/// Text that reads back as the same plain scalar in block and flow context alike. One pass
/// over the bytes: it runs on every key and value of every load.
pub(crate) fn is_plain_safe(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let leading_ok = !b"-?:,[]{}#&*!|>'\"%@`".contains(&first)
        || (first == b'-'
            && bytes
                .get(1)
                .is_some_and(|b| b.is_ascii_digit() || *b == b'.'));
    if !leading_ok || last == b':' || text.trim() != text {
        return false;
    }
    let mut previous = 0u8;
    for &byte in bytes {
        let breaks = byte < 0x20
            || byte == 0x7f
            || matches!(byte, b',' | b'[' | b']' | b'{' | b'}')
            || (previous == b':' && byte == b' ')
            || (previous == b' ' && byte == b'#');
        if breaks {
            return false;
        }
        previous = byte;
    }
    text.is_ascii() || !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    fn round_trip(text: &str, mode: Mode) -> String {
        let root = parse(text, 0).expect("parses");
        emit(root.as_ref(), mode)
    }

    #[test]
    fn block_and_flow_layout() {
        let text = "a:\n  b: 1\n  c: [x, 'y z']\nd:\n- e: {f: g}\n  h: ~\n- 2\n";
        let out = round_trip(text, Mode::Resolved);
        assert_eq!(
            out,
            "a:\n  b: 1\n  c: [x, \"y z\"]\nd:\n  - e: {f: g}\n    h: ~\n  - 2\n"
        );
        assert_eq!(round_trip(&out, Mode::Resolved), out);
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
