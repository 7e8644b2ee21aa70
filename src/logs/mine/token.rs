//! Splitting a line into the tokens the miner compares, and deciding which are parameters.
//!
//! One generic rule set, no per-format regexes. A line is cut at white space and at the
//! delimiters `= : , ; ( ) [ ] { } | " '` (kept as tokens, so `user=root` compares as
//! `user`, `=`, `root`), except that words glued by a `:` with no space (`libc-bin:amd64`,
//! `sshd:auth`) stay one token and a path or URL runs to the end of its word (a query's `=`
//! is the value's). A token is a parameter (`<*>`) when it carries a digit (but `SOCKS5`,
//! `MD5`: upper-case names with a short number are words), names a weekday or month, looks
//! like a host name or a path, is a MAC / IPv6 / time chunk, or is a word in quotes (`'out'`,
//! `"weight"`, `‘area’`) with no `:` after it (a key, as in `"port": 80`).
//! Then: a bracket whose content holds a parameter (or nothing) is one parameter, a unit
//! after a parameter belongs to it (`3 KB`, `12 sec`), and neighbouring parameters fold into
//! one — so optional or variable-length values (`(1.36 KB)`, `Sat Jul  9 12:16:49 2005`)
//! don't change a line's shape. Works on bytes and reuses its buffers: no allocation per
//! line once warm.

/// What the miner sees in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    Delim,
    Param,
}

/// One token: a byte range of the line, and whether white space preceded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: u32,
    pub end: u32,
    pub space: bool,
    /// Words glued by colons (`libc-bin:amd64`): one value of its own, never folded with a
    /// parameter beside it (`ca-certificates:all 20230311` keeps the shape of
    /// `libc-bin:amd64 2.36-9`).
    pub glued: bool,
}

impl Token {
    /// Its text (token bounds are always on ASCII bytes, so on character boundaries).
    pub fn text<'a>(&self, line: &'a str) -> &'a str {
        line.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    pub fn bytes<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start as usize..self.end as usize]
    }
}

/// Lines longer than this many tokens are compared on their first ones only (a template's
/// size stays bounded).
pub const MAX_TOKENS: usize = 400;

/// How far a bracket's closing partner is looked for.
const BRACKET_SPAN: usize = 64;

/// Byte classes, from a table: the tokenizer's inner loop is one lookup per byte.
const SPACE: u16 = 1;
const DELIM: u16 = 2;
const DIGIT: u16 = 4;
const LOWER: u16 = 8;
const UPPER: u16 = 16;
/// Bytes a host name may hold besides letters and digits.
const HOSTY: u16 = 32;
const HEX: u16 = 64;
const SLASH: u16 = 128;
const DOT: u16 = 256;
/// A byte of a multi-byte UTF-8 character.
const HIGH: u16 = 512;

const CLASS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => SPACE,
            b'=' | b':' | b',' | b';' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'|' | b'"'
            | b'\'' => DELIM,
            b'0'..=b'9' => DIGIT | HEX,
            b'a'..=b'f' => LOWER | HEX,
            b'g'..=b'z' => LOWER,
            b'A'..=b'F' => UPPER | HEX,
            b'G'..=b'Z' => UPPER,
            b'.' => HOSTY | DOT,
            b'-' | b'_' => HOSTY,
            b'/' => SLASH,
            0x80..=0xff => HIGH,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// Reusable buffers; `tokenize` returns a view into them.
#[derive(Debug, Default)]
pub struct Tokenizer {
    raw: Vec<Token>,
    out: Vec<Token>,
}

impl Tokenizer {
    /// The line's tokens after masking and folding.
    pub fn tokenize(&mut self, line: &str) -> &[Token] {
        self.raw.clear();
        self.out.clear();
        split(line.as_bytes(), &mut self.raw);
        fold(line.as_bytes(), &self.raw, &mut self.out);
        &self.out
    }
}

