//! Durations as people type them: "10 minutes", "2h", "an hour", "过去十分钟", "两小时".

use regex::Regex;
use std::sync::LazyLock;

static ENGLISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)\b(\d+|an?|one|last|past|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty-five|half\ an?)
          \s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\b",
    )
    .expect("static regex")
});

static CHINESE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([0-9]+|[零一二两三四五六七八九十半]+)\s*个?\s*(秒钟?|分钟|分|小时|钟头|天)")
        .expect("static regex")
});

/// The first duration in `text`, in seconds.
pub fn find(text: &str) -> Option<u64> {
    let english = ENGLISH.captures(text).and_then(|c| {
        let n = english_number(&c[1])?;
        Some((c.get(0)?.start(), (n * english_unit(&c[2]) as f64) as u64))
    });
    let chinese = CHINESE.captures(text).and_then(|c| {
        let n = chinese_number(&c[1])?;
        Some((c.get(0)?.start(), (n * chinese_unit(&c[2]) as f64) as u64))
    });
    match (english, chinese) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a.1 } else { b.1 }),
        (a, b) => a.or(b).map(|(_, secs)| secs),
    }
    .filter(|secs| *secs > 0)
}

/// `2h`, `10m`, `90s`: the form `uc` itself accepts.
pub fn short(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn english_number(word: &str) -> Option<f64> {
    let n = match word {
        "a" | "an" | "one" | "last" | "past" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        "ten" => 10.0,
        "twelve" => 12.0,
        "fifteen" => 15.0,
        "twenty" => 20.0,
        "thirty" => 30.0,
        "forty-five" => 45.0,
        w if w.starts_with("half") => 0.5,
        w => w.parse().ok()?,
    };
    Some(n)
}

fn english_unit(unit: &str) -> u64 {
    match unit.as_bytes().first() {
        Some(b's') => 1,
        Some(b'm') => 60,
        Some(b'h') => 3600,
        _ => 86_400,
    }
}

/// 十 = 10, 十五 = 15, 二十 = 20, 两 = 2, 半 = ½.
fn chinese_number(word: &str) -> Option<f64> {
    if let Ok(n) = word.parse::<f64>() {
        return Some(n);
    }
    if word == "半" {
        return Some(0.5);
    }
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .or((c == '两').then_some(2))
    };
    let mut total = 0usize;
    let mut current = 0usize;
    for c in word.chars() {
        if c == '十' {
            total += current.max(1) * 10;
            current = 0;
        } else {
            current = digit(c)?;
        }
    }
    Some((total + current) as f64)
}

fn chinese_unit(unit: &str) -> u64 {
    match unit.chars().next() {
        Some('秒') => 1,
        Some('分') => 60,
        Some('天') => 86_400,
        _ => 3600,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_short_forms() {
        assert_eq!(find("in the last 10 minutes"), Some(600));
        assert_eq!(find("for 2h"), Some(7200));
        assert_eq!(find("for an hour"), Some(3600));
        assert_eq!(find("half an hour"), Some(1800));
        assert_eq!(find("过去十分钟"), Some(600));
        assert_eq!(find("两小时"), Some(7200));
        assert_eq!(find("最近二十分钟"), Some(1200));
        assert_eq!(find("半小时"), Some(1800));
        assert_eq!(find("restart api"), None);
        assert_eq!(short(7200), "2h");
        assert_eq!(short(600), "10m");
    }
}
