//! A line's time from the stamp near its start, in the formats services and the usual
//! daemons write.

mod civil;
mod cursor;

use civil::Civil;
use cursor::Cursor;

/// A stamp must start this far into the line at most (BGL's starts at byte 43).
const HEAD: usize = 64;

pub fn timestamp(line: &[u8], now_ms: u64) -> Option<u64> {
    let first = line
        .iter()
        .position(|&b| b != b'[' && !b.is_ascii_whitespace())?;
    if let Some(at) = at_line_start(&line[first..], now_ms) {
        return at;
    }
    for i in first..line.len().min(HEAD) {
        if i > 0 && line[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let text = &line[i..];
        let found = match line[i] {
            b'0'..=b'9' => dated(text).or_else(|| {
                let bracketed = i > 0 && line[i - 1] == b'[';
                bracketed.then(|| proxifier(text, now_ms)).flatten()
            }),
            b'A'..=b'Z' | b'a'..=b'z' => syslog(text, now_ms),
            _ => None,
        };
        if let Some(civil) = found {
            return civil.unix_ms();
        }
    }
    None
}

/// Formats only recognised where the line starts: bare numbers and glog's letter prefix
/// are too easily mistaken elsewhere. `Some(None)`: a stamp that is no valid time.
fn at_line_start(text: &[u8], now_ms: u64) -> Option<Option<u64>> {
    if let Some(at) = epoch(text) {
        return Some(Some(at));
    }
    let civil = hdfs(text).or_else(|| glog(text, now_ms))?;
    Some(civil.unix_ms())
}

/// Stamps with a year: ISO 8601 / RFC 3339 and its relatives (`2015-10-18 18:01:47,978`,
/// BGL's `2005-06-03-15.42.50.675872`), HealthApp's `20171223-22:15:29:606`, the common log
/// format's `10/Oct/2000:13:55:36 -0700` and RFC 2822's `04 Dec 2005 04:47:44`.
fn dated(text: &[u8]) -> Option<Civil> {
    iso(text)
        .or_else(|| compact(text))
        .or_else(|| day_month_year(text))
}

fn iso(text: &[u8]) -> Option<Civil> {
    let mut c = Cursor::new(text);
    let year = c.num(4)?;
    let sep = c.byte(b"-/.")?;
    let month = c.num(2)?;
    c.expect(sep)?;
    let day = c.num(2)?;
    c.byte(b"T t-_")?;
    let hour = c.num(2)?;
    let sep = c.byte(b":.")?;
    let minute = c.num(2)?;
    c.expect(sep)?;
    let second = c.num(2)?;
    Some(zoned(&mut c, year, month, day, (hour, minute, second)))
}

/// `20171223-22:15:29:606` (HealthApp) and `20240501T100000Z`.
fn compact(text: &[u8]) -> Option<Civil> {
    let mut c = Cursor::new(text);
    let year = c.num(4)?;
    let month = c.num(2)?;
    let day = c.num(2)?;
    let (hour, minute, second) = if c.byte(b"T- ")? == b'T' {
        (c.num(2)?, c.num(2)?, c.num(2)?)
    } else {
        c.clock()?
    };
    Some(zoned(&mut c, year, month, day, (hour, minute, second)))
}

/// `10/Oct/2000:13:55:36 -0700` and `04 Dec 2005 04:47:44 GMT`.
fn day_month_year(text: &[u8]) -> Option<Civil> {
    let mut c = Cursor::new(text);
    let day = c.num_upto(2)?;
    let sep = c.byte(b"/ -")?;
    let month = c.month()?;
    c.expect(sep)?;
    let year = c.num(4)?;
    c.byte(if sep == b'/' { b":" } else { b" " })?;
    let (hour, minute, second) = c.clock()?;
    Some(zoned(&mut c, year, month, day, (hour, minute, second)))
}

/// A stamp with its year, read up to its seconds: the fraction and the zone that may follow.
fn zoned(c: &mut Cursor, year: u32, month: u32, day: u32, clock: (u32, u32, u32)) -> Civil {
    let (hour, minute, second) = clock;
    let ms = c.fraction_ms();
    Civil {
        offset_ms: c.zone(),
        ..Civil::at_year(i64::from(year), month, day, (hour, minute, second, ms))
    }
}

/// Proxifier's `[10.30 16:49:06]`: month and day, no year.
fn proxifier(text: &[u8], now_ms: u64) -> Option<Civil> {
    let mut c = Cursor::new(text);
    let month = c.num(2)?;
    c.expect(b'.')?;
    let day = c.num(2)?;
    c.expect(b' ')?;
    let (hour, minute, second) = c.clock()?;
    c.expect(b']')?;
    Some(Civil::this_year(
        now_ms,
        month,
        day,
        (hour, minute, second, 0),
    ))
}

/// `Jun 14 15:16:01` (syslog; the year comes from now) and `Dec 04 04:47:44 2005` (ctime,
/// Apache's error log, after the weekday).
fn syslog(text: &[u8], now_ms: u64) -> Option<Civil> {
    if text.get(3) != Some(&b' ') {
        return None;
    }
    let mut c = Cursor::new(text);
    let month = c.month()?;
    c.expect(b' ')?;
    if c.peek() == Some(b' ') {
        c.expect(b' ')?;
    }
    let day = c.num_upto(2)?;
    c.expect(b' ')?;
    let (hour, minute, second) = c.clock()?;
    let ms = c.fraction_ms();
    let clock = (hour, minute, second, ms);
    let mut civil = Civil::this_year(now_ms, month, day, clock);
    if let Some(year) = c.trailing_year() {
        civil = Civil::at_year(i64::from(year), month, day, clock);
    }
    Some(civil)
}

/// HDFS: `081109 203615`.
fn hdfs(text: &[u8]) -> Option<Civil> {
    let mut c = Cursor::new(text);
    let year = c.num(2)?;
    let month = c.num(2)?;
    let day = c.num(2)?;
    c.expect(b' ')?;
    let (hour, minute, second) = (c.num(2)?, c.num(2)?, c.num(2)?);
    c.end_of_number()?;
    let century = if year < 70 { 2000 } else { 1900 };
    Some(Civil::at_year(
        i64::from(century + year),
        month,
        day,
        (hour, minute, second, 0),
    ))
}

/// glog and klog: `I1125 10:00:00.123456` (no year).
fn glog(text: &[u8], now_ms: u64) -> Option<Civil> {
    let mut c = Cursor::new(text);
    c.byte(b"IWEF")?;
    let month = c.num(2)?;
    let day = c.num(2)?;
    c.expect(b' ')?;
    let (hour, minute, second) = c.clock()?;
    let ms = c.fraction_ms();
    Some(Civil::this_year(
        now_ms,
        month,
        day,
        (hour, minute, second, ms),
    ))
}

/// Unix seconds (`1717250000`, `1717250000.123`), milliseconds, micro- or nanoseconds.
fn epoch(text: &[u8]) -> Option<u64> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if text.first() == Some(&b'0') || text.get(digits).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let value = text[..digits.min(19)]
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    match digits {
        10 => {
            let mut c = Cursor::new(&text[digits..]);
            Some(value * 1000 + u64::from(c.fraction_ms()))
        }
        13 => Some(value),
        16 => Some(value / 1000),
        19 => Some(value / 1_000_000),
        _ => None,
    }
}