/// Pass 1: cut at spaces and delimiters, classify each piece.
fn split(bytes: &[u8], raw: &mut Vec<Token>) {
    let mut i = 0;
    let mut space = false;
    while i < bytes.len() && raw.len() < MAX_TOKENS {
        let class = CLASS[bytes[i] as usize];
        if class & SPACE != 0 {
            space = true;
            i += 1;
            continue;
        }
        let (kind, end, glued) = if bytes[i] == b'/' {
            (Kind::Param, path_end(bytes, i), false)
        } else if class & DELIM != 0 {
            let quote = matches!(bytes[i], b'\'' | b'"');
            if let Some(end) = quote.then(|| quoted_word(bytes, i)).flatten() {
                let quote = Token {
                    kind: Kind::Delim,
                    start: i as u32,
                    end: i as u32 + 1,
                    space,
                    glued: false,
                };
                let word = Token {
                    kind: Kind::Param,
                    start: quote.end,
                    end: end as u32,
                    space: false,
                    glued: false,
                };
                raw.extend([quote, word]);
                space = false;
                i = end;
                continue;
            }
            (Kind::Delim, i + 1, false)
        } else if let Some(end) = dot_run(bytes, i) {
            (Kind::Delim, end, false)
        } else {
            let (kind, end) = piece(bytes, i);
            match bytes.get(end) {
                Some(b':') if is_scheme(bytes, i, end) => (Kind::Param, path_end(bytes, i), false),
                Some(b':') => colon_chunk(bytes, i)
                    .map_or_else(|| glued(bytes, kind, end), |end| (Kind::Param, end, false)),
                _ => (kind, end, false),
            }
        };
        raw.push(Token {
            kind,
            start: i as u32,
            end: end as u32,
            space,
            glued,
        });
        space = false;
        i = end;
    }
}

/// The quote at `i` holding one word and nothing else (`File 'out' does not exist`, `column
/// "weight"`): a value written into a message, as `'%s'` puts it there. The word's end (the
/// closing quote), if so; a quoted word followed by a colon is a key (`"port": 80`) and stays
/// a word.
#[inline(never)]
fn quoted_word(bytes: &[u8], i: usize) -> Option<usize> {
    let quote = bytes[i];
    let first = *bytes.get(i + 1)?;
    if CLASS[first as usize] & (SPACE | DELIM | SLASH) != 0 || dot_run(bytes, i + 1).is_some() {
        return None;
    }
    let (_, end) = piece(bytes, i + 1);
    (bytes.get(end) == Some(&quote) && bytes.get(end + 1) != Some(&b':')).then_some(end)
}

/// A MAC address, IPv6 address or time of day (`FF:F2:9F:16:EA:48`, `fe80::1`,
/// `12:16:49`) starting at `i`: hex digits and at least two colons, with a digit, ending at a
/// token boundary. Its end, if so. Tried only where a word is followed by a colon.
fn colon_chunk(bytes: &[u8], i: usize) -> Option<usize> {
    let (mut colons, mut digit, mut j) = (0, false, i);
    while j < bytes.len() {
        let b = bytes[j];
        if b == b':' {
            colons += 1;
        } else if CLASS[b as usize] & HEX != 0 {
            digit |= b.is_ascii_digit();
        } else if b != b'.' {
            break;
        }
        j += 1;
    }
    let boundary = j == bytes.len() || CLASS[bytes[j] as usize] & (SPACE | DELIM) != 0;
    (colons >= 2 && digit && boundary).then_some(j)
}

/// `libc-bin:amd64`, `ca-certificates:all`, `sshd:auth`: words glued by a `:` with nothing
/// around it are one token (a parameter when a part has a digit), so a value's own colons
/// never change a line's shape. `kind` and `end` are the first word's; whether it glued.
fn glued(bytes: &[u8], mut kind: Kind, mut end: usize) -> (Kind, usize, bool) {
    let mut glued = false;
    while bytes.get(end) == Some(&b':')
        && bytes.get(end + 1).is_some_and(|&b| {
            CLASS[b as usize] & (SPACE | DELIM) == 0 && dot_run(bytes, end + 1).is_none()
        })
    {
        let (next, next_end) = piece(bytes, end + 1);
        if next == Kind::Param {
            kind = Kind::Param;
        }
        end = next_end;
        glued = true;
    }
    (kind, end, glued)
}

