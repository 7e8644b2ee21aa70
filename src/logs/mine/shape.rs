//! A line's tokens, and a pattern's template (the same thing, owned, with `<*>` where its
//! lines differ): comparing, hashing and widening them.

use super::hash::Hasher;
use super::token::{Kind, Token};

/// Hash marks of a parameter and of a position left out; never the mark of a text (that
/// carries its length in the top byte of its last word).
const PARAM: u64 = 0x0000_7061_7261_6d01;
const SKIPPED: u64 = 0x0000_736b_6970_7002;

/// Tokens over the text they index: a line being mined, or a template's own copy.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    pub text: &'a str,
    pub toks: &'a [Token],
}

/// How a template compares with a line of the same length.
#[derive(Debug, Clone, Copy, Default)]
pub struct Comparison {
    /// Positions holding the same token (two parameters are the same).
    pub equal: usize,
    /// Positions where the line has a word the template lacks and neither is a parameter.
    pub word_diffs: usize,
    /// Positions where one side is a parameter and the template isn't: the line shows the
    /// template's word there is a value.
    pub param_diffs: usize,
    /// The last position that differs.
    pub last_diff: usize,
}

impl Comparison {
    /// The template covers the line: every difference is a parameter of the template.
    pub fn covers(&self) -> bool {
        self.word_diffs == 0 && self.param_diffs == 0
    }
}

impl<'a> Shape<'a> {
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    fn text_at(&self, i: usize) -> &'a str {
        self.toks[i].text(self.text)
    }

    fn bytes_at(&self, i: usize) -> &'a [u8] {
        self.toks[i].bytes(self.text.as_bytes())
    }

    pub fn same_at(&self, other: &Shape<'_>, i: usize) -> bool {
        let (a, b) = (self.toks[i], other.toks[i]);
        a.kind == b.kind && (a.kind == Kind::Param || self.bytes_at(i) == other.bytes_at(i))
    }

    /// `self` is a template, `line` a line of the same length.
    pub fn compare(&self, line: &Shape<'_>) -> Comparison {
        let mut c = Comparison::default();
        for (i, (t, l)) in self.toks.iter().zip(line.toks).enumerate() {
            if self.same_at(line, i) {
                c.equal += 1;
                continue;
            }
            match (t.kind, l.kind) {
                (Kind::Param, _) => {}
                (_, Kind::Param) => c.param_diffs += 1,
                _ => c.word_diffs += 1,
            }
            c.last_diff = i;
        }
        c
    }

    /// The word at `i`, if it is one.
    pub fn word(&self, i: usize) -> Option<&'a str> {
        (self.toks[i].kind == Kind::Word).then(|| self.text_at(i))
    }

    /// Identifies the token sequence (parameters as such, not their values).
    pub fn hash(&self) -> u64 {
        self.hash_skipping(usize::MAX)
    }

    /// The hash of every token but the one at `skip`.
    pub fn hash_skipping(&self, skip: usize) -> u64 {
        // Words and delimiters never share a text, so only parameters need a mark.
        let mut h = Hasher::default();
        let bytes = self.text.as_bytes();
        for (i, tok) in self.toks.iter().enumerate() {
            match tok.kind {
                _ if i == skip => h.add_u64(SKIPPED),
                Kind::Param => h.add_u64(PARAM),
                _ => h.add_bytes(&bytes[tok.start as usize..tok.end as usize]),
            }
        }
        h.finish()
    }

    /// Which leaf of the tree a line belongs to: its length and its first two words with
    /// their positions (values never lead: a line starting with a number or a time is
    /// keyed by the words after it).
    pub fn leaf_key(&self) -> u64 {
        let mut h = Hasher::default();
        h.add_u64(self.toks.len() as u64);
        self.add_key_words(&mut h);
        h.finish()
    }

    /// Which family of patterns of any length a line belongs to (see `tail`): its first two
    /// words with their positions.
    pub fn family_key(&self) -> u64 {
        let mut h = Hasher::default();
        self.add_key_words(&mut h);
        h.finish()
    }

    /// Where the words keying the line end; `None` for a line without words.
    pub fn key_end(&self) -> Option<usize> {
        self.key_words().last().map(|(i, _)| i + 1)
    }

    fn key_words(&self) -> impl Iterator<Item = (usize, &Token)> {
        self.toks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == Kind::Word)
            .take(2)
    }

    fn add_key_words(&self, h: &mut Hasher) {
        for (i, tok) in self.key_words() {
            h.add_u64(i as u64);
            h.add_bytes(tok.bytes(self.text.as_bytes()));
        }
    }
}

/// A pattern's template: its own compact copy of the tokens' text.
#[derive(Debug, Clone)]
pub struct Template {
    text: String,
    toks: Vec<Token>,
    rendered: String,
}

impl Template {
    pub fn new(line: &Shape<'_>) -> Self {
        let mut text = String::new();
        let mut toks = Vec::with_capacity(line.len());
        for (i, tok) in line.toks.iter().enumerate() {
            let start = text.len() as u32;
            if tok.kind != Kind::Param {
                text.push_str(line.text_at(i));
            }
            toks.push(Token {
                start,
                end: text.len() as u32,
                ..*tok
            });
        }
        let mut template = Self {
            text,
            toks,
            rendered: String::new(),
        };
        template.render();
        template
    }

    pub fn shape(&self) -> Shape<'_> {
        Shape {
            text: &self.text,
            toks: &self.toks,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.rendered
    }

    /// Words (and delimiters) in the template: how specific it is.
    pub fn constants(&self) -> usize {
        self.toks.iter().filter(|t| t.kind != Kind::Param).count()
    }

    /// Turns every position where `other` (same length) differs into a parameter.
    pub fn widen(&mut self, other: &Shape<'_>) {
        let differs: Vec<usize> = (0..self.toks.len())
            .filter(|&i| !self.shape().same_at(other, i))
            .collect();
        if differs.is_empty() {
            return;
        }
        for i in differs {
            self.toks[i].kind = Kind::Param;
        }
        *self = Self::new(&self.shape());
    }

    fn render(&mut self) {
        let mut out = String::with_capacity(self.text.len() + 8);
        for (i, tok) in self.toks.iter().enumerate() {
            if tok.space && i > 0 {
                out.push(' ');
            }
            match tok.kind {
                Kind::Param => out.push_str("<*>"),
                _ => out.push_str(tok.text(&self.text)),
            }
        }
        self.rendered = out;
    }
}
