//! The ratatui frontend: a pure function of its state, fed by an [`EngineLink`].

pub mod link;

pub use link::{EngineLink, Request, Update};

/// `45s`, `3m12s`, `2h05m`, `3d04h`.
pub fn format_uptime(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}
