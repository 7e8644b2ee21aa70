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

/// Letters a level word starts with, either case: most words are rejected on this.
static STARTS: [bool; 256] = {
    let mut table = [false; 256];
    let letters = b"tdinwescfpTDINWESCFP";
    let mut i = 0;
    while i < letters.len() {
        table[letters[i] as usize] = true;
        i += 1;
    }
    table
};

/// A word of up to 8 bytes as one number, to compare it with each level word at once.
const fn pack(word: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let mut i = 0;
    while i < word.len() {
        bytes[i] = word[i];
        i += 1;
    }
    u64::from_le_bytes(bytes)
}

const TRACE: u64 = pack(b"trace");
const DEBUG: u64 = pack(b"debug");
const INFO: u64 = pack(b"info");
const NOTICE: u64 = pack(b"notice");
const WARN: u64 = pack(b"warn");
const WARNING: u64 = pack(b"warning");
const ERROR: u64 = pack(b"error");
const ERR: u64 = pack(b"err");
const SEVERE: u64 = pack(b"severe");
const FATAL: u64 = pack(b"fatal");
const CRITICAL: u64 = pack(b"critical");
const CRIT: u64 = pack(b"crit");
const PANIC: u64 = pack(b"panic");

/// The level a level word names, any case (`warning`, `ERR`, `Severe`).
fn name_level(word: &[u8]) -> Option<Level> {
    if !(3..=8).contains(&word.len()) || !STARTS[usize::from(word[0])] {
        return None;
    }
    // Setting bit 5 lower-cases letters and turns no other byte into a letter.
    let case = u64::MAX >> (8 * (8 - word.len()));
    Some(match pack(word) | (0x2020_2020_2020_2020 & case) {
        TRACE => Level::Trace,
        DEBUG => Level::Debug,
        INFO | NOTICE => Level::Info,
        WARN | WARNING => Level::Warn,
        ERROR | ERR | SEVERE => Level::Error,
        FATAL | CRITICAL | CRIT | PANIC => Level::Fatal,
        _ => return None,
    })
}

/// The first level word, found 32 bytes at a time: bit masks of word bytes and of letters
/// a level word may start with give the candidate word starts without a branch per byte
/// (word boundaries are too irregular for the branch predictor). Blocks of 32, not 64: the
/// level word usually starts within the first 32 bytes (after an ISO time it is at 28), and
/// the bytes after it need no masks.
fn first_word_level(text: &[u8]) -> Option<Level> {
    let mut after_word = 0;
    for (n, block) in text.chunks(32).enumerate() {
        let (mut word, mut starts) = (0u32, 0u32);
        for (i, &b) in block.iter().enumerate() {
            word |= u32::from(WORD[usize::from(b)]) << i;
            starts |= u32::from(STARTS[usize::from(b)]) << i;
        }
        let mut candidates = starts & !((word << 1) | after_word);
        while candidates != 0 {
            let start = n * 32 + candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            // One byte past the longest level word: enough to reject a longer word.
            let len = text[start..]
                .iter()
                .take(9)
                .take_while(|&&b| WORD[usize::from(b)])
                .count();
            if let Some(level) = name_level(&text[start..start + len]) {
                return Some(level);
            }
        }
        after_word = word >> 31;
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
