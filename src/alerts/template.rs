//! Annotation templates, written as Prometheus users write them:
//!
//! | placeholder | renders |
//! |---|---|
//! | `{{ $value }}` | the value, compact: `81`, `81.5`, `0.33` (at most 2 decimals) |
//! | `{{ $labels.service }}` | a label of the alert (empty when it has none) |
//! | `{{ $rule }}`, `{{ $alertname }}` | the rule's name |
//! | `{{ humanize $value }}`, `{{ $value \| humanize }}` | `1.23k`, `45.6M`, `7.89G` (powers of 1000) |
//! | `{{ humanizeBytes $value }}` (also `humanize1024`) | `512B`, `12.3K`, `1.5G` (powers of 1024) |
//! | `{{ printf "%.1f" $value }}` | Go's verbs `%f` (with width and precision), `%d`, `%s`, `%v`, `%%` |
//!
//! `{{-` and `-}}` trim the whitespace before and after the action, as in Go. Templates are
//! parsed once, when the rules are loaded; an unknown placeholder is a config error, and so is
//! anything past the bounds below: a template is at most 8 KiB, a `printf` width at most
//! 200 and a precision at most 20, and a rendered annotation is cut at 16 KiB (label values
//! come from the running system and may be long). Rendering cannot fail.

use std::fmt::{self, Write};

use super::model::Labels;
use crate::config::suggest;
use crate::format;

/// A parsed annotation template. Two templates are equal when their text is.
#[derive(Debug, Clone)]
pub struct Template {
    text: String,
    parts: Vec<Part>,
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a template did not parse; `offset` is a byte offset into the template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

fn error(offset: usize, message: impl Into<String>, hint: Option<String>) -> TemplateError {
    TemplateError {
        offset,
        message: message.into(),
        hint,
    }
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Action(Field, Style),
}

#[derive(Debug, Clone)]
enum Field {
    Value,
    /// The label's name and the byte offset of the placeholder naming it.
    Label(String, usize),
    Rule,
}

#[derive(Debug, Clone)]
enum Style {
    Plain,
    Humanize,
    Bytes,
    Printf(Printf),
}

/// A `printf` format with exactly one verb.
#[derive(Debug, Clone)]
struct Printf {
    before: String,
    verb: Verb,
    width: usize,
    after: String,
}

#[derive(Debug, Clone, Copy)]
enum Verb {
    /// `%f`, `%.2f`: the precision (Go's default is 6).
    Float(usize),
    /// `%d`: rounded to an integer.
    Int,
    /// `%s`, `%v`: as `{{ $value }}` would render it.
    Plain,
}

/// Longest template: an annotation, not a document.
pub const MAX_TEMPLATE: usize = 8 * 1024;
/// Widest `printf` width: a column, not a page.
const MAX_WIDTH: usize = 200;
/// Most `printf` decimals; an f64 has no more than 17 significant digits anyway.
const MAX_PRECISION: usize = 20;
/// Longest rendered annotation, in bytes; longer ones end with `…`.
pub const MAX_RENDERED: usize = 16 * 1024;

const PLACEHOLDERS: [&str; 4] = ["$value", "$labels", "$rule", "$alertname"];
const FUNCTIONS: [&str; 4] = ["humanize", "humanizeBytes", "humanize1024", "printf"];

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        if text.len() > MAX_TEMPLATE {
            let message = format!(
                "the template is {} bytes, over the {} KiB a template may take",
                text.len(),
                MAX_TEMPLATE / 1024
            );
            return Err(error(0, message, Some("shorten it".to_owned())));
        }
        let mut parts = Vec::new();
        let mut pos = 0;
        let mut trim_next = false;
        while let Some(found) = text[pos..].find("{{") {
            let open = pos + found;
            let close = text[open..].find("}}").map(|c| open + c).ok_or_else(|| {
                error(open, "unclosed `{{`", Some("close it with `}}`".to_owned()))
            })?;
            let (body, body_at, trim_before, trim_after) = trim_markers(text, open + 2, close);
            push_text(&mut parts, &text[pos..open], trim_next, trim_before);
            let (field, style) = action(body, body_at)?;
            parts.push(Part::Action(field, style));
            trim_next = trim_after;
            pos = close + 2;
        }
        push_text(&mut parts, &text[pos..], trim_next, false);
        Ok(Self {
            text: text.to_owned(),
            parts,
        })
    }

    /// The labels the template reads, with the byte offset of each placeholder, so rules
    /// can reject names their alerts never carry.
    pub fn labels(&self) -> impl Iterator<Item = (&str, usize)> {
        self.parts.iter().filter_map(|part| match part {
            Part::Action(Field::Label(name, at), _) => Some((name.as_str(), *at)),
            _ => None,
        })
    }

    pub fn render(&self, value: f64, labels: &Labels, rule: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Action(Field::Value, style) => render_value(&mut out, value, style),
                Part::Action(Field::Label(name, _), style) => {
                    let text = labels.get(name).map_or("", String::as_str);
                    render_text(&mut out, text, style);
                }
                Part::Action(Field::Rule, style) => render_text(&mut out, rule, style),
            }
            if out.len() > MAX_RENDERED {
                break;
            }
        }
        cut(&mut out);
        out
    }
}

