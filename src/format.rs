//! How the TUI and the CLI write numbers for people: durations, ages, sizes, rates,
//! percentages, counts and clock times. Plain functions of plain values, below every other
//! module, so a frontend never borrows them from another's internals.

/// The widest a log line's own field column grows; a longer value is cut.
const FIELD_MAX: usize = 24;

/// Widths of a log's own field columns (host, process, pid, thread, component), grown as
/// lines are seen, so the values line up as in lnav.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldColumns([usize; 5]);

impl FieldColumns {
    pub fn fit(&mut self, fields: &[&str; 5]) {
        for (width, field) in self.0.iter_mut().zip(fields) {
            *width = (*width).max(field.chars().count().min(FIELD_MAX));
        }
    }

    /// `fields` padded to the columns, each followed by a space; a column no line had
    /// takes no room.
    pub fn render(&self, fields: &[&str; 5]) -> String {
        let mut out = String::new();
        for (&width, field) in self.0.iter().zip(fields) {
            if width == 0 {
                continue;
            }
            let cut: String = field.chars().take(width).collect();
            out.push_str(&format!("{cut:<width$} "));
        }
        out
    }
}

/// Counts as bars scaled to the largest (a zero is blank): a rate's recent history.
pub fn sparkline(counts: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = u64::from(counts.iter().copied().max().unwrap_or(0)).max(1);
    counts
        .iter()
        .map(|&n| match u64::from(n) {
            0 => ' ',
            n => BARS[((n * 8).div_ceil(max) as usize).clamp(1, 8) - 1],
        })
        .collect()
}

/// A duration in the two most significant units: `45s`, `3m12s`, `2h05m`, `3d04h`.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m{s:02}s"),
        (0, _, _) => format!("{h}h{m:02}m"),
        _ => format!("{d}d{h:02}h"),
    }
}

/// `1 thread`, `7 threads`: a count and its noun, plural when it is not one.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// How long ago `at_ms` was at `now_ms`: `now`, `12s ago`, `3m05s ago`.
pub fn age(at_ms: u64, now_ms: u64) -> String {
    match now_ms.saturating_sub(at_ms) / 1000 {
        0 => "now".to_string(),
        secs => format!("{} ago", duration(secs)),
    }
}

/// How long until `at_ms`: `1h55m`, or `0s` once past.
pub fn remaining(at_ms: u64, now_ms: u64) -> String {
    duration(at_ms.saturating_sub(now_ms) / 1000)
}

/// A probe's latency: `850µs`, `3.2ms`, `42ms`, `1.5s`.
pub fn latency(us: u64) -> String {
    match us {
        0..1_000 => format!("{us}µs"),
        1_000..10_000 => format!("{:.1}ms", us as f64 / 1e3),
        10_000..1_000_000 => format!("{}ms", us / 1_000),
        _ => format!("{:.1}s", us as f64 / 1e6),
    }
}

/// `512B`, `12.3K`, `45.6M`, `123M`, `1.2G` (powers of 1024).
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["B", "K", "M", "G", "T", "P"];
    let mut value = n.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{value:.0}B"),
        _ if value < 99.95 => format!("{value:.1}{}", UNITS[unit]),
        _ => format!("{value:.0}{}", UNITS[unit]),
    }
}

/// A byte rate: `1.2M/s`.
pub fn rate(bytes_per_sec: f64) -> String {
    format!("{}/s", bytes(bytes_per_sec))
}

/// A percentage: `12.3%`, `150%` (one decimal below 100).
pub fn percent(pct: f64) -> String {
    if pct < 99.95 {
        format!("{:.1}%", pct.max(0.0))
    } else {
        format!("{pct:.0}%")
    }
}

/// The last `count` characters of `text`, without copying.
pub fn tail(text: &str, count: usize) -> &str {
    match text.char_indices().rev().nth(count.saturating_sub(1)) {
        Some(_) if count == 0 => "",
        Some((i, _)) => &text[i..],
        None => text,
    }
}

/// `HH:MM:SS.mmm` in UTC: log lines from many sources line up by time, in the TUI and the
/// CLI alike (no time zone database needed).
pub fn clock_ms(at_ms: u64) -> String {
    let secs = at_ms / 1000 % 86_400;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    format!("{h:02}:{m:02}:{s:02}.{:03}", at_ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(192), "3m12s");
        assert_eq!(duration(2 * 3600 + 5 * 60 + 9), "2h05m");
        assert_eq!(duration(3 * 86_400 + 4 * 3600 + 59), "3d04h");
        assert_eq!(age(1_000, 1_500), "now");
        assert_eq!(age(1_000, 13_000), "12s ago");
        assert_eq!(remaining(7_200_000, 1_000), "1h59m");
        assert_eq!(remaining(1_000, 7_200_000), "0s");
    }

    #[test]
    fn latencies() {
        assert_eq!(latency(850), "850µs");
        assert_eq!(latency(3_240), "3.2ms");
        assert_eq!(latency(42_700), "42ms");
        assert_eq!(latency(1_500_000), "1.5s");
    }

    #[test]
    fn sizes_rates_and_percents() {
        assert_eq!(bytes(0.0), "0B");
        assert_eq!(bytes(512.0), "512B");
        assert_eq!(bytes(1536.0), "1.5K");
        assert_eq!(bytes(12.3 * 1024.0 * 1024.0), "12.3M");
        assert_eq!(bytes(45.6 * 1024.0 * 1024.0), "45.6M");
        assert_eq!(bytes(512.0 * 1024.0 * 1024.0), "512M");
        assert_eq!(bytes(1.2 * 1024.0 * 1024.0 * 1024.0), "1.2G");
        assert_eq!(bytes(12_595.0), "12.3K");
        assert_eq!(bytes(150.0 * 1024.0 * 1024.0), "150M");
        assert_eq!(rate(2048.0), "2.0K/s");
        assert_eq!(percent(12.34), "12.3%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(150.2), "150%");
        assert_eq!(tail("▁▂▃▄", 2), "▃▄");
        assert_eq!(tail("▁▂", 5), "▁▂");
        assert_eq!(tail("abc", 0), "");
    }
}
