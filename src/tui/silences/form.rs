//! The popup that creates a silence: matchers (prefilled from an alert's labels), a duration
//! and an optional comment, each a one-line `ratatui_textarea` input. The duration is checked
//! as the user types; the matchers when they submit, then as they fix them.

use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::{CursorMove, Input, Key, TextArea};

use crate::alerts::{Alert, Matcher};
use crate::protocol::silence_duration;
use crate::tui::keys::KeyPress;

/// How long a silence lasts unless the user says otherwise.
pub const DEFAULT_DURATION: &str = "2h";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Matchers,
    Duration,
    Comment,
}

impl Field {
    pub const ALL: [Self; 3] = [Self::Matchers, Self::Duration, Self::Comment];

    pub fn title(self) -> &'static str {
        match self {
            Self::Matchers => "Matchers",
            Self::Duration => "Duration",
            Self::Comment => "Comment",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Matchers => 0,
            Self::Duration => 1,
            Self::Comment => 2,
        }
    }
}

/// What the form would send, once every input is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceRequest {
    pub matchers: Vec<String>,
    pub duration: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SilenceForm {
    /// What the popup's title names: the alert it was opened on, if any.
    pub subject: Option<String>,
    inputs: [TextArea<'static>; 3],
    focus: Field,
    /// Set once the user tried to submit, so half-typed matchers are not flagged earlier.
    check_matchers: bool,
    pub matchers_error: Option<String>,
    pub duration_error: Option<String>,
    /// The duration, when it is valid.
    pub duration: Option<std::time::Duration>,
    /// How many of the current alerts the matchers select (when they parse).
    pub matching: Option<usize>,
}

/// Compares what the user sees, so `State` stays comparable in tests (`TextArea` is not).
impl PartialEq for SilenceForm {
    fn eq(&self, other: &Self) -> bool {
        self.subject == other.subject
            && Field::ALL.iter().all(|&f| self.text(f) == other.text(f))
            && self.focus == other.focus
            && self.matchers_error == other.matchers_error
            && self.duration_error == other.duration_error
            && self.matching == other.matching
    }
}

impl SilenceForm {
    /// A form prefilled from `alert`'s labels (or empty), lasting [`DEFAULT_DURATION`].
    pub fn new(alert: Option<&Alert>, alerts: &[Alert]) -> Self {
        let matchers = alert.map(prefill).unwrap_or_default();
        let mut form = Self {
            subject: alert.map(|a| a.rule.clone()),
            inputs: [input(&matchers), input(DEFAULT_DURATION), input("")],
            focus: Field::Matchers,
            check_matchers: false,
            matchers_error: None,
            duration_error: None,
            duration: None,
            matching: None,
        };
        form.focus(Field::Matchers);
        form.refresh(alerts);
        form
    }

    pub fn text(&self, field: Field) -> &str {
        self.inputs[field.index()]
            .lines()
            .first()
            .map_or("", String::as_str)
    }

    pub fn input(&self, field: Field) -> &TextArea<'static> {
        &self.inputs[field.index()]
    }

    pub fn focused(&self) -> Field {
        self.focus
    }

    /// Give the focus to `field`; only the focused input shows a cursor.
    pub fn focus(&mut self, field: Field) {
        self.focus = field;
        for f in Field::ALL {
            let cursor = if f == field {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new()
            };
            self.inputs[f.index()].set_cursor_style(cursor);
        }
    }

    /// Move the focus by `delta` inputs, wrapping around.
    pub fn cycle(&mut self, delta: isize) {
        let count = Field::ALL.len() as isize;
        let next = (self.focus.index() as isize + delta).rem_euclid(count);
        self.focus(Field::ALL[next as usize]);
    }

    /// Edit the focused input. Returns whether the text changed. Keys that would make a
    /// second line (enter, tab) never get here: the keymap has them.
    pub fn edit(&mut self, press: KeyPress, alerts: &[Alert]) -> bool {
        let Some(input) = textarea_input(press) else {
            return false;
        };
        let changed = self.inputs[self.focus.index()].input(input);
        if changed {
            self.refresh(alerts);
        }
        changed
    }

    /// What to send, or `None` with the errors shown.
    pub fn submit(&mut self, alerts: &[Alert]) -> Option<SilenceRequest> {
        self.check_matchers = true;
        self.refresh(alerts);
        if self.matchers_error.is_some() || self.duration_error.is_some() {
            let first_bad = [
                (Field::Matchers, self.matchers_error.is_some()),
                (Field::Duration, self.duration_error.is_some()),
            ];
            if let Some((field, _)) = first_bad.into_iter().find(|(_, bad)| *bad) {
                self.focus(field);
            }
            return None;
        }
        let comment = self.text(Field::Comment).trim();
        Some(SilenceRequest {
            matchers: split_matchers(self.text(Field::Matchers)),
            duration: self.text(Field::Duration).trim().to_string(),
            comment: (!comment.is_empty()).then(|| comment.to_string()),
        })
    }

    /// Check the inputs again, and count the `alerts` the matchers select.
    pub fn refresh(&mut self, alerts: &[Alert]) {
        let parsed = parse_matchers(&split_matchers(self.text(Field::Matchers)));
        self.matching = parsed.as_ref().ok().map(|matchers| {
            alerts
                .iter()
                .filter(|a| matchers.iter().all(|m| m.matches(&a.labels)))
                .count()
        });
        self.matchers_error = parsed.err().filter(|_| self.check_matchers);
        let duration = silence_duration(self.text(Field::Duration));
        self.duration = duration.as_ref().ok().copied();
        self.duration_error = duration.err();
    }
}

