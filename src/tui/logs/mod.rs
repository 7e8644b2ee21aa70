//! What the TUI keeps for the logs pane: the bounded window of lines, follow mode, the
//! filter the engine's stream was opened with, the search, the per-second counts of the
//! histogram strip, wrap, raw lines or fields in columns, and the one JSON line shown
//! pretty-printed. Folded from
//! [`LogStreamEvent`]s; panes only read it.

mod filter;
mod histogram;
mod keys;
pub mod lines;
pub mod pane;
pub mod patterns;
mod search;
pub mod strip;
mod window;

pub use filter::{Grep, LogFilter, PatternChoice};
pub use histogram::Seconds;
pub use patterns::{NEW_WITHIN_MS, PatternSort, PatternsView};
pub use search::Search;
pub use window::{LogWindow, WINDOW_LINES};

use crate::format::FieldColumns;
use crate::logs::{LogLine, LogQuery, LogStreamEvent};

/// Columns `h` / `l` scroll the text by when lines are not wrapped.
const SCROLL_COLUMNS: usize = 8;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogsView {
    pub window: LogWindow,
    pub filter: LogFilter,
    pub search: Option<Search>,
    pub seconds: Seconds,
    /// Lines the engine did not send because the TUI fell behind (they are stored).
    pub skipped: u64,
    /// The stream sent every stored line it had; live lines follow.
    pub caught_up: bool,
    /// A stream was asked for (the pane opened once).
    pub opened: bool,
    pub wrap: bool,
    /// Lines as written, their own time and level included, instead of their fields in
    /// columns and their message.
    pub raw: bool,
    /// Widths of the sources' own field columns, grown as lines come.
    pub fields: FieldColumns,
    /// Columns of text scrolled off to the left (without wrap).
    pub hscroll: usize,
    pub pretty: Option<Pretty>,
    /// Why the grep prompt's text was refused, shown on the prompt (which covers the status
    /// line) until the text changes.
    pub grep_error: Option<String>,
}

/// Why `pretty_json` has nothing to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrettyError {
    #[error("no line is selected")]
    NoLine,
    #[error("the selected line holds no JSON")]
    NoJson,
}

/// One line's JSON, pretty-printed on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pretty {
    /// The line's index in the window.
    pub index: u64,
    /// The text before the JSON (a timestamp, a logger name), if any.
    pub lead: String,
    pub lines: Vec<String>,
}

impl LogsView {
    pub fn on_event(&mut self, event: LogStreamEvent) {
        match event {
            LogStreamEvent::Lines { lines } => {
                for line in lines {
                    if self.filter.matches(&line) {
                        if !line.continues {
                            self.fields.fit(&line.own_fields());
                        }
                        self.window.push(line);
                    }
                }
            }
            LogStreamEvent::CaughtUp => self.caught_up = true,
            LogStreamEvent::Second { at, counts } => self.seconds.record(at, counts),
            LogStreamEvent::Skipped { count } => self.skipped += count,
        }
    }

    /// Forget the lines for a new stream with the current filter, and return its query.
    pub fn restart(&mut self) -> LogQuery {
        self.window.clear();
        self.seconds.clear();
        self.skipped = 0;
        self.caught_up = false;
        self.pretty = None;
        self.opened = true;
        self.filter.query()
    }

    /// Follow again; `Some(query)` when the window missed lines while paused and must be
    /// reloaded.
    pub fn resume(&mut self) -> Option<LogQuery> {
        self.window.resume().then(|| self.restart())
    }

    pub fn scroll_sideways(&mut self, right: bool) {
        self.hscroll = if right {
            self.hscroll.saturating_add(SCROLL_COLUMNS)
        } else {
            self.hscroll.saturating_sub(SCROLL_COLUMNS)
        };
    }

    pub fn toggle_raw(&mut self) {
        self.raw = !self.raw;
    }

    pub fn toggle_wrap(&mut self) {
        self.wrap = !self.wrap;
        self.hscroll = 0;
    }