/// A path or URL starting at `i` (`/docs`, `/search?q=a,b`, `http://host:9/x`) runs to the
/// next space, quote or bracket, whatever it holds (a query's `=` and `,` are the value's,
/// not delimiters), less trailing punctuation. Its end.
fn path_end(bytes: &[u8], i: usize) -> usize {
    let run = bytes[i..]
        .iter()
        .take_while(|&&b| {
            CLASS[b as usize] & SPACE == 0
                && !matches!(
                    b,
                    b'"' | b'\'' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'|'
                )
        })
        .count();
    let kept = bytes[i..i + run]
        .iter()
        .rposition(|b| !matches!(b, b':' | b',' | b';' | b'.'))
        .map_or(1, |last| last + 1);
    i + kept
}

/// `http://`: a lower-case scheme before `://`.
fn is_scheme(bytes: &[u8], i: usize, end: usize) -> bool {
    bytes[end..].starts_with(b"://") && bytes[i..end].iter().all(u8::is_ascii_lowercase)
}

/// Two or more dots (`interrupt.......0`): a leader, not part of a word.
fn dot_run(bytes: &[u8], i: usize) -> Option<usize> {
    let n = bytes[i..].iter().take_while(|&&b| b == b'.').count();
    (n >= 2).then_some(i + n)
}

/// A word from `i` to the next space, delimiter or dot run, and whether it is a parameter.
fn piece(bytes: &[u8], i: usize) -> (Kind, usize) {
    let mut seen = 0u16;
    let mut j = i;
    while j < bytes.len() {
        let class = CLASS[bytes[j] as usize];
        if class & (SPACE | DELIM) != 0 || (class & DOT != 0 && bytes.get(j + 1) == Some(&b'.')) {
            break;
        }
        seen |= class;
        j += 1;
    }
    let word = &bytes[i..j];
    let param = (seen & DIGIT != 0 && !is_versioned_name(word))
        || (seen & HIGH != 0 && is_typographic_quote(word))
        || (seen & SLASH != 0 && word.iter().filter(|&&b| b == b'/').count() >= 2)
        || is_time_word(word)
        || (seen & DOT != 0 && seen & !(LOWER | HOSTY | HEX | DOT | HIGH) == 0 && is_host(word));
    (if param { Kind::Param } else { Kind::Word }, j)
}

/// `‘area’`, `“x”`: a word in typographic quotes is a value, as one in `'` or `"` is (see
/// [`quoted_word`]); gcc and GNU tools quote so in UTF-8 locales.
#[inline(never)]
fn is_typographic_quote(word: &[u8]) -> bool {
    const PAIRS: [(&[u8], &[u8]); 2] = [
        ("‘".as_bytes(), "’".as_bytes()),
        ("“".as_bytes(), "”".as_bytes()),
    ];
    word.len() > 6
        && PAIRS
            .iter()
            .any(|(open, close)| word.starts_with(open) && word.ends_with(close))
}

/// `SOCKS5`, `HTTP2`, `MD5`, `X11`: upper-case letters (not only hex digits) and a short
/// number name a kind of thing, as upper-case states do, not a value.
fn is_versioned_name(word: &[u8]) -> bool {
    let letters = word.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let digits = word.len() - letters;
    letters >= 2
        && (1..=3).contains(&digits)
        && word[letters..].iter().all(u8::is_ascii_digit)
        && word[..letters].iter().any(|b| !b.is_ascii_hexdigit())
}

/// `proxy.cse.cuhk.edu.hk`, `csdnimg.cn`: lower-case labels, the last one letters only
/// (file names such as `setup.py` count too: both are parameters in practice).
fn is_host(word: &[u8]) -> bool {
    let mut labels = word.split(|&b| b == b'.');
    let last = labels.next_back().unwrap_or_default();
    labels.all(|l| !l.is_empty()) && last.len() >= 2 && last.iter().all(u8::is_ascii_lowercase)
}

fn is_time_word(word: &[u8]) -> bool {
    const WORDS: [&[u8]; 21] = [
        b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun", b"Jan", b"Feb", b"Mar", b"Apr",
        b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec", b"UTC", b"GMT",
    ];
    word.len() == 3 && WORDS.contains(&word)
}

