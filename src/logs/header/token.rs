//! A line's leading fields, as header detection sees them: whitespace- or `|`-separated
//! tokens, a bracketed group (`[main]`, `[10.30 16:49:06]`, `sshd(pam)[42]:`) kept whole,
//! each given a coarse class.

use crate::logs::Level;

/// Header fields are looked for among this many leading tokens.
pub const MAX_TOKENS: usize = 16;

/// What a token looks like; header positions are learned as the class most lines share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A date, a clock, a month or weekday name: only digits and `-/:.,+TZ`, or a name.
    Time,
    /// Only digits.
    Number,
    /// A level word, bare or wrapped (`[INFO]`, `<warn>`, `ERROR:`).
    Level,
    /// A bracketed group: `[main]`, `(worker-1)`.
    Bracket,
    /// A name ending in `:` (`sshd[42]:`, `org.apache.Foo:`): a component closing the header.
    Tagged,
    /// A lone `-`, a separator between header fields.
    Dash,
    /// A word with a digit in it (`R02-M1-N0`, `host-3`).
    Value,
    Word,
}

impl Class {
    /// Classes that may close a header: a plain word or number may sit inside a header, but
    /// a header never ends on one (it would as well be the message's first word).
    pub fn closes(self) -> bool {
        !matches!(self, Self::Word | Self::Number | Self::Value)
    }

    /// Whether a token of this class fits a position learned as `other`: a name may hold a
    /// digit (`AcroRd32.exe` where most lines have `chrome.exe`).
    pub fn like(self, other: Self) -> bool {
        let name = |c| matches!(c, Self::Word | Self::Value);
        self == other || (name(self) && name(other))
    }
}

/// One token: its byte span and whether a `|` follows it (a field separator that closes a
/// header as surely as a `:`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub piped: bool,
}

/// The leading tokens of `line`, at most [`MAX_TOKENS`].
pub fn tokens(line: &str) -> impl Iterator<Item = Token> + '_ {
    let bytes = line.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && separator(bytes[at]) {
            at += 1;
        }
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        at = token_end(bytes, at);
        let end = at;
        let mut next = at;
        while next < bytes.len() && bytes[next] == b' ' {
            next += 1;
        }
        let piped = bytes.get(next) == Some(&b'|');
        Some(Token { start, end, piped })
    })
    .take(MAX_TOKENS)
}

fn separator(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b'|'
}

/// Where a token starting at `at` ends: at a separator outside brackets.
fn token_end(bytes: &[u8], mut at: usize) -> usize {
    let mut depth = 0usize;
    while at < bytes.len() {
        match bytes[at] {
            b'[' | b'(' | b'<' => depth += 1,
            b']' | b')' | b'>' => depth = depth.saturating_sub(1),
            b if separator(b) && depth == 0 => break,
            // A bracket never closed ends with the line's first separator past this far.
            b if separator(b) && at > 200 => break,
            _ => {}
        }
        at += 1;
    }
    at
}

/// The class of one token's text.
pub fn classify(text: &str) -> Class {
    let bytes = text.as_bytes();
    if text == "-" {
        return Class::Dash;
    }
    if level_word(text).is_some() {
        return Class::Level;
    }
    if time_like(bytes) {
        return Class::Time;
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        return Class::Number;
    }
    let first = bytes[0];
    let last = bytes[bytes.len() - 1];
    if matches!(first, b'[' | b'(' | b'<') && matches!(last, b']' | b')' | b'>') {
        let inner = &text[1..text.len() - 1];
        let stamp_chars = inner
            .bytes()
            .all(|b| b.is_ascii_digit() || b" -/:.,+TZ".contains(&b));
        let clock = stamp_chars && inner.split(' ').any(|part| time_like(part.as_bytes()));
        return if clock { Class::Time } else { Class::Bracket };
    }
    if last == b':' && bytes.len() > 1 && first.is_ascii_alphabetic() {
        return Class::Tagged;
    }
    if bytes.iter().any(u8::is_ascii_digit) {
        return Class::Value;
    }
    Class::Word
}

/// The level a token names, bare or wrapped in brackets or followed by `:`.
pub fn level_word(text: &str) -> Option<Level> {
    let word = text
        .trim_end_matches(':')
        .trim_start_matches(['[', '<', '('])
        .trim_end_matches([']', '>', ')']);
    // The level names are 3 to 8 letters long.
    if !(3..=8).contains(&word.len()) {
        return None;
    }
    // Only as written by loggers: `Info` in a sentence is no header field.
    let shouted = word.bytes().all(|b| b.is_ascii_uppercase());
    let quiet = word.bytes().all(|b| b.is_ascii_lowercase());
    let wrapped = word.len() != text.len();
    if !(shouted || (quiet && wrapped)) {
        return None;
    }
    Level::from_name(word).or(match word {
        "SEVERE" | "severe" => Some(Level::Error),
        "WARNING" => Some(Level::Warn),
        _ => None,
    })
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A date or clock (`2015-10-18`, `18:01:47,978`, `[10.30`, `16:49:06]`), or a month or
/// weekday name. One pass over the bytes: header detection asks this of several tokens of
/// every line.
fn time_like(bytes: &[u8]) -> bool {
    let inner = trim_brackets(bytes);
    let name = inner.strip_suffix(b",").unwrap_or(inner);
    if name.len() == 3 && (MONTHS.iter().chain(&DAYS)).any(|m| m.as_bytes() == name) {
        return true;
    }
    let (mut digits, mut marks, mut colon) = (0, 0, false);
    for &b in inner {
        match b {
            b'0'..=b'9' => digits += 1,
            b'-' | b'/' | b'.' | b',' => marks += 1,
            b':' => {
                marks += 1;
                colon = true;
            }
            b'+' | b'T' | b'Z' => {}
            _ => return false,
        }
    }
    digits >= 4 && marks >= 1 && (marks >= 2 || colon)
}

fn trim_brackets(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b"[(<".contains(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b"])>:".contains(b))
        .map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}
