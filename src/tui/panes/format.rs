//! Human formats shared by panes.

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

/// How long ago `at_ms` was at `now_ms`: `now`, `12s ago`, `3m05s ago`.
pub fn age(at_ms: u64, now_ms: u64) -> String {
    match now_ms.saturating_sub(at_ms) / 1000 {
        0 => "now".to_string(),
        secs => format!("{} ago", duration(secs)),
    }
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
    }
}
