//! What each learned header position is, named for display and for `uc logs format`.

use std::borrow::Cow;
use std::ops::Range;

use super::token::{Class, MAX_TOKENS, Token, classify, tokens};
use crate::logs::LineHeader;

/// A header field's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Time,
    Level,
    Host,
    Process,
    Pid,
    Thread,
    Component,
    /// A `-` between fields: learned, never shown.
    Separator,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::Level => "level",
            Self::Host => "host",
            Self::Process => "process",
            Self::Pid => "pid",
            Self::Thread => "thread",
            Self::Component => "component",
            Self::Separator => "-",
        }
    }
}

/// The role of each header position: a leading number is part of the stamp (`081109
/// 203615`), a later one a pid; the first word after the stamp a host; the first bracket a
/// thread; `name[pid]:` a process.
pub fn names(classes: &[Class]) -> Vec<Field> {
    let (roles, n) = roles(classes);
    roles[..n].to_vec()
}

/// [`names`] in an array, the first `n` used: read for every line, so not allocated.
fn roles(classes: &[Class]) -> ([Field; MAX_TOKENS], usize) {
    let mut out = [Field::Separator; MAX_TOKENS];
    let n = classes.len().min(MAX_TOKENS);
    let (mut host, mut thread, mut stamp_so_far) = (false, false, true);
    for (i, &class) in classes[..n].iter().enumerate() {
        let after_time = i > 0 && out[i - 1] == Field::Time;
        let field = match class {
            Class::Time => Field::Time,
            Class::Number if i <= 1 && stamp_so_far => Field::Time,
            Class::Number => Field::Pid,
            Class::Level => Field::Level,
            Class::Dash => Field::Separator,
            Class::Bracket if !thread => {
                thread = true;
                Field::Thread
            }
            Class::Bracket | Class::Tagged => Field::Component,
            Class::Word | Class::Value if after_time && !host => {
                host = true;
                Field::Host
            }
            Class::Word | Class::Value => Field::Component,
        };
        out[i] = field;
        stamp_so_far &= matches!(field, Field::Time | Field::Separator);
    }
    (out, n)
}

/// `line`'s header fields (the line fits `classes`): adjacent stamp parts joined into one
/// time, `name[pid]:` split into process and pid, separators left out.
pub fn plain<'a>(classes: &[Class], line: &'a str) -> Vec<(Field, Cow<'a, str>)> {
    let mut out = Vec::new();
    let classified = tokens(line).map(|t| (t, classify(&line[t.start..t.end])));
    spans(classes, classified, line, &mut |field, range| {
        out.push((field, Cow::Borrowed(&line[range])));
    });
    out
}

/// [`plain`] as byte ranges of `line`, from its tokens already classified.
fn spans(
    classes: &[Class],
    tokens: impl Iterator<Item = (Token, Class)>,
    line: &str,
    out: &mut impl FnMut(Field, Range<usize>),
) {
    let (names, n) = roles(classes);
    let mut time: Option<Range<usize>> = None;
    for ((tok, class), &field) in tokens.zip(&names[..n]) {
        if field == Field::Time {
            time = Some(time.map_or(tok.start, |t| t.start)..tok.end);
            continue;
        }
        if let Some(range) = time.take() {
            out(Field::Time, range);
        }
        let range = tok.start..tok.end;
        match field {
            Field::Separator => {}
            Field::Component if class == Class::Tagged => tagged(line, range, out),
            _ => out(field, range),
        }
    }
    if let Some(range) = time {
        out(Field::Time, range);
    }
}

/// The spans of `line`'s header fields (the first of each kind) and where its message
/// starts, from the line's leading tokens as [`super::Format`] classified them.
pub fn header(
    classes: &[Class],
    tokens: &[(Token, Class)],
    line: &str,
    message: usize,
) -> LineHeader {
    let mut header = LineHeader {
        message: offset(message),
        ..LineHeader::default()
    };
    spans(
        classes,
        tokens.iter().copied(),
        line,
        &mut |field, range| {
            let slot = match field {
                Field::Time => &mut header.time,
                Field::Level => &mut header.level,
                Field::Host => &mut header.host,
                Field::Process => &mut header.process,
                Field::Pid => &mut header.pid,
                Field::Thread => &mut header.thread,
                Field::Component => &mut header.component,
                Field::Separator => return,
            };
            slot.get_or_insert([offset(range.start), offset(range.end)]);
        },
    );
    header
}

/// Lines are at most [`crate::logs::line::MAX_LINE`] bytes: an offset fits 32 bits.
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// `sshd[24200]:` as process `sshd` and pid `24200`; `org.apache.Foo:` as a component.
fn tagged(line: &str, range: Range<usize>, out: &mut impl FnMut(Field, Range<usize>)) {
    let name = line[range.clone()].trim_end_matches(':');
    let start = range.start;
    if let Some(open) = name.rfind('[')
        && let Some(pid) = name[open + 1..].strip_suffix(']')
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
    {
        out(Field::Process, start..start + open);
        out(Field::Pid, start + open + 1..start + open + 1 + pid.len());
        return;
    }
    out(Field::Component, start..start + name.len());
}
