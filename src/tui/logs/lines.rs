//! How one log line becomes rows on screen: the columns that fit, the text cut or wrapped
//! to the width (measured per character, only for lines on screen), search matches
//! highlighted, and a pretty-printed JSON line spread over its own rows.

use std::ops::Range;

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::pane::{hit_style, level_style, printable, source_colour, text_style};
use crate::format::{FieldColumns, clock_ms};
use crate::logs::LogLine;
use crate::tui::logs::{Pretty, Search};
use crate::tui::theme::Theme;

/// The cursor's marker column.
const GUTTER: usize = 1;
/// `23:59:58.120`
const TIME_WIDTH: usize = 12;
const LEVEL_WIDTH: usize = 5;
/// The text keeps at least this many columns; the time, source and level give way first.
const TEXT_MIN: usize = 24;

/// Which columns precede the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub time: bool,
    /// Width of the source column; 0 hides it.
    pub source: usize,
    pub level: bool,
}

impl Columns {
    pub fn fit(width: usize, source_width: usize) -> Self {
        let mut columns = Self {
            time: true,
            source: source_width,
            level: true,
        };
        if columns.prefix() + TEXT_MIN > width {
            columns.time = false;
        }
        if columns.prefix() + TEXT_MIN > width {
            columns.source = 0;
        }
        if columns.prefix() + TEXT_MIN > width {
            columns.level = false;
        }
        columns
    }

    /// Columns before the text.
    pub fn prefix(&self) -> usize {
        let width = |shown: bool, w: usize| if shown { w + 1 } else { 0 };
        GUTTER
            + width(self.time, TIME_WIDTH)
            + width(self.source > 0, self.source)
            + width(self.level, LEVEL_WIDTH)
    }
}

/// What every row of the frame shares.
pub struct Layout<'a> {
    pub columns: Columns,
    pub width: usize,
    pub wrap: bool,
    /// Lines as written rather than fields in columns and message.
    pub raw: bool,
    pub fields: &'a FieldColumns,
    pub hscroll: usize,
    /// The selected line, marked while paused.
    pub cursor: Option<u64>,
    pub search: Option<&'a Search>,
    pub theme: &'a Theme,
}

impl Layout<'_> {
    /// One line's rows, top to bottom.
    pub fn rows(&self, line: &LogLine, index: u64, pretty: Option<&Pretty>) -> Vec<Line<'static>> {
        let prefix = self.prefix(line, self.cursor == Some(index));
        let text_width = self.width.saturating_sub(self.columns.prefix()).max(1);
        let base = text_style(line, self.theme);
        if let Some(pretty) = pretty.filter(|p| p.index == index) {
            return self.pretty_rows(prefix, pretty, base, text_width);
        }
        let shown = self.shown(line);
        let text = printable(&shown);
        let hits: Vec<Range<usize>> = self
            .search
            .map(|s| s.matches(&text).collect())
            .unwrap_or_default();
        let pieces = if self.wrap {
            wrap_ranges(&text, text_width)
        } else {
            vec![window_range(&text, self.hscroll, text_width)]
        };
        let hit = hit_style(self.theme);
        let mut prefix = Some(prefix);
        pieces
            .into_iter()
            .map(|range| {
                let mut spans = prefix.take().unwrap_or_else(|| self.indent());
                spans.extend(styled(&text, range, base, &hits, hit));
                Line::from(spans)
            })
            .collect()
    }

    /// The line as written, or its own fields in columns and its message once its
    /// source's header is known.
    fn shown<'l>(&self, line: &'l LogLine) -> std::borrow::Cow<'l, str> {
        if self.raw || line.continues || line.header.is_none() {
            return std::borrow::Cow::Borrowed(&line.text);
        }
        let mut shown = self.fields.render(&line.own_fields());
        shown.push_str(line.message());
        std::borrow::Cow::Owned(shown)
    }

    fn indent(&self) -> Vec<Span<'static>> {
        vec![Span::raw(" ".repeat(self.columns.prefix()))]
    }

    /// Marker, time, source and level.
    fn prefix(&self, line: &LogLine, selected: bool) -> Vec<Span<'static>> {
        let theme = self.theme;
        let mut spans = vec![if selected {
            Span::styled("›", theme.accent().add_modifier(Modifier::BOLD))
        } else {
            Span::raw(" ")
        }];
        if self.columns.time {
            let style = if selected {
                theme.selection()
            } else {
                theme.dim()
            };
            spans.push(Span::styled(clock_ms(line.at), style));
            spans.push(Span::raw(" "));
        }
        if self.columns.source > 0 {
            let width = self.columns.source;
            let name: String = line.source.chars().take(width).collect();
            let colour = source_colour(&line.source, theme);
            spans.push(Span::styled(
                format!("{name:<width$} "),
                Style::new().fg(colour),
            ));
        }
        if self.columns.level {
            let level = line.shown_level();
            let word = match level {
                Some(level) if !line.continues => level.as_str(),
                _ => "",
            };
            spans.push(Span::styled(
                format!("{word:<LEVEL_WIDTH$}"),
                level_style(level, theme),
            ));
            spans.push(Span::raw(" "));
        }
        spans
    }

    /// The text before the JSON on the line's own row, then the JSON, one row per line.
    fn pretty_rows(
        &self,
        mut first: Vec<Span<'static>>,
        pretty: &Pretty,
        base: Style,
        width: usize,
    ) -> Vec<Line<'static>> {
        let lead = if pretty.lead.is_empty() {
            "JSON:"
        } else {
            pretty.lead.as_str()
        };
        let lead = printable(lead);
        first.push(Span::styled(
            lead[window_range(&lead, 0, width)].to_string(),
            base,
        ));
        let mut rows = vec![Line::from(first)];
        for json in &pretty.lines {
            let json = printable(json);
            let mut spans = self.indent();
            let range = window_range(&json, 0, width);
            spans.push(Span::styled(json[range].to_string(), self.theme.accent()));
            rows.push(Line::from(spans));
        }
        rows
    }
}

