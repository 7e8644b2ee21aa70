//! Header detection for any format, with no per-format setting: from a source's first lines,
//! learn which leading fields are its header (time, level, host, process and pid, thread,
//! component) and where the message starts, so the miner sees the message alone.
//!
//! Plain lines are cut into tokens (whitespace or `|`, brackets kept whole) and each token
//! given a coarse class ([`token::Class`]). A header position is one where most learning
//! lines share a class; the header runs to the last such position whose class may close a
//! header (a time, a level, a bracket, a `name:`, a `-`, or a field before a `|`), so a
//! message whose first words happen to agree is not taken for header. JSON lines and logfmt
//! (`key=value` with a `msg`) are recognised as wholes; their message is the `msg` value
//! followed by the fields that are not time or level.
//!
//! Online: [`Detector`] learns from a source's first [`LEARN`] lines and re-learns when
//! [`RELEARN`] lines in a row no longer fit. A line that does not fit the header but
//! continues a record (indented, or no time where every record starts with one: stack
//! traces, wrapped output) is part of the record before it.

mod annotate;
mod fields;
mod structured;
pub mod token;

use std::borrow::Cow;

use crate::logs::LineHeader;
pub use annotate::Annotator;
pub use fields::Field;
use token::{Class, MAX_TOKENS, Token, classify, tokens};

/// Lines a source's format is learned from.
pub const LEARN: usize = 64;
/// Lines seen before a whole header is learned: from fewer, a message repeated at a
/// source's start would pass for header (`ERROR connection to 10.0.0.7:5432 refused`, its
/// address taken for a clock), so only a leading time and level are taken.
pub const MIN_LEARN: usize = 32;
/// Lines in a row that do not fit the learned header before it is learned again.
pub const RELEARN: usize = 16;
/// A source without a header is checked for one every this many lines.
const PLAIN_RECHECK: u64 = 1024;
/// Share of learning lines that must agree on a position's class for it to be header.
const AGREE: f64 = 0.8;

/// What was learned about a source's lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Format {
    /// No header found: the whole line is the message.
    #[default]
    Plain,
    /// Leading fields of these classes, then the message.
    Fields(Vec<Class>),
    /// One JSON object per line.
    Json,
    /// `key=value` pairs with a `msg` (or `message`) key.
    Logfmt,
}

impl Format {
    /// The format most of `lines` share (blank and indented lines are left out: they are
    /// continuations, not records).
    pub fn learn<S: AsRef<str>>(lines: &[S]) -> Self {
        let heads: Vec<&str> = lines
            .iter()
            .map(AsRef::as_ref)
            .filter(|l| l.chars().next().is_some_and(|c| !c.is_whitespace()))
            .collect();
        if heads.is_empty() {
            return Self::Plain;
        }
        let share =
            |f: fn(&str) -> bool| heads.iter().filter(|l| f(l)).count() as f64 / heads.len() as f64;
        if share(structured::is_json) >= AGREE {
            return Self::Json;
        }
        if share(structured::is_logfmt) >= AGREE {
            return Self::Logfmt;
        }
        learn_fields(&heads)
    }

    /// Byte offset where `line`'s message starts when it fits the header; `None` when it
    /// does not (or there is no header, or the format is structured).
    pub fn message_start(&self, line: &str) -> Option<usize> {
        let Self::Fields(classes) = self else {
            return None;
        };
        scan(classes, line).message
    }