/// A one-line input holding `text`, the cursor at its end.
fn input(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.set_cursor_line_style(Style::new());
    area.move_cursor(CursorMove::End);
    area
}

/// `alertname=HighCpu service=api`: the alert's labels but its severity, which its rule
/// already implies; values with spaces quoted.
fn prefill(alert: &Alert) -> String {
    alert
        .labels
        .iter()
        .filter(|(name, _)| name.as_str() != "severity")
        .map(|(name, value)| {
            if value.chars().any(char::is_whitespace) {
                format!("{name}=\"{value}\"")
            } else {
                format!("{name}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Split on spaces (and commas) outside double quotes: `a=x b=~"p q"` is two matchers.
pub fn split_matchers(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.push(c);
            }
            c if !quoted && (c.is_whitespace() || c == ',') => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Every matcher parsed, or the first error naming the bad one.
pub fn parse_matchers(words: &[String]) -> Result<Vec<Matcher>, String> {
    if words.is_empty() {
        return Err("name at least one matcher, e.g. service=api".to_string());
    }
    words.iter().map(|w| Matcher::parse(w)).collect()
}

/// The textarea's own key type, for the presses it may edit with.
fn textarea_input(press: KeyPress) -> Option<Input> {
    let ctrl = press.modifiers.contains(KeyModifiers::CONTROL);
    let alt = press.modifiers.contains(KeyModifiers::ALT);
    let key = match press.code {
        // A second line, a tab or the textarea's own escape have no place in these inputs.
        KeyCode::Enter | KeyCode::Tab | KeyCode::BackTab | KeyCode::Esc => return None,
        KeyCode::Char('m' | 'j') if ctrl => return None,
        KeyCode::Char('\n' | '\r') => return None,
        code => Key::from(code),
    };
    Some(Input {
        key,
        ctrl,
        alt,
        shift: press.modifiers.contains(KeyModifiers::SHIFT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{AlertState, Severity};

    fn alert() -> Alert {
        Alert {
            id: "abc".into(),
            rule: "HighCpu".into(),
            state: AlertState::Firing,
            severity: Severity::Critical,
            labels: [
                ("alertname", "HighCpu"),
                ("service", "api"),
                ("severity", "critical"),
                ("team", "core infra"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            annotations: Default::default(),
            value: 97.0,
            active_since: 0,
            fired_at: None,
            resolved_at: None,
            ack: None,
            silenced_by: None,
        }
    }

    fn press(form: &mut SilenceForm, specs: &[&str], alerts: &[Alert]) {
        for spec in specs {
            form.edit(KeyPress::parse(spec).unwrap(), alerts);
        }
    }

    #[test]
    fn prefills_from_labels_and_submits_edits() {
        let alerts = [alert()];
        let mut form = SilenceForm::new(alerts.first(), &alerts);
        assert_eq!(
            form.text(Field::Matchers),
            "alertname=HighCpu service=api team=\"core infra\""
        );
        assert_eq!(form.matching, Some(1));
        let erase = vec!["backspace"; " team=\"core infra\"".len()];
        press(&mut form, &erase, &alerts);
        assert_eq!(form.text(Field::Matchers), "alertname=HighCpu service=api");
        form.cycle(1);
        press(
            &mut form,
            &["backspace", "backspace", "3", "0", "m", "enter"],
            &alerts,
        );
        form.cycle(1);
        press(&mut form, &["d", "e", "p", "l", "o", "y"], &alerts);
        assert_eq!(
            form.submit(&alerts),
            Some(SilenceRequest {
                matchers: vec!["alertname=HighCpu".into(), "service=api".into()],
                duration: "30m".into(),
                comment: Some("deploy".into()),
            })
        );
    }

    #[test]
    fn refuses_bad_input_with_the_field_focused() {
        let alerts = [alert()];
        let mut form = SilenceForm::new(None, &alerts);
        assert_eq!(form.matchers_error, None, "not flagged before a submit");
        form.focus(Field::Duration);
        press(&mut form, &["x"], &alerts);
        assert!(form.duration_error.as_deref().unwrap().contains("2hx"));
        assert_eq!(form.submit(&alerts), None);
        assert_eq!(form.focused(), Field::Matchers);
        assert_eq!(
            form.matchers_error.as_deref(),
            Some("name at least one matcher, e.g. service=api")
        );
        form.focus(Field::Matchers);
        press(&mut form, &["s", "e", "r", "v", "i", "c", "e"], &alerts);
        assert_eq!(
            form.matchers_error.as_deref(),
            Some("`service` is not a matcher; write name=value")
        );
    }

    #[test]
    fn splits_outside_quotes() {
        assert_eq!(
            split_matchers(" a=b,c=~\"x y\"  d!=e "),
            ["a=b", "c=~\"x y\"", "d!=e"]
        );
    }
}
