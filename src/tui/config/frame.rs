//! The colour that marks the active environment: its `theme` (a colour name, an index or
//! `#rrggbb`), red for a production environment without one. The header takes it, so
//! nobody mistakes prod for staging.

use std::str::FromStr;

use ratatui::style::Color;

use crate::protocol::ConfigStatus;
use crate::tui::theme::Theme;

/// The active environment's colour; `None` leaves the theme's own header.
pub fn environment_colour(
    status: &ConfigStatus,
    active: Option<&str>,
    theme: &Theme,
) -> Option<Color> {
    let name = active?;
    let named = status.environment(name).and_then(|e| e.theme.as_deref());
    match named {
        Some(spec) => Some(Color::from_str(spec.trim()).unwrap_or_else(|_| fallback(name, theme))),
        None if is_production(name) => Some(Color::Red),
        None => None,
    }
}

/// `prod` and `production` are red unless their theme says otherwise.
pub fn is_production(name: &str) -> bool {
    matches!(name.to_ascii_lowercase().as_str(), "prod" | "production")
}

/// An unknown colour name still marks the environment: red for production, else the
/// theme's accent.
fn fallback(name: &str, theme: &Theme) -> Color {
    if is_production(name) {
        Color::Red
    } else {
        theme.accent
    }
}

/// Black or white, whichever reads on `background`.
pub fn contrast(background: Color) -> Color {
    let light = match background {
        Color::Rgb(r, g, b) => {
            u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114 > 150_000
        }
        Color::Yellow
        | Color::Green
        | Color::Cyan
        | Color::White
        | Color::Gray
        | Color::LightRed
        | Color::LightGreen
        | Color::LightYellow
        | Color::LightBlue
        | Color::LightMagenta
        | Color::LightCyan => true,
        _ => false,
    };
    if light { Color::Black } else { Color::White }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::EnvironmentInfo;

    fn status(theme: Option<&str>) -> ConfigStatus {
        let env = |name: &str, theme: Option<&str>| EnvironmentInfo {
            name: name.into(),
            theme: theme.map(String::from),
            confirm: false,
        };
        ConfigStatus {
            environments: vec![env("dev", None), env("staging", theme), env("prod", None)],
            ..ConfigStatus::default()
        }
    }

    #[test]
    fn colours_come_from_the_theme_or_the_name() {
        let theme = Theme::default();
        let colour = |status: &ConfigStatus, env| environment_colour(status, Some(env), &theme);
        assert_eq!(
            colour(&status(Some("yellow")), "staging"),
            Some(Color::Yellow)
        );
        assert_eq!(
            colour(&status(Some("#102030")), "staging"),
            Some(Color::Rgb(16, 32, 48))
        );
        assert_eq!(
            colour(&status(Some("no-such")), "staging"),
            Some(theme.accent)
        );
        assert_eq!(colour(&status(None), "prod"), Some(Color::Red));
        assert_eq!(colour(&status(None), "dev"), None);
        assert_eq!(environment_colour(&status(None), None, &theme), None);
        assert_eq!(contrast(Color::Yellow), Color::Black);
        assert_eq!(contrast(Color::Red), Color::White);
    }
}
