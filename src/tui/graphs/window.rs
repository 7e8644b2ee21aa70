//! How far back the charts look.

/// How far back the charts look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeWindow {
    M1,
    #[default]
    M5,
    H1,
    H24,
}

impl TimeWindow {
    pub const ALL: [Self; 4] = [Self::M1, Self::M5, Self::H1, Self::H24];

    pub fn secs(self) -> u64 {
        match self {
            Self::M1 => 60,
            Self::M5 => 300,
            Self::H1 => 3600,
            Self::H24 => 86_400,
        }
    }

    /// `1m`, `5m`, `1h`, `24h`.
    pub fn label(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M5 => "5m",
            Self::H1 => "1h",
            Self::H24 => "24h",
        }
    }

    /// The label of the time axis' left end.
    pub fn ago(self) -> &'static str {
        match self {
            Self::M1 => "-1m",
            Self::M5 => "-5m",
            Self::H1 => "-1h",
            Self::H24 => "-24h",
        }
    }

    /// `1m`, `5m`, `1h`, `24h` (also `60s`, `60m`, `1d`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1m" | "60s" => Some(Self::M1),
            "5m" => Some(Self::M5),
            "1h" | "60m" => Some(Self::H1),
            "24h" | "1d" => Some(Self::H24),
            _ => None,
        }
    }

    /// The next longer window, back to the shortest after the longest.
    pub fn next(self) -> Self {
        match self {
            Self::M1 => Self::M5,
            Self::M5 => Self::H1,
            Self::H1 => Self::H24,
            Self::H24 => Self::M1,
        }
    }

    /// Whether the window is longer than what memory keeps: its charts read history.
    pub fn uses_history(self) -> bool {
        matches!(self, Self::H1 | Self::H24)
    }

    /// How old shown history may get before it is asked for again.
    pub(super) fn refresh_ms(self) -> u64 {
        match self {
            Self::H1 => 30_000,
            Self::H24 => 300_000,
            Self::M1 | Self::M5 => u64::MAX,
        }
    }
}