/// A word that measures the parameter before it. Asked of most short words after a value,
/// so a word is packed into one integer (lower-cased, its length in the top byte) and
/// compared with the units packed the same way.
fn is_unit(word: &[u8]) -> bool {
    const UNITS: [u64; 30] = {
        const NAMES: [&[u8]; 30] = [
            b"b", b"kb", b"mb", b"gb", b"tb", b"kib", b"mib", b"gib", b"byte", b"bytes", b"ns",
            b"us", b"ms", b"s", b"sec", b"secs", b"second", b"seconds", b"min", b"mins", b"minute",
            b"minutes", b"h", b"hr", b"hrs", b"hour", b"hours", b"day", b"days", b"%",
        ];
        let mut units = [0u64; 30];
        let mut i = 0;
        while i < NAMES.len() {
            units[i] = pack_unit(NAMES[i]);
            i += 1;
        }
        units
    };
    word.len() <= 7 && UNITS.contains(&pack_unit(word))
}

/// Up to 7 bytes, ASCII letters lower-cased, and the length: equal for words equal but for
/// case.
const fn pack_unit(word: &[u8]) -> u64 {
    let mut packed = (word.len() as u64) << 56;
    let mut i = 0;
    while i < word.len() && i < 7 {
        packed |= (word[i].to_ascii_lowercase() as u64) << (8 * i);
        i += 1;
    }
    packed
}

/// Pass 2: brackets holding parameters, units, and runs of parameters become one parameter.
fn fold(bytes: &[u8], raw: &[Token], out: &mut Vec<Token>) {
    let mut i = 0;
    while i < raw.len() {
        let tok = raw[i];
        if let Some(close) = param_bracket(bytes, raw, i) {
            push_param(bytes, out, tok, raw[close].end);
            i = close + 1;
            continue;
        }
        match tok.kind {
            Kind::Param => push_param(bytes, out, tok, tok.end),
            Kind::Word if follows_param(out) && is_unit(tok.bytes(bytes)) => {
                if let Some(last) = out.last_mut() {
                    last.end = tok.end;
                }
            }
            _ => out.push(tok),
        }
        i += 1;
    }
}

/// If `raw[i]` opens a bracket that closes within reach and holds a parameter or nothing,
/// the index of its closing partner.
fn param_bracket(bytes: &[u8], raw: &[Token], i: usize) -> Option<usize> {
    let tok = raw[i];
    if tok.kind != Kind::Delim {
        return None;
    }
    let open = bytes[tok.start as usize];
    let close = match open {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        _ => return None,
    };
    let mut depth = 0usize;
    let mut param = false;
    for (j, t) in raw.iter().enumerate().skip(i).take(BRACKET_SPAN) {
        param |= t.kind == Kind::Param;
        if t.kind != Kind::Delim {
            continue;
        }
        let b = bytes[t.start as usize];
        if b == open {
            depth += 1;
        } else if b == close {
            depth -= 1;
            if depth == 0 {
                return (param || j == i + 1).then_some(j);
            }
        }
    }
    None
}

/// Adds a parameter ending at `end`, folding it into a parameter just before it (directly,
/// or joined by a `:` / `,` with no space around, as in `18:01:47,978`); glued words stay
/// apart.
#[inline]
fn push_param(bytes: &[u8], out: &mut Vec<Token>, tok: Token, end: u32) {
    let foldable = |t: &Token| t.kind == Kind::Param && !t.glued && !tok.glued;
    let n = out.len();
    let joined = n >= 2
        && !tok.space
        && foldable(&out[n - 2])
        && out[n - 1].kind == Kind::Delim
        && !out[n - 1].space
        && matches!(bytes[out[n - 1].start as usize], b':' | b',');
    if joined {
        out.pop();
    }
    match out.last_mut() {
        Some(last) if foldable(last) => last.end = end,
        _ => out.push(Token {
            kind: Kind::Param,
            end,
            ..tok
        }),
    }
}

fn follows_param(out: &[Token]) -> bool {
    out.last().is_some_and(|t| t.kind == Kind::Param)
}

#[cfg(test)]
mod tests;
