//! A line's level from its first level word, a JSON level field, a glog letter or a syslog
//! priority.

use crate::logs::Level;

/// Level words are looked for this far into a line: past it, `error` is part of a message,
/// not a header.
const WORD_SCAN: usize = 512;

/// JSON loggers may put the level after a long message (structlog writes it last).
const JSON_SCAN: usize = 4096;

/// Keys a JSON logger names the level with, lower-case.
const JSON_KEYS: [&[u8]; 9] = [
    b"level",
    b"severity",
    b"lvl",
    b"loglevel",
    b"log.level",
    b"log_level",
    b"levelname",
    b"@l",
    b"@level",
];

/// Bytes that make up a word: `error` in `errorCode` or `ERR_DATA` is no level.
static WORD: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    table
};

pub fn level(line: &[u8]) -> Option<Level> {
    let head = &line[..line.len().min(JSON_SCAN)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let found = match head[start] {
        b'<' => syslog_priority(&head[start..]),
        b'{' => json_level(&head[start..]),
        b'I' | b'W' | b'E' | b'F' => glog_level(&head[start..]),
        _ => None,
    };
    found.or_else(|| first_word_level(&head[start..head.len().min(WORD_SCAN)]))
}

/// The level a level word names, any case (`warning`, `ERR`, `Severe`).
pub(super) fn name_level(word: &[u8]) -> Option<Level> {
    if !(3..=8).contains(&word.len()) {
        return None;
    }
    let mut lower = [0u8; 8];
    for (to, from) in lower.iter_mut().zip(word) {
        *to = from.to_ascii_lowercase();
    }
    Some(match &lower[..word.len()] {
        b"trace" => Level::Trace,
        b"debug" => Level::Debug,
        b"info" | b"notice" => Level::Info,
        b"warn" | b"warning" => Level::Warn,
        b"error" | b"err" | b"severe" => Level::Error,
        b"fatal" | b"critical" | b"crit" | b"panic" => Level::Fatal,
        _ => return None,
    })
}

fn first_word_level(text: &[u8]) -> Option<Level> {
    let mut i = 0;
    while i < text.len() {
        if !WORD[usize::from(text[i])] {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && WORD[usize::from(text[i])] {
            i += 1;
        }
        if let Some(level) = name_level(&text[start..i]) {
            return Some(level);
        }
    }
    None
}

/// `<3>` (kernel, systemd, RFC 5424): the severity is the priority modulo 8.
fn syslog_priority(text: &[u8]) -> Option<Level> {
    let end = text.iter().take(5).position(|&b| b == b'>')?;
    let digits = &text[1..end];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let priority = digits
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    Some(syslog_severity(priority % 8))
}

fn syslog_severity(severity: u32) -> Level {
    match severity {
        0..=2 => Level::Fatal,
        3 => Level::Error,
        4 => Level::Warn,
        5 | 6 => Level::Info,
        _ => Level::Debug,
    }
}

/// glog and klog: `E1125 10:00:00.123456 ...` (a letter, the month and day, a space).
fn glog_level(text: &[u8]) -> Option<Level> {
    let head = text.get(..6)?;
    if !head[1..5].iter().all(u8::is_ascii_digit) || head[5] != b' ' {
        return None;
    }
    let month = (head[1] - b'0') * 10 + (head[2] - b'0');
    if !(1..=12).contains(&month) {
        return None;
    }
    Some(match head[0] {
        b'I' => Level::Info,
        b'W' => Level::Warn,
        b'E' => Level::Error,
        _ => Level::Fatal,
    })
}

/// The value of the first level key of a JSON object: a name (`"warn"`) or a pino / bunyan
/// number (`30` is info).
fn json_level(text: &[u8]) -> Option<Level> {
    let mut rest = text;
    while let Some(open) = memchr::memchr(b'"', rest) {
        let after = &rest[open + 1..];
        let close = memchr::memchr(b'"', after)?;
        let key = &after[..close];
        rest = &after[close + 1..];
        let Some(value) = value_after_colon(rest) else {
            continue;
        };
        if JSON_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            return json_value_level(value);
        }
    }
    None
}

/// What follows `"key"` when it is a key: the text after the colon.
fn value_after_colon(text: &[u8]) -> Option<&[u8]> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    (text[start] == b':').then(|| text[start + 1..].trim_ascii_start())
}

fn json_value_level(value: &[u8]) -> Option<Level> {
    if let Some(quoted) = value.strip_prefix(b"\"") {
        let end = memchr::memchr(b'"', quoted)?;
        return name_level(quoted[..end].trim_ascii());
    }
    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let number = value[..digits]
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    // GELF writes syslog severities, pino and bunyan multiples of ten.
    Some(match number {
        0..=7 => syslog_severity(number),
        8..=14 => Level::Trace,
        15..=24 => Level::Debug,
        25..=34 => Level::Info,
        35..=44 => Level::Warn,
        45..=54 => Level::Error,
        _ => Level::Fatal,
    })
}
