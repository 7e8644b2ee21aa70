//! JSON lines and logfmt: the message is the `msg` value, followed by the fields that are
//! neither time nor level (`key=value`), so two events told apart only by a field stay apart.

use std::borrow::Cow;

use super::Field;

const MESSAGE_KEYS: [&str; 5] = ["msg", "message", "MESSAGE", "@m", "@mt"];
const TIME_KEYS: [&str; 7] = ["ts", "time", "timestamp", "@t", "@timestamp", "t", "date"];
const LEVEL_KEYS: [&str; 7] = [
    "level",
    "lvl",
    "severity",
    "loglevel",
    "log_level",
    "levelname",
    "@l",
];

fn role(key: &str) -> Option<Field> {
    if TIME_KEYS.contains(&key) {
        Some(Field::Time)
    } else if LEVEL_KEYS.contains(&key) {
        Some(Field::Level)
    } else {
        None
    }
}

pub fn is_json(line: &str) -> bool {
    let line = line.trim();
    line.starts_with('{') && line.ends_with('}')
}

fn json_pairs(line: &str) -> Option<Vec<(String, String)>> {
    let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).ok()?;
    Some(
        value
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect(),
    )
}

pub fn json_message(line: &str) -> Option<String> {
    message(json_pairs(line)?)
}

pub fn json_fields(line: &str) -> Vec<(Field, Cow<'static, str>)> {
    fields(json_pairs(line).unwrap_or_default())
}

/// The line opens with a `key=value` pair and one pair is the message.
pub fn is_logfmt(line: &str) -> bool {
    let pairs = logfmt_pairs(line);
    let opens = pairs
        .first()
        .is_some_and(|(k, _)| !k.is_empty() && line.starts_with(&format!("{k}=")));
    opens
        && pairs
            .iter()
            .any(|(k, _)| MESSAGE_KEYS.contains(&k.as_str()))
}

/// `key=value` and `key="quoted value"` pairs, in order.
fn logfmt_pairs(line: &str) -> Vec<(String, String)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        while at < bytes.len() && bytes[at] == b' ' {
            at += 1;
        }
        let key_start = at;
        while at < bytes.len() && !matches!(bytes[at], b'=' | b' ') {
            at += 1;
        }
        if bytes.get(at) != Some(&b'=') {
            continue;
        }
        let key = line[key_start..at].to_owned();
        at += 1;
        let value = if bytes.get(at) == Some(&b'"') {
            quoted(line, &mut at)
        } else {
            let start = at;
            while at < bytes.len() && bytes[at] != b' ' {
                at += 1;
            }
            line[start..at].to_owned()
        };
        out.push((key, value));
    }
    out
}

/// A `"..."` value from `at` (its opening quote), unescaped; `at` ends past its close.
fn quoted(line: &str, at: &mut usize) -> String {
    let mut value = String::new();
    let mut chars = line[*at + 1..].char_indices();
    let mut end = line.len();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.extend(chars.next().map(|(_, c)| c)),
            '"' => {
                end = *at + 1 + i + 1;
                break;
            }
            c => value.push(c),
        }
    }
    *at = end;
    value
}

pub fn logfmt_message(line: &str) -> Option<String> {
    message(logfmt_pairs(line))
}

pub fn logfmt_fields(line: &str) -> Vec<(Field, Cow<'static, str>)> {
    fields(logfmt_pairs(line))
}

fn message(pairs: Vec<(String, String)>) -> Option<String> {
    let text = pairs
        .iter()
        .find(|(k, _)| MESSAGE_KEYS.contains(&k.as_str()))?
        .1
        .clone();
    let rest: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| role(k).is_none() && !MESSAGE_KEYS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    Some(if rest.is_empty() {
        text
    } else {
        format!("{text} {}", rest.join(" "))
    })
}

fn fields(pairs: Vec<(String, String)>) -> Vec<(Field, Cow<'static, str>)> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| role(&k).map(|f| (f, Cow::Owned(v))))
        .collect()
}