fn char_width(text: &str, at: usize, c: char) -> usize {
    Span::raw(&text[at..at + c.len_utf8()]).width()
}

/// Byte ranges of `text` cut into rows of at most `width` columns (one empty row for
/// empty text).
fn wrap_ranges(text: &str, width: usize) -> Vec<Range<usize>> {
    let mut rows = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, c) in text.char_indices() {
        let w = char_width(text, i, c);
        if used + w > width && i > start {
            rows.push(start..i);
            (start, used) = (i, 0);
        }
        used += w;
    }
    rows.push(start..text.len());
    rows
}

/// The byte range of `text` shown after skipping `skip` columns, `width` columns wide.
fn window_range(text: &str, skip: usize, width: usize) -> Range<usize> {
    let mut column = 0;
    let mut start = None;
    for (i, c) in text.char_indices() {
        let w = char_width(text, i, c);
        if column >= skip && start.is_none() {
            start = Some(i);
        }
        if let Some(start) = start
            && column + w > skip + width
        {
            return start..i;
        }
        column += w;
    }
    start.unwrap_or(text.len())..text.len()
}

/// Spans of `text[range]` in `base`, with the parts inside `hits` in `hit`.
fn styled(
    text: &str,
    range: Range<usize>,
    base: Style,
    hits: &[Range<usize>],
    hit: Style,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut at = range.start;
    for h in hits
        .iter()
        .filter(|h| h.end > range.start && h.start < range.end)
    {
        let (from, to) = (h.start.max(at), h.end.min(range.end));
        if from > at {
            spans.push(Span::styled(text[at..from].to_string(), base));
        }
        spans.push(Span::styled(text[from..to].to_string(), hit));
        at = to;
    }
    if at < range.end {
        spans.push(Span::styled(text[at..range.end].to_string(), base));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_and_wraps_by_columns() {
        assert_eq!(wrap_ranges("abcdefg", 3), [0..3, 3..6, 6..7]);
        let empty = wrap_ranges("", 3);
        assert!(empty.len() == 1 && empty[0].is_empty());
        // Wide characters take two columns.
        assert_eq!(wrap_ranges("日本語", 4), [0..6, 6..9]);
        assert_eq!(window_range("abcdefg", 2, 3), 2..5);
        assert_eq!(window_range("abc", 5, 3), 3..3);
        assert_eq!(window_range("abc", 0, 10), 0..3);
    }

    #[test]
    fn highlights_only_inside_the_row() {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let spans = styled("a timeout b", 2..9, Style::new(), &[2..9, 10..11], bold);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].style, bold);
        let spans = styled("xx yy xx", 0..8, Style::new(), &[0..2, 6..8], bold);
        let texts: Vec<&str> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts, ["xx", " yy ", "xx"]);
        let outside = styled("abc", 1..3, Style::new(), &[0..1, 3..3], bold);
        assert_eq!(outside.len(), 1);
        assert_eq!(outside[0].style, Style::new());
    }

    #[test]
    fn narrow_panes_give_up_time_then_source_then_level() {
        assert_eq!(Columns::fit(120, 8).prefix(), 1 + 13 + 9 + 6);
        assert!(!Columns::fit(50, 8).time);
        assert_eq!(Columns::fit(35, 8).source, 0);
        assert!(!Columns::fit(20, 8).level);
        assert_eq!(clock_ms(1_704_067_199_120), "23:59:59.120");
    }
}
