//! Key presses and the way keymap files spell them: `q`, `G`, `enter`, `ctrl-c`, `pgup`, `?`,
//! `space`, and sequences of presses separated by spaces (`g g`).

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Why a keymap file's key does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("unknown key `{token}` (did you mean `{name}`?)")]
    Typo { token: String, name: &'static str },
    #[error("unknown key `{0}`: use a character, a name like `enter` or `pgup`, or `ctrl-x`")]
    Unknown(String),
    #[error("empty key")]
    Empty,
    #[error("key sequence `{0}` is longer than {max} presses", max = KeySeq::MAX_LEN)]
    TooLong(String),
}

/// One key press, normalised so that a spec and a terminal event compare equal: `G` is
/// `Char('G')` without SHIFT, whatever the terminal reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

/// Named keys; the first name of a code is the one shown to users.
const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("space", KeyCode::Char(' ')),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pageup", KeyCode::PageUp),
    ("pgdown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
    ("pagedown", KeyCode::PageDown),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
];

const MODIFIERS: &[(&str, KeyModifiers)] = &[
    ("ctrl-", KeyModifiers::CONTROL),
    ("alt-", KeyModifiers::ALT),
    ("shift-", KeyModifiers::SHIFT),
];

impl KeyPress {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Self {
        let mut press = Self { code, modifiers };
        if let KeyCode::Char(c) = code {
            if modifiers.contains(KeyModifiers::SHIFT) {
                press.code = KeyCode::Char(c.to_uppercase().next().unwrap_or(c));
            }
            press.modifiers.remove(KeyModifiers::SHIFT);
        }
        if code == KeyCode::BackTab {
            press.modifiers.remove(KeyModifiers::SHIFT);
        }
        press.modifiers &= KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT;
        press
    }

    /// A plain key without modifiers.
    pub fn plain(code: KeyCode) -> Self {
        Self::new(code, KeyModifiers::NONE)
    }

    pub fn from_event(event: &KeyEvent) -> Self {
        Self::new(event.code, event.modifiers)
    }

    /// Parse one press: `q`, `ctrl-c`, `enter`, `f5`.
    pub fn parse(token: &str) -> Result<Self, KeyError> {
        let mut rest = token;
        let mut modifiers = KeyModifiers::NONE;
        'strip: loop {
            for (prefix, modifier) in MODIFIERS {
                if let Some(tail) = strip_prefix_ignore_case(rest, prefix)
                    && !tail.is_empty()
                {
                    modifiers |= *modifier;
                    rest = tail;
                    continue 'strip;
                }
            }
            break;
        }
        parse_code(rest)
            .map(|code| Self::new(code, modifiers))
            .ok_or_else(|| unknown_key(token))
    }

    /// The character a printable press types, if it is one.
    pub fn typed_char(self) -> Option<char> {
        match self.code {
            KeyCode::Char(c)
                if !self
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(c)
            }
            _ => None,
        }
    }

    /// Short form for the footer: `⏎`, `↑`, `?`, `ctrl-c`.
    pub fn symbol(self) -> String {
        let base = match self.code {
            KeyCode::Enter => "⏎".to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            _ => return self.to_string(),
        };
        format!("{}{base}", modifier_prefix(self.modifiers))
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn parse_code(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
        return Some(*code);
    }
    let number = lower.strip_prefix('f')?.parse::<u8>().ok()?;
    (1..=24).contains(&number).then_some(KeyCode::F(number))
}

fn unknown_key(token: &str) -> KeyError {
    let lower = token.to_ascii_lowercase();
    let best = NAMED
        .iter()
        .map(|(n, _)| (*n, strsim::levenshtein(n, &lower)))
        .min_by_key(|(_, d)| *d)
        .filter(|(_, d)| *d <= 2);
    match best {
        Some((name, _)) => KeyError::Typo {
            token: token.to_string(),
            name,
        },
        None => KeyError::Unknown(token.to_string()),
    }
}

fn modifier_prefix(modifiers: KeyModifiers) -> String {
    MODIFIERS
        .iter()
        .filter(|(_, m)| modifiers.contains(*m))
        .map(|(p, _)| *p)
        .collect()
}

impl fmt::Display for KeyPress {
    /// The canonical spec, which parses back to the same press.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&modifier_prefix(self.modifiers))?;
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{code:?}"),
            },
        }
    }
}

/// One or more presses that together trigger an action (`g g`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeySeq(pub Vec<KeyPress>);

impl KeySeq {
    /// The longest sequence a keymap may bind.
    pub const MAX_LEN: usize = 4;

    pub fn parse(spec: &str) -> Result<Self, KeyError> {
        let presses = spec
            .split_whitespace()
            .map(KeyPress::parse)
            .collect::<Result<Vec<_>, _>>()?;
        match presses.len() {
            0 => Err(KeyError::Empty),
            n if n > Self::MAX_LEN => Err(KeyError::TooLong(spec.to_string())),
            _ => Ok(Self(presses)),
        }
    }

    pub fn presses(&self) -> &[KeyPress] {
        &self.0
    }

    /// Short form for the footer: `⏎`, `g g`.
    pub fn symbol(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(|p| p.symbol()).collect();
        parts.join(" ")
    }
}

impl From<KeyPress> for KeySeq {
    fn from(press: KeyPress) -> Self {
        Self(vec![press])
    }
}

impl fmt::Display for KeySeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, press) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{press}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(spec: &str) -> KeyPress {
        KeyPress::parse(spec).unwrap()
    }

    #[test]
    fn parses_characters_names_and_modifiers() {
        assert_eq!(press("q"), KeyPress::plain(KeyCode::Char('q')));
        assert_eq!(press("G"), KeyPress::plain(KeyCode::Char('G')));
        assert_eq!(press("?"), KeyPress::plain(KeyCode::Char('?')));
        assert_eq!(press("-"), KeyPress::plain(KeyCode::Char('-')));
        assert_eq!(press("Enter"), KeyPress::plain(KeyCode::Enter));
        assert_eq!(press("pgup"), KeyPress::plain(KeyCode::PageUp));
        assert_eq!(press("space"), KeyPress::plain(KeyCode::Char(' ')));
        assert_eq!(press("f5"), KeyPress::plain(KeyCode::F(5)));
        assert_eq!(
            press("ctrl-c"),
            KeyPress::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            press("ctrl--"),
            KeyPress::new(KeyCode::Char('-'), KeyModifiers::CONTROL)
        );
        assert_eq!(press("shift-g"), press("G"));
    }

    #[test]
    fn terminal_events_match_specs() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyPress::from_event(&shifted), press("G"));
        let question = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(KeyPress::from_event(&question), press("?"));
    }

    #[test]
    fn sequences_round_trip() {
        for spec in ["g g", "ctrl-c", "enter", "space", "alt-x", "f12", "G"] {
            assert_eq!(KeySeq::parse(spec).unwrap().to_string(), spec);
        }
        assert_eq!(KeySeq::parse("enter").unwrap().symbol(), "⏎");
    }

    #[test]
    fn bad_keys_are_explained() {
        assert_eq!(
            KeyPress::parse("entr").unwrap_err().to_string(),
            "unknown key `entr` (did you mean `enter`?)"
        );
        assert_eq!(KeySeq::parse("  ").unwrap_err(), KeyError::Empty);
        assert_eq!(
            KeySeq::parse("a b c d e").unwrap_err().to_string(),
            "key sequence `a b c d e` is longer than 4 presses"
        );
    }
}
