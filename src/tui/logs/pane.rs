//! The logs pane: a title with the filter and follow state, the histogram strip, and the
//! lines (time, source, level, text). Only the lines on screen are laid out: rows are built
//! walking up from the lowest shown line until the area is full, so a 20,000-line window
//! costs what a screenful costs.

use std::borrow::Cow;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::lines::{Columns, Layout as RowLayout};
use super::strip::{self as log_histogram, thousands};
use crate::format;
use crate::logs::{Level, LogLine};
use crate::tui::action::Action;
use crate::tui::keymap::Layer;
use crate::tui::logs::LogsView;
use crate::tui::screen::View;
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// From this inner height the histogram strip shows.
const STRIP_MIN_HEIGHT: u16 = 10;

/// Header, status and footer lines, and the pane's borders.
const CHROME_ROWS: u16 = 5;

fn strip_height(inner_height: u16) -> u16 {
    if inner_height >= STRIP_MIN_HEIGHT {
        log_histogram::BAR_ROWS + 1
    } else {
        0
    }
}

/// Rows of lines the pane shows on this screen: what one page moves.
pub fn page_rows(state: &State) -> usize {
    let inner = crate::tui::screen::screen_rows(state).saturating_sub(CHROME_ROWS);
    usize::from(inner - strip_height(inner)).max(1)
}

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let logs = &view.state.logs;
    let block = Block::bordered()
        .border_style(theme.border(view.state.popups.is_empty()))
        .title(title(view))
        .title_top(follow_state(view).right_aligned())
        .title_bottom(Line::styled(window_summary(logs), theme.dim()).right_aligned());
    let block = match &logs.search {
        Some(search) => block.title_bottom(Line::styled(
            format!(" search /{}/ ", search.text),
            hit_style(theme),
        )),
        None => block,
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [strip, lines] = Layout::vertical([
        Constraint::Length(strip_height(inner.height)),
        Constraint::Fill(1),
    ])
    .areas(inner);
    if strip.height > 0 {
        log_histogram::draw(frame, strip, view);
    }
    if logs.window.is_empty() {
        crate::tui::screen::draw_empty(frame, lines, Block::new(), empty_message(view), theme);
        return;
    }
    let rows = visible_rows(view, lines.width, usize::from(lines.height));
    frame.render_widget(Paragraph::new(rows), lines);
}

/// ` Logs · all services · ≥WARN · grep /timeout/ `
fn title(view: View<'_>) -> Line<'static> {
    let theme = view.theme;
    let filter = &view.state.logs.filter;
    let mut spans = vec![Span::styled(
        " Logs ",
        theme.accent().add_modifier(Modifier::BOLD),
    )];
    let scope = filter.service.as_deref().unwrap_or("all services");
    spans.push(Span::raw(format!("· {scope} ")));
    for chip in filter.chips() {
        spans.push(Span::styled(
            format!("· {chip} "),
            theme.accent().add_modifier(Modifier::BOLD),
        ));
    }
    Line::from(spans)
}

/// `● following`, or `⏸ PAUSED — 42 new lines · G follows`, plus lines the engine skipped.
fn follow_state(view: View<'_>) -> Line<'static> {
    let theme = view.theme;
    let logs = &view.state.logs;
    let warn = Style::new().fg(theme.warn).add_modifier(Modifier::BOLD);
    let mut spans = Vec::new();
    if logs.skipped > 0 {
        let text = format!(" skipped {} (stored) ", thousands(logs.skipped));
        spans.push(Span::styled(text, warn));
    }
    if logs.window.is_following() {
        spans.push(Span::styled(" ● following ", Style::new().fg(theme.ok)));
        return Line::from(spans);
    }
    let new = match logs.window.unseen() {
        0 => String::new(),
        1 => " — 1 new line".to_string(),
        n => format!(" — {} new lines", thousands(n)),
    };
    let key = view.keymap.keys(Layer::Logs, Action::Follow).first();
    let hint = key.map_or(String::new(), |k| format!(" · {} follows", k.symbol()));
    spans.push(Span::styled(format!(" ⏸ PAUSED{new}{hint} "), warn));
    Line::from(spans)
}

/// ` 20,000 lines in memory · wrap `, or `· ← 16 columns` when scrolled sideways.
fn window_summary(logs: &LogsView) -> String {
    let count = logs.window.len() as u64;
    let lines = match count {
        1 => "1 line".to_string(),
        n => format!("{} lines", thousands(n)),
    };
    match (logs.wrap, logs.hscroll) {
        (true, _) => format!(" {lines} in memory · wrap "),
        (false, 0) => format!(" {lines} in memory "),
        (false, columns) => format!(
            " {lines} in memory · ← {} ",
            format::count(columns as u64, "column")
        ),
    }
}

fn empty_message(view: View<'_>) -> String {
    let state = view.state;
    let logs = &state.logs;
    if !state.connected {
        return "Connecting to the engine…".to_string();
    }
    if !logs.caught_up {
        return "Reading the stored lines…".to_string();
    }
    if !logs.filter.is_empty() {
        return "No line matches the filter yet. Esc clears it.".to_string();
    }
    "No log lines yet: services' output shows here as they write it.".to_string()
}

/// The rows on screen, top to bottom: lines up from the lowest shown one until `height`
/// rows are filled; when the cursor's line would not fit, lines down from the cursor.
fn visible_rows(view: View<'_>, width: u16, height: usize) -> Vec<Line<'static>> {
    let logs = &view.state.logs;
    let window = &logs.window;
    let layout = row_layout(view, width);
    let build = |index: u64, line: &LogLine| layout.rows(line, index, logs.pretty.as_ref());
    let cursor = window.cursor();
    rows_up(window.back_from(window.bottom()), cursor, height, build).unwrap_or_else(|| {
        window
            .forward_from(cursor)
            .flat_map(|(index, line)| build(index, line))
            .take(height)
            .collect()
    })
}

/// Rows of `lines` (newest first) stacked up until `height` rows are filled, returned top
/// to bottom. Lines are pulled one at a time and no more than fill the area. `None` when
/// the line at `cursor` came but did not fit whole.
fn rows_up<'l>(
    lines: impl Iterator<Item = (u64, &'l LogLine)>,
    cursor: u64,
    height: usize,
    build: impl Fn(u64, &LogLine) -> Vec<Line<'static>>,
) -> Option<Vec<Line<'static>>> {
    let mut rows: Vec<Line<'static>> = Vec::with_capacity(height);
    for (index, line) in lines {
        if rows.len() >= height {
            break;
        }
        let mut built = build(index, line);
        if index == cursor && !rows.is_empty() && rows.len() + built.len() > height {
            return None;
        }
        built.reverse();
        rows.extend(built);
    }
    rows.truncate(height);
    rows.reverse();
    Some(rows)
}

fn row_layout<'a>(view: View<'a>, width: u16) -> RowLayout<'a> {
    let logs = &view.state.logs;
    RowLayout {
        columns: Columns::fit(usize::from(width), logs.window.source_width()),
        width: usize::from(width),
        wrap: logs.wrap,
        raw: logs.raw,
        fields: &logs.fields,
        hscroll: logs.hscroll,
        cursor: (!logs.window.is_following()).then_some(logs.window.cursor()),
        search: logs.search.as_ref(),
        theme: view.theme,
    }
}