    /// The message of `line`: after the header when it fits one, the `msg` (and the other
    /// fields) of a structured line, else the whole line; without trailing whitespace.
    pub fn message<'a>(&self, line: &'a str) -> Cow<'a, str> {
        match self {
            Self::Json => structured::json_message(line).map_or(Cow::Borrowed(line), Cow::Owned),
            Self::Logfmt => {
                structured::logfmt_message(line).map_or(Cow::Borrowed(line), Cow::Owned)
            }
            _ => {
                let start = self.message_start(line).unwrap_or(0);
                Cow::Borrowed(line[start..].trim_end())
            }
        }
    }

    /// Whether `line` belongs to the record before it rather than starting one: blank or
    /// indented, or with no time where every record starts with one.
    pub fn continues(&self, line: &str) -> bool {
        if line.trim().is_empty() || line.starts_with([' ', '\t']) {
            return true;
        }
        match self {
            Self::Json => !line.starts_with('{'),
            Self::Fields(classes) if classes[0] == Class::Time => {
                let first = tokens(line).next().map(|t| classify(&line[t.start..t.end]));
                !matches!(first, Some(Class::Time | Class::Number))
            }
            _ => false,
        }
    }

    /// Whether `line` fits: it has the header, or is structured as expected.
    pub fn fits(&self, line: &str) -> bool {
        match self {
            Self::Plain => false,
            Self::Fields(_) => self.message_start(line).is_some(),
            Self::Json => structured::is_json(line),
            Self::Logfmt => structured::is_logfmt(line),
        }
    }

    /// `line`'s header as byte ranges (the message's start and each field), when it fits a
    /// learned header of leading fields.
    pub fn header(&self, line: &str) -> Option<LineHeader> {
        let Self::Fields(classes) = self else {
            return None;
        };
        let scan = scan(classes, line);
        let message = scan.message?;
        Some(fields::header(
            classes,
            &scan.tokens[..scan.len],
            line,
            message,
        ))
    }

    /// The header fields of `line` and what each is, for display.
    pub fn fields<'a>(&self, line: &'a str) -> Vec<(Field, Cow<'a, str>)> {
        match self {
            Self::Plain => Vec::new(),
            Self::Fields(classes) => match self.message_start(line) {
                Some(_) => fields::plain(classes, line),
                None => Vec::new(),
            },
            Self::Json => structured::json_fields(line),
            Self::Logfmt => structured::logfmt_fields(line),
        }
    }

    /// The header's leading time and level alone (what a few lines tell for sure).
    fn stamp_only(&self) -> Self {
        let Self::Fields(classes) = self else {
            return self.clone();
        };
        let mut stamp: Vec<Class> = classes
            .iter()
            .copied()
            .take_while(|c| matches!(c, Class::Time | Class::Level | Class::Number))
            .collect();
        // `Dec 10 06:55:00`: a number inside the stamp, never at its end.
        while stamp.last() == Some(&Class::Number) {
            stamp.pop();
        }
        if stamp.is_empty() {
            Self::Plain
        } else {
            Self::Fields(stamp)
        }
    }

    /// What each header field is: the description `uc logs format` prints.
    pub fn describe(&self) -> String {
        match self {
            Self::Plain => "no header: the whole line is the message".to_owned(),
            Self::Json => "JSON lines: message from msg/message, time and level keys".to_owned(),
            Self::Logfmt => "logfmt: message from msg=, time and level keys".to_owned(),
            Self::Fields(classes) => fields::names(classes)
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// A line's leading tokens, classified once, as read against a learned header.
struct Scan {
    tokens: [(Token, Class); MAX_TOKENS + 2],
    len: usize,
    /// Where the message starts, when the line fits.
    message: Option<usize>,
}

fn scan(classes: &[Class], line: &str) -> Scan {
    let mut scan = Scan {
        tokens: [(Token::default(), Class::Word); MAX_TOKENS + 2],
        len: 0,
        message: None,
    };
    let closing = classes[classes.len() - 1];
    let mut mismatches = 0;
    let mut last = None;
    // A field may run over a token or two (`svchost.exe *64 -` where most lines have
    // `chrome.exe -`): the header then ends at the first token closing it as learned.
    for (i, tok) in tokens(line).take(classes.len() + 2).enumerate() {
        let class = classify(&line[tok.start..tok.end]);
        scan.tokens[i] = (tok, class);
        scan.len = i + 1;
        let expected = classes.get(i).copied();
        if i + 1 >= classes.len() && (class == closing || (tok.piped && expected.is_some())) {
            last = Some((tok, class));
            break;
        }
        if i + 1 < classes.len() {
            mismatches += usize::from(expected.is_none_or(|e| !class.like(e)));
        }
    }
    let Some((tok, class)) = last else {
        return scan;
    };
    // One field in four may differ (BGL's alert label where most lines have `-`).
    if mismatches > classes.len() / 4 || !(class.closes() || tok.piped) {
        return scan;
    }
    let rest = &line.as_bytes()[tok.end..];
    let skip = rest
        .iter()
        .position(|&b| !(b.is_ascii_whitespace() || b == b'|'))
        .unwrap_or(rest.len());
    scan.message = Some(tok.end + skip);
    scan
}

fn learn_fields(heads: &[&str]) -> Format {
    let rows: Vec<Vec<(Class, bool)>> = heads
        .iter()
        .map(|l| {
            tokens(l)
                .map(|t| (classify(&l[t.start..t.end]), t.piped))
                .collect()
        })
        .collect();
    let mut classes = Vec::new();
    let mut header = 0;
    for pos in 0..MAX_TOKENS {
        let Some((class, piped)) = modal(&rows, pos) else {
            break;
        };
        classes.push(class);
        if class.closes() || piped {
            header = pos + 1;
        }
    }
    classes.truncate(header);
    if classes.is_empty() {
        Format::Plain
    } else {
        Format::Fields(classes)
    }
}

/// The class (and whether a `|` follows) most rows have at `pos`, when enough agree.
fn modal(rows: &[Vec<(Class, bool)>], pos: usize) -> Option<(Class, bool)> {
    let mut counts: Vec<((Class, bool), usize)> = Vec::new();
    for row in rows {
        let Some(&key) = row.get(pos) else { continue };
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    let (key, n) = counts.into_iter().max_by_key(|&(_, n)| n)?;
    (n as f64 >= AGREE * rows.len() as f64).then_some(key)
}

/// A source's format, learned online: from its first [`LEARN`] lines, and again from the
/// last [`RELEARN`] when that many in a row stop fitting.
#[derive(Debug, Default)]
pub struct Detector {
    format: Format,
    learning: Vec<String>,
    learned: bool,
    misfits: Vec<String>,
    /// Lines read while no header is known, after learning.
    plain: u64,
}

impl Detector {
    /// A detector whose format is learned from `lines` at once (a file read from its start).
    pub fn primed<S: AsRef<str>>(lines: &[S]) -> Self {
        Self {
            format: Format::learn(&lines[..lines.len().min(LEARN)]),
            learned: true,
            ..Self::default()
        }
    }

    pub fn format(&self) -> &Format {
        &self.format
    }

    /// Takes one line into account (before its message is asked for).
    pub fn observe(&mut self, line: &str) {
        if !self.learned {
            self.learning.push(line.to_owned());
            self.format = Format::learn(&self.learning);
            if self.learning.len() < MIN_LEARN {
                self.format = self.format.stamp_only();
            }
            if self.learning.len() >= LEARN {
                self.learned = true;
                self.learning = Vec::new();
            }
            return;
        }
        let fits = self.format.fits(line) || self.format.continues(line);
        self.settle(line, fits);
    }

    /// Counts a line that fits (or continues a record) or not; re-learns after [`RELEARN`]
    /// misfits in a row. Whether the format changed.
    fn settle(&mut self, line: &str, fits: bool) -> bool {
        if fits {
            self.misfits.clear();
            return false;
        }
        if self.format == Format::Plain {
            // Every line of a source without a header is a misfit: look for one now and
            // then, not after every few lines (learning costs as much as reading).
            self.plain += 1;
            if self.plain % PLAIN_RECHECK >= RELEARN as u64 {
                return false;
            }
        }
        self.misfits.push(line.to_owned());
        if self.misfits.len() < RELEARN {
            return false;
        }
        let format = Format::learn(&self.misfits);
        self.misfits.clear();
        if format == self.format || (format == Format::Plain && self.format == Format::Plain) {
            return false;
        }
        self.format = format;
        true
    }
}

/// What a [`Detector`] makes of one line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The line's header, when it starts a record that fits the learned header.
    pub header: Option<LineHeader>,
    /// The line continues the record before it.
    pub continues: bool,
}

impl Detector {
    /// Takes `line` into account and reads it with what is learned so far, reading its
    /// leading tokens once.
    pub fn parse(&mut self, line: &str) -> Parsed {
        if !self.learned {
            self.observe(line);
            return self.read(line);
        }
        let parsed = self.read(line);
        let fits = parsed.continues
            || match &self.format {
                Format::Fields(_) => parsed.header.is_some(),
                other => other.fits(line),
            };
        if self.settle(line, fits) {
            return self.read(line);
        }
        parsed
    }

    fn read(&self, line: &str) -> Parsed {
        // A line that fits the header starts a record: most lines are settled by one scan.
        let indented = line.starts_with([' ', '\t']);
        if let Some(header) = (!indented).then(|| self.format.header(line)).flatten() {
            return Parsed {
                header: Some(header),
                continues: false,
            };
        }
        Parsed {
            header: None,
            continues: self.format.continues(line),
        }
    }
}

/// Lines grouped into records: a line that continues the one before (see
/// [`Format::continues`]) joins it, after a `\n`.
pub fn records<S: AsRef<str>>(format: &Format, lines: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in lines.iter().map(AsRef::as_ref) {
        match out.last_mut() {
            Some(record) if format.continues(line) => {
                record.push('\n');
                record.push_str(line);
            }
            _ => out.push(line.to_owned()),
        }
    }
    out
}

#[cfg(test)]
mod tests;