/// The action's body between `{{` at `open - 2` and `}}` at `close`, without Go's trim
/// markers: (body, its offset, trim before, trim after).
fn trim_markers(text: &str, open: usize, close: usize) -> (&str, usize, bool, bool) {
    let mut body = &text[open..close];
    let mut at = open;
    let trim_before = body.starts_with("- ") || body == "-";
    if trim_before {
        body = &body[1..];
        at += 1;
    }
    let trim_after = body.ends_with(" -");
    if trim_after {
        body = &body[..body.len() - 1];
    }
    (body, at, trim_before, trim_after)
}

fn push_text(parts: &mut Vec<Part>, text: &str, trim_start: bool, trim_end: bool) {
    let text = if trim_start { text.trim_start() } else { text };
    let text = if trim_end { text.trim_end() } else { text };
    if !text.is_empty() {
        parts.push(Part::Text(text.to_owned()));
    }
}

/// One word of an action: a bare word or a quoted string, with its offset.
struct Word {
    text: String,
    quoted: bool,
    at: usize,
}

fn words(body: &str, at: usize) -> Result<Vec<Word>, TemplateError> {
    let mut words = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut text = String::new();
        if c == '"' {
            chars.next();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next().map(|(_, e)| e) {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some(e) => text.push(e),
                        None => break,
                    },
                    c => text.push(c),
                }
            }
            if !closed {
                return Err(error(at + start, "unterminated string", None));
            }
        } else {
            while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                text.push(c);
            }
        }
        words.push(Word {
            text,
            quoted: c == '"',
            at: at + start,
        });
    }
    Ok(words)
}

/// `FIELD`, `FUNC FIELD`, `printf "fmt" FIELD`, or a pipeline `FIELD | FUNC [ "fmt" ]`.
fn action(body: &str, at: usize) -> Result<(Field, Style), TemplateError> {
    let words = words(body, at)?;
    match words.as_slice() {
        [] => Err(error(at, "empty placeholder `{{ }}`", placeholder_hint())),
        [field] => Ok((field_of(field)?, Style::Plain)),
        [field, pipe, function, rest @ ..] if pipe.text == "|" && !pipe.quoted => {
            let field = field_of(field)?;
            let style = style_of(function, rest, &field)?;
            Ok((field, style))
        }
        [function, rest @ .., field] => {
            let field = field_of(field)?;
            let style = style_of(function, rest, &field)?;
            Ok((field, style))
        }
    }
}

fn placeholder_hint() -> Option<String> {
    Some("use `$value`, `$labels.<name>` or `$rule`".to_owned())
}

fn field_of(word: &Word) -> Result<Field, TemplateError> {
    let text = word.text.as_str();
    match text {
        "$value" if !word.quoted => return Ok(Field::Value),
        "$rule" | "$alertname" if !word.quoted => return Ok(Field::Rule),
        _ => {}
    }
    if let Some(name) = text.strip_prefix("$labels.")
        && !word.quoted
    {
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            return Ok(Field::Label(name.to_owned(), word.at));
        }
        return Err(error(word.at, format!("invalid label name `{name}`"), None));
    }
    let (head, tail) = text.split_once('.').unwrap_or((text, ""));
    let hint = match suggest::closest(head, PLACEHOLDERS) {
        Some("$labels") if tail.is_empty() => Some("write `$labels.<name>`".to_owned()),
        Some("$labels") => Some(format!("did you mean `$labels.{tail}`?")),
        Some(best) => Some(format!("did you mean `{best}`?")),
        None => placeholder_hint(),
    };
    Err(error(
        word.at,
        format!("unknown placeholder `{text}`"),
        hint,
    ))
}

/// The style `function` (with the words after it, the format of `printf`) gives `field`.
fn style_of(function: &Word, rest: &[Word], field: &Field) -> Result<Style, TemplateError> {
    let numeric = matches!(field, Field::Value);
    let style = match (function.text.as_str(), rest) {
        ("humanize", []) => Style::Humanize,
        ("humanizeBytes" | "humanize1024", []) => Style::Bytes,
        ("printf", [format]) if format.quoted => {
            return printf(format, numeric).map(Style::Printf);
        }
        ("printf", _) => {
            let hint = Some("write e.g. `printf \"%.1f\" $value`".to_owned());
            return Err(error(function.at, "`printf` takes a quoted format", hint));
        }
        (name, _) if FUNCTIONS.contains(&name) => {
            let message = format!("`{name}` takes one value");
            return Err(error(function.at, message, None));
        }
        (name, _) => {
            let hint = suggest::hint(name, &FUNCTIONS);
            return Err(error(
                function.at,
                format!("unknown function `{name}`"),
                hint,
            ));
        }
    };
    if !numeric {
        let message = format!("`{}` needs `$value`", function.text);
        return Err(error(function.at, message, None));
    }
    Ok(style)
}

