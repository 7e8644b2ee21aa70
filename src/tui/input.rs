//! A one-line text input (the `:` command line and the `/` filter).

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::keys::KeyPress;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
}

/// What a key press did to the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEvent {
    /// The text changed.
    Changed,
    /// Only the cursor moved.
    Moved,
    Submit,
    Cancel,
    /// Tab: the owner may complete the text.
    Complete,
    /// Not an editing key; route it elsewhere.
    Ignored,
}

impl Input {
    /// An input holding `text`, with the cursor at its end.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.chars().count();
        Self { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text before the cursor (to place the terminal cursor).
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.byte_index(self.cursor)]
    }

    pub fn set(&mut self, text: impl Into<String>) {
        *self = Self::new(text);
    }

    pub fn handle(&mut self, press: KeyPress) -> InputEvent {
        if let Some(c) = press.typed_char() {
            self.insert(c);
            return InputEvent::Changed;
        }
        let ctrl = press.modifiers.contains(KeyModifiers::CONTROL);
        match (press.code, ctrl) {
            (KeyCode::Enter, _) => InputEvent::Submit,
            (KeyCode::Esc, _) => InputEvent::Cancel,
            (KeyCode::Tab, _) => InputEvent::Complete,
            (KeyCode::Backspace, _) if self.text.is_empty() => InputEvent::Cancel,
            (KeyCode::Backspace, _) | (KeyCode::Char('h'), true) => self.delete_back(1),
            (KeyCode::Delete, _) => self.delete_forward(),
            (KeyCode::Char('w'), true) => self.delete_back(self.word_len_before_cursor()),
            (KeyCode::Char('u'), true) => self.delete_back(self.cursor),
            (KeyCode::Left, _) => self.move_to(self.cursor.saturating_sub(1)),
            (KeyCode::Right, _) => self.move_to(self.cursor + 1),
            (KeyCode::Home, _) | (KeyCode::Char('a'), true) => self.move_to(0),
            (KeyCode::End, _) | (KeyCode::Char('e'), true) => self.move_to(usize::MAX),
            _ => InputEvent::Ignored,
        }
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    fn byte_index(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn insert(&mut self, c: char) {
        let at = self.byte_index(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    fn delete_back(&mut self, count: usize) -> InputEvent {
        let count = count.min(self.cursor);
        let start = self.byte_index(self.cursor - count);
        let end = self.byte_index(self.cursor);
        self.text.replace_range(start..end, "");
        self.cursor -= count;
        InputEvent::Changed
    }

    fn delete_forward(&mut self) -> InputEvent {
        if self.cursor < self.len() {
            let start = self.byte_index(self.cursor);
            let end = self.byte_index(self.cursor + 1);
            self.text.replace_range(start..end, "");
        }
        InputEvent::Changed
    }

    fn move_to(&mut self, chars: usize) -> InputEvent {
        self.cursor = chars.min(self.len());
        InputEvent::Moved
    }

    /// Characters from the start of the word before the cursor (and the spaces after it).
    fn word_len_before_cursor(&self) -> usize {
        let before: Vec<char> = self.before_cursor().chars().collect();
        let spaces = before
            .iter()
            .rev()
            .take_while(|c| c.is_whitespace())
            .count();
        let word = before
            .iter()
            .rev()
            .skip(spaces)
            .take_while(|c| !c.is_whitespace())
            .count();
        spaces + word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(input: &mut Input, specs: &[&str]) {
        for spec in specs {
            input.handle(KeyPress::parse(spec).unwrap());
        }
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut input = Input::default();
        keys(&mut input, &["s", "t", "p", "left", "o"]);
        assert_eq!(input.text(), "stop");
        assert_eq!(input.before_cursor(), "sto");
        keys(&mut input, &["end", "space", "a", "p", "i"]);
        assert_eq!(input.text(), "stop api");
        keys(&mut input, &["ctrl-w"]);
        assert_eq!(input.text(), "stop ");
        keys(&mut input, &["home", "delete"]);
        assert_eq!(input.text(), "top ");
        keys(&mut input, &["end", "ctrl-u"]);
        assert_eq!(input.text(), "");
    }

    #[test]
    fn reports_what_happened() {
        let mut input = Input::new("é");
        let press = |s| KeyPress::parse(s).unwrap();
        assert_eq!(input.handle(press("backspace")), InputEvent::Changed);
        assert_eq!(input.handle(press("backspace")), InputEvent::Cancel);
        assert_eq!(input.handle(press("enter")), InputEvent::Submit);
        assert_eq!(input.handle(press("tab")), InputEvent::Complete);
        assert_eq!(input.handle(press("down")), InputEvent::Ignored);
        assert_eq!(input.handle(press("ctrl-c")), InputEvent::Ignored);
    }
}
