//! What each learned header position is, named for display and for `uc logs format`.

use std::borrow::Cow;

use super::token::{Class, classify, tokens};

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
    let mut out = Vec::with_capacity(classes.len());
    let (mut host, mut thread) = (false, false);
    for (i, &class) in classes.iter().enumerate() {
        let stamp_so_far = out
            .iter()
            .all(|f| matches!(f, Field::Time | Field::Separator));
        let after_time = out.last() == Some(&Field::Time);
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
        out.push(field);
    }
    out
}

/// `line`'s header fields (the line fits `classes`): adjacent stamp parts joined into one
/// time, `name[pid]:` split into process and pid, separators left out.
pub fn plain<'a>(classes: &[Class], line: &'a str) -> Vec<(Field, Cow<'a, str>)> {
    let names = names(classes);
    let mut out: Vec<(Field, Cow<'a, str>)> = Vec::new();
    let mut time: Option<(usize, usize)> = None;
    for (tok, &field) in tokens(line).zip(&names) {
        if field == Field::Time {
            time = Some((time.map_or(tok.start, |t| t.0), tok.end));
            continue;
        }
        if let Some((start, end)) = time.take() {
            out.push((Field::Time, Cow::Borrowed(&line[start..end])));
        }
        let text = &line[tok.start..tok.end];
        match field {
            Field::Separator => {}
            Field::Component if classify(text) == Class::Tagged => tagged(text, &mut out),
            _ => out.push((field, Cow::Borrowed(text))),
        }
    }
    if let Some((start, end)) = time {
        out.push((Field::Time, Cow::Borrowed(&line[start..end])));
    }
    out
}

/// `sshd[24200]:` as process `sshd` and pid `24200`; `org.apache.Foo:` as a component.
fn tagged<'a>(text: &'a str, out: &mut Vec<(Field, Cow<'a, str>)>) {
    let name = text.trim_end_matches(':');
    if let Some(open) = name.rfind('[')
        && let Some(pid) = name[open + 1..].strip_suffix(']')
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
    {
        out.push((Field::Process, Cow::Borrowed(&name[..open])));
        out.push((Field::Pid, Cow::Borrowed(pid)));
        return;
    }
    out.push((Field::Component, Cow::Borrowed(name)));
}