/// A format with one verb; `numeric` tells whether the value is `$value` or text.
fn printf(format: &Word, numeric: bool) -> Result<Printf, TemplateError> {
    let bad = |message: &str| {
        let hint = Some("use one of `%f`, `%.1f`, `%d`, `%s`, `%v`; `%%` for a percent sign");
        error(format.at, message, hint.map(str::to_owned))
    };
    let text = format.text.as_str();
    let mut before = String::new();
    let mut rest = text;
    loop {
        let Some(i) = rest.find('%') else {
            return Err(bad("the format has no verb"));
        };
        before.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('%') {
            before.push('%');
            rest = after;
            continue;
        }
        break;
    }
    // Bounded here: Rust's formatter panics on a width over 65535, and a huge one would
    // take the memory of every alert it renders.
    let bounded = |digits: &str, max: usize, what: &str| match digits {
        "" => Ok(0),
        _ => match digits.parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(error(
                format.at,
                format!("{what} {digits} is over {max}"),
                Some(format!("use a {what} from 0 to {max}")),
            )),
        },
    };
    let width_len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let width = bounded(&rest[..width_len], MAX_WIDTH, "width")?;
    rest = &rest[width_len..];
    let mut precision = None;
    if let Some(after) = rest.strip_prefix('.') {
        let len = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        precision = Some(bounded(&after[..len], MAX_PRECISION, "precision")?);
        rest = &after[len..];
    }
    let verb = match rest.chars().next() {
        Some('f') => Verb::Float(precision.unwrap_or(6)),
        Some('d') if precision.is_none() => Verb::Int,
        Some('s' | 'v') if precision.is_none() => Verb::Plain,
        _ => return Err(bad(&format!("unsupported format `{text}`"))),
    };
    if !numeric && !matches!(verb, Verb::Plain) {
        return Err(bad("a label is text: format it with `%s`"));
    }
    let after = &rest[1..];
    if after.replace("%%", "").contains('%') {
        return Err(bad("`printf` formats one value"));
    }
    let after = after.replace("%%", "%");
    Ok(Printf {
        before,
        verb,
        width,
        after,
    })
}

fn render_value(out: &mut String, value: f64, style: &Style) {
    match style {
        Style::Plain => out.push_str(&compact(value)),
        Style::Humanize => out.push_str(&humanize(value)),
        Style::Bytes => out.push_str(&format::bytes(value)),
        Style::Printf(p) => {
            out.push_str(&p.before);
            // Writing to a String cannot fail.
            let _ = match p.verb {
                Verb::Float(precision) => write!(out, "{value:>w$.precision$}", w = p.width),
                Verb::Int => write!(out, "{:>w$.0}", value.round() + 0.0, w = p.width),
                Verb::Plain => write!(out, "{:>w$}", compact(value), w = p.width),
            };
            out.push_str(&p.after);
        }
    }
}

/// Only `printf "%s"` applies to text; other styles were rejected at parse time.
fn render_text(out: &mut String, text: &str, style: &Style) {
    match style {
        Style::Printf(p) => {
            out.push_str(&p.before);
            let _ = write!(out, "{text:>w$}", w = p.width);
            out.push_str(&p.after);
        }
        Style::Plain | Style::Humanize | Style::Bytes => out.push_str(text),
    }
}

/// Cuts `out` to at most [`MAX_RENDERED`] bytes (on a character boundary), ending in `…`.
fn cut(out: &mut String) {
    if out.len() <= MAX_RENDERED {
        return;
    }
    let mut end = MAX_RENDERED - '…'.len_utf8();
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    out.truncate(end);
    out.push('…');
}

/// `81`, `81.5`, `81.46`: integers without decimals, others with at most two.
pub fn compact(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    // `+ 0.0` turns -0 into 0.
    let text = format!("{:.2}", value + 0.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0" } else { text }.to_owned()
}

/// `999`, `1.23k`, `45.6M`, `7.89G` (powers of 1000).
pub fn humanize(value: f64) -> String {
    const PREFIXES: [&str; 6] = ["", "k", "M", "G", "T", "P"];
    let mut scaled = value;
    let mut prefix = 0;
    while scaled.abs() >= 1000.0 && prefix < PREFIXES.len() - 1 {
        scaled /= 1000.0;
        prefix += 1;
    }
    format!("{}{}", compact(scaled), PREFIXES[prefix])
}

#[cfg(test)]
mod tests;