/// A level's colour: errors `danger`, warnings `warn`, info `ok`, debug `info`, trace dim.
pub fn level_style(level: Option<Level>, theme: &Theme) -> Style {
    match level {
        Some(Level::Fatal) => Style::new()
            .fg(theme.danger)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        Some(Level::Error) => Style::new().fg(theme.danger).add_modifier(Modifier::BOLD),
        Some(Level::Warn) => Style::new().fg(theme.warn),
        Some(Level::Info) => Style::new().fg(theme.ok),
        Some(Level::Debug) => Style::new().fg(theme.info),
        Some(Level::Trace) | None => theme.dim(),
    }
}

/// The text's colour: errors and warnings stand out, the rest stays plain.
pub fn text_style(line: &LogLine, theme: &Theme) -> Style {
    match line.level {
        Some(Level::Error | Level::Fatal) => Style::new().fg(theme.danger),
        Some(Level::Warn) => Style::new().fg(theme.warn),
        _ => Style::new(),
    }
}

/// Each source keeps one colour, picked from the theme's by its name.
pub fn source_colour(source: &str, theme: &Theme) -> Color {
    let palette = [
        theme.accent,
        theme.chart_mem,
        theme.chart_rx,
        theme.chart_swap,
        theme.chart_tx,
        theme.chart_cpu,
        theme.info,
        theme.ok,
    ];
    // FNV-1a: stable across runs, so a service keeps its colour.
    let hash = source.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    palette[hash as usize % palette.len()]
}

/// Search matches on screen.
pub fn hit_style(theme: &Theme) -> Style {
    Style::new()
        .fg(theme.selection_fg)
        .bg(theme.warn)
        .add_modifier(Modifier::BOLD)
}

/// Tabs as spaces and other control characters as `·`, so the terminal shows what the
/// layout measured.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.contains(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => out.push('·'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn line() -> LogLine {
        LogLine {
            seq: 0,
            at: 0,
            source: "api".into(),
            level: None,
            pattern: None,
            text: "x".into(),
            header: None,
            continues: false,
        }
    }

    #[test]
    fn only_the_lines_on_screen_are_laid_out() {
        let line = line();
        let pulled = Cell::new(0);
        let built = Cell::new(0);
        let lines = (0..100_000u64)
            .rev()
            .map(|i| (i, &line))
            .inspect(|_| pulled.set(pulled.get() + 1));
        let build = |_: u64, _: &LogLine| {
            built.set(built.get() + 1);
            vec![Line::raw("a"), Line::raw("b")]
        };
        let rows = rows_up(lines, 99_999, 9, build).unwrap();
        assert_eq!(rows.len(), 9);
        // Five two-row lines fill nine rows; the sixth is never looked at.
        assert_eq!((pulled.get(), built.get()), (6, 5));
        assert_eq!(rows[0], Line::raw("b"), "the top line shows its last row");
    }

    #[test]
    fn a_cursor_line_that_does_not_fit_turns_the_view_around() {
        let line = line();
        let lines = || (0..10u64).rev().map(|i| (i, &line));
        let build = |_: u64, _: &LogLine| vec![Line::raw("a"), Line::raw("b")];
        assert!(rows_up(lines(), 5, 10, build).is_some());
        assert!(rows_up(lines(), 5, 9, build).is_none());
        assert!(
            rows_up(lines(), 9, 1, build).is_some(),
            "the lowest line always shows"
        );
    }
}
