//! The one duration grammar of `uc`: the config files, every command-line flag and every
//! TUI prompt read durations with [`parse`], and refuse them with the same words.
//!
//! ```text
//! duration := number                  a number of seconds: 15, 1.5, 0.25
//!           | (number unit)+          250ms, 10s, 5m, 1.5h, 1h30m, 1m 30s, 2d, 1w
//! number   := digits [. digits]
//! unit     := ms | s | m | h | d | w  (or sec, min, hour, day, week, with or without s)
//! ```
//! Never negative; spaces between the parts are allowed.

use std::time::Duration;

/// What every refused duration is told, after "invalid duration `TEXT`".
pub const HINT: &str = "e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds";

const UNITS: [(&[&str], f64); 6] = [
    (
        &["ms", "msec", "msecs", "millisecond", "milliseconds"],
        0.001,
    ),
    (&["s", "sec", "secs", "second", "seconds"], 1.0),
    (&["m", "min", "mins", "minute", "minutes"], 60.0),
    (&["h", "hr", "hrs", "hour", "hours"], 3600.0),
    (&["d", "day", "days"], 86_400.0),
    (&["w", "week", "weeks"], 604_800.0),
];

/// `None` when `text` is not a duration of this grammar (or too long to hold).
pub fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(seconds) = number(text) {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let mut rest = text;
    let mut seconds = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let value = number(&rest[..digits])?;
        let after = rest[digits..].trim_start();
        let letters = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (_, scale) = UNITS
            .iter()
            .find(|(names, _)| names.contains(&&after[..letters]))?;
        seconds += value * scale;
        rest = after[letters..].trim_start();
    }
    if text.is_empty() {
        return None;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

/// A duration in the same grammar, for people: `1d`, `2h 30m`, `1m 30s`, `250ms`, `0s`
/// (what [`parse`] reads back; never `1day` or `1.5h`).
pub fn format(d: Duration) -> String {
    let mut parts = Vec::new();
    let mut secs = d.as_secs();
    for (unit, size) in [
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3600),
        ("m", 60),
        ("s", 1),
    ] {
        if secs >= size {
            parts.push(format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    let ms = d.subsec_millis();
    if ms > 0 {
        parts.push(format!("{ms}ms"));
    }
    if parts.is_empty() {
        return "0s".to_owned();
    }
    parts.join(" ")
}

/// `15`, `1.5`: digits with at most one point between digits.
fn number(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_units() {
        let ms = Duration::from_millis;
        for (text, expected) in [
            ("15", ms(15_000)),
            ("1.5", ms(1_500)),
            ("0", ms(0)),
            ("0.25", ms(250)),
            ("250ms", ms(250)),
            ("10s", ms(10_000)),
            ("5m", ms(300_000)),
            ("1.5h", ms(5_400_000)),
            ("1h30m", ms(5_400_000)),
            ("1m 30s", ms(90_000)),
            (" 2 minutes ", ms(120_000)),
            ("1d", ms(86_400_000)),
            ("1w", ms(604_800_000)),
        ] {
            assert_eq!(parse(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn formats_read_back() {
        let ms = Duration::from_millis;
        for (d, text) in [
            (ms(86_400_000), "1d"),
            (ms(9_000_000), "2h 30m"),
            (ms(90_000), "1m 30s"),
            (ms(250), "250ms"),
            (ms(0), "0s"),
            (ms(1_209_600_000 + 3_600_000), "2w 1h"),
        ] {
            assert_eq!(format(d), text);
            assert_eq!(parse(text), Some(d), "{text}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        for text in [
            "",
            " ",
            "-5m",
            "-1",
            "+5",
            "5x",
            "m",
            "1.",
            ".5",
            "1..2",
            "5M",
            "1h-",
            "1 h x",
            "1e3",
            "inf",
            "NaN",
            "99999999999999999999w",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