    /// Pretty-print the selected line's JSON, or fold it back. Errs when it holds none.
    pub fn toggle_pretty(&mut self) -> Result<(), PrettyError> {
        let index = self.window.cursor();
        if self.pretty.as_ref().is_some_and(|p| p.index == index) {
            self.pretty = None;
            return Ok(());
        }
        let line = self.window.get(index).ok_or(PrettyError::NoLine)?;
        let (lead, json) = split_json(&line.text).ok_or(PrettyError::NoJson)?;
        self.pretty = Some(Pretty {
            index,
            lead: lead.trim_end().to_string(),
            lines: json.lines().map(String::from).collect(),
        });
        Ok(())
    }

    /// The next line matching the search after (`forward`) or before the cursor.
    pub fn find_match(&self, forward: bool) -> Option<u64> {
        let search = self.search.as_ref()?;
        let cursor = self.window.cursor();
        let hit = |&(i, line): &(u64, &LogLine)| i != cursor && search.is_match(&line.text);
        if forward {
            self.window.forward_from(cursor).find(hit).map(|(i, _)| i)
        } else {
            self.window.back_from(cursor).find(hit).map(|(i, _)| i)
        }
    }

    /// The newest matching line at or above the cursor: where a new search lands.
    pub fn find_from_cursor(&self) -> Option<u64> {
        let search = self.search.as_ref()?;
        let cursor = self.window.cursor();
        self.window
            .back_from(cursor)
            .find(|(_, line)| search.is_match(&line.text))
            .map(|(i, _)| i)
    }
}

/// The text before a JSON object or array in `text`, and the JSON pretty-printed with its
/// keys and numbers as written (a `serde_json::Value` would sort the keys).
fn split_json(text: &str) -> Option<(&str, String)> {
    let start = text.find(['{', '['])?;
    let mut stream =
        serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde::de::IgnoredAny>();
    stream.next()?.ok()?;
    let json = &text[start..start + stream.byte_offset()];
    Some((&text[..start], indent_json(json)))
}

/// Re-indent valid JSON two spaces per level.
fn indent_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            (escaped, in_string) = match c {
                _ if escaped => (false, true),
                '\\' => (true, true),
                '"' => (false, false),
                _ => (false, true),
            };
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.next_if(|c| c.is_whitespace()).is_some() {}
                if chars.peek().is_some_and(|&n| n == '}' || n == ']') {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::Level;

    fn line(seq: u64, level: Option<Level>, text: &str) -> LogLine {
        LogLine {
            seq,
            at: seq,
            source: "api".into(),
            level,
            pattern: None,
            text: text.into(),
            header: None,
            continues: false,
        }
    }

    #[test]
    fn lines_outside_the_filter_stay_out() {
        let mut view = LogsView::default();
        view.filter.level = Some(Level::Warn);
        view.on_event(LogStreamEvent::Lines {
            lines: vec![
                line(1, Some(Level::Info), "old stream"),
                line(2, Some(Level::Error), "kept"),
            ],
        });
        view.on_event(LogStreamEvent::Skipped { count: 40 });
        view.on_event(LogStreamEvent::Skipped { count: 2 });
        assert_eq!(view.window.len(), 1);
        assert_eq!(view.skipped, 42);
        let query = view.restart();
        assert_eq!(query.level, Some(Level::Warn));
        assert!(view.window.is_empty() && view.skipped == 0 && view.opened);
    }

    #[test]
    fn json_is_pretty_printed_on_demand() {
        let mut view = LogsView::default();
        view.on_event(LogStreamEvent::Lines {
            lines: vec![
                line(1, None, "plain words"),
                line(2, None, "12:00 req {\"path\":\"/api\",\"ms\":[1,2]}"),
            ],
        });
        view.toggle_pretty().unwrap();
        let pretty = view.pretty.clone().unwrap();
        assert_eq!(pretty.lead, "12:00 req");
        assert_eq!(pretty.lines[0], "{");
        assert_eq!(pretty.lines[1], "  \"path\": \"/api\",");
        assert_eq!(pretty.lines[2], "  \"ms\": [");
        assert_eq!(pretty.lines.last().unwrap(), "}");
        assert_eq!(
            indent_json(r#"{"a" : {}, "s":"x\\\"{,"}"#),
            "{\n  \"a\": {},\n  \"s\": \"x\\\\\\\"{,\"\n}"
        );
        view.toggle_pretty().unwrap();
        assert_eq!(view.pretty, None);
        view.window.move_cursor(-1, 10);
        assert_eq!(view.toggle_pretty().unwrap_err(), PrettyError::NoJson);
    }
}
