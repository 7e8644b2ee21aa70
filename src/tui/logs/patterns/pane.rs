//! The patterns view: the templates mined from the log lines with their counts, level mix,
//! first and last seen, lines per minute as a sparkline, and flags (mostly errors; new and
//! growing; ten times the usual rate) standing out; the
//! selected pattern's example lines below. Enter shows its lines.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use crate::format;
use crate::logs::{Level, LevelCounts, PatternFlag, PatternInfo};
use crate::tui::logs::pane::level_style;
use crate::tui::logs::strip::thousands;
use crate::tui::logs::{NEW_WITHIN_MS, PatternSort};
use crate::tui::screen::{View, render_table};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// Minutes of the rate sparkline.
const RATE_CELLS: u16 = 10;
/// Cells of the level mix bar.
const MIX_CELLS: usize = 8;
/// From this height the examples show under the table.
const EXAMPLES_MIN_HEIGHT: u16 = 14;
/// The examples box: borders and three lines.
const EXAMPLES_HEIGHT: u16 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Count,
    Rate,
    Mix,
    Errors,
    First,
    Last,
    Flag,
    Template,
}

impl Column {
    const ALL: [Self; 8] = [
        Self::Count,
        Self::Rate,
        Self::Mix,
        Self::Errors,
        Self::First,
        Self::Last,
        Self::Flag,
        Self::Template,
    ];
    /// The order columns are given up in when the table is narrow: last goes first.
    const BY_PRIORITY: [Self; 8] = [
        Self::Template,
        Self::Count,
        Self::Flag,
        Self::Rate,
        Self::Errors,
        Self::Last,
        Self::Mix,
        Self::First,
    ];

    fn title(self) -> &'static str {
        match self {
            Self::Count => "COUNT",
            Self::Rate => "PER MINUTE",
            Self::Mix => "LEVELS",
            Self::Errors => "ERR%",
            Self::First => "FIRST SEEN",
            Self::Last => "LAST SEEN",
            Self::Flag => "FLAG",
            Self::Template => "TEMPLATE",
        }
    }

    /// (constraint, narrowest useful width).
    fn width(self) -> (Constraint, u16) {
        match self {
            Self::Count => (Constraint::Length(9), 9),
            Self::Rate => (Constraint::Length(RATE_CELLS), RATE_CELLS),
            Self::Mix => (Constraint::Length(MIX_CELLS as u16), MIX_CELLS as u16),
            Self::Errors => (Constraint::Length(5), 5),
            Self::First | Self::Last => (Constraint::Length(10), 10),
            Self::Flag => (Constraint::Length(14), 14),
            Self::Template => (Constraint::Fill(1), 20),
        }
    }
}

fn columns(width: u16) -> Vec<Column> {
    let mut used = 0u16;
    let mut kept = Vec::new();
    for column in Column::BY_PRIORITY {
        let (_, min) = column.width();
        if used + min > width && !kept.is_empty() {
            break;
        }
        used += min + 1;
        kept.push(column);
    }
    Column::ALL
        .into_iter()
        .filter(|c| kept.contains(c))
        .collect()
}

/// Rows one page moves: about what the table shows on this screen.
pub fn page_rows(state: &State) -> usize {
    // Header, status and footer; the table's borders and header; the examples box.
    usize::from(crate::tui::screen::screen_rows(state).saturating_sub(6 + EXAMPLES_HEIGHT)).max(1)
}

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let patterns = &view.state.patterns;
    let examples = match patterns.selected() {
        Some(pattern) if area.height >= EXAMPLES_MIN_HEIGHT => Some(pattern),
        _ => None,
    };
    let [table_area, examples_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(if examples.is_some() {
            EXAMPLES_HEIGHT
        } else {
            0
        }),
    ])
    .areas(area);
    draw_table(frame, table_area, view);
    if let Some(pattern) = examples {
        draw_examples(frame, examples_area, view, pattern);
    }
}

fn draw_table(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let state = view.state;
    let patterns = &state.patterns;
    let sort = match patterns.sort {
        PatternSort::Count => "by count".to_string(),
        PatternSort::New => format!("new ({}) first", format::duration(NEW_WITHIN_MS / 1000)),
    };
    let block = Block::bordered()
        .border_style(theme.border(state.popups.is_empty()))
        .title(Line::from(vec![
            Span::styled(
                " Log patterns ",
                theme.accent().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("· {sort} ")),
        ]))
        .title_top(summary(view).right_aligned());
    if patterns.is_empty() {
        crate::tui::screen::draw_empty(frame, area, block, empty_message(state), theme);
        return;
    }
    // Borders and the selection symbol take 4 columns.
    let columns = columns(area.width.saturating_sub(4));
    let widths = columns.iter().map(|c| c.width().0);
    let now = state.now_ms;
    let rows = patterns
        .rows()
        .map(|p| Row::new(columns.iter().map(|&c| cell(c, p, now, theme))));
    let header = Row::new(columns.iter().map(|&c| match c {
        Column::Count => Line::from(c.title()).right_aligned(),
        _ => Line::from(c.title()),
    }));
    let table = Table::new(rows, widths).block(block);
    render_table(frame, area, theme, table, Some(header), patterns.row());
}

/// ` 3 flagged · 42 patterns `, the flagged count in the danger colour.
fn summary(view: View<'_>) -> Line<'static> {
    let patterns = &view.state.patterns;
    let flagged = patterns.rows().filter(|p| p.flag.is_some()).count();
    let mut spans = Vec::new();
    if flagged > 0 {
        spans.push(Span::styled(
            format!(" ⚑ {flagged} flagged "),
            Style::new()
                .fg(view.theme.danger)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(error) = &patterns.error {
        spans.push(Span::styled(
            format!(" ✗ {error} "),
            Style::new().fg(view.theme.danger),
        ));
    }
    spans.push(Span::styled(
        format!(" {} ", format::count(patterns.len() as u64, "pattern")),
        view.theme.dim(),
    ));
    Line::from(spans)
}

fn empty_message(state: &State) -> String {
    let patterns = &state.patterns;
    match &patterns.error {
        Some(error) => format!("Cannot read the patterns: {error}"),
        None if !patterns.loaded => "Asking the engine for the patterns…".to_string(),
        None => "No patterns yet: they form as services write lines.".to_string(),
    }
}

fn cell(column: Column, pattern: &PatternInfo, now: u64, theme: &Theme) -> Cell<'static> {
    match column {
        Column::Count => Cell::from(Line::from(thousands(pattern.count)).right_aligned()),
        Column::Rate => Cell::from(Span::styled(sparkline(&pattern.rate), theme.accent())),
        Column::Mix => Cell::from(level_mix(&pattern.levels, theme)),
        Column::Errors => Cell::from(error_share(&pattern.levels, theme)),
        Column::First => Cell::from(format::age(pattern.first_seen, now)),
        Column::Last => Cell::from(format::age(pattern.last_seen, now)),
        Column::Flag => Cell::from(flag(pattern.flag, theme)),
        Column::Template => Cell::from(template(pattern, theme)),
    }
}

/// A pattern's lines per minute of the last [`RATE_CELLS`] minutes, the newest at the
/// right.
fn sparkline(rate: &[u32]) -> String {
    format::sparkline(&rate[rate.len().saturating_sub(usize::from(RATE_CELLS))..])
}

/// `23%`, in the danger colour when errors are most of the lines.
fn error_share(levels: &LevelCounts, theme: &Theme) -> Span<'static> {
    let total = levels.total();
    if total == 0 {
        return Span::styled("-", theme.dim());
    }
    let pct = levels.errors() * 100 / total;
    let style = match pct {
        0 => theme.dim(),
        1..50 => Style::new().fg(theme.warn),
        _ => Style::new().fg(theme.danger).add_modifier(Modifier::BOLD),
    };
    Span::styled(format!("{pct}%"), style)
}

/// Eight cells shared among the levels by their lines (largest remainders), errors first.
fn level_mix(levels: &LevelCounts, theme: &Theme) -> Line<'static> {
    let total = levels.total();
    if total == 0 {
        return Line::default();
    }
    let mut order: Vec<Option<Level>> = Level::ALL.iter().rev().map(|&l| Some(l)).collect();
    order.push(None);
    let cells = MIX_CELLS as u64;
    let mut shares: Vec<(Option<Level>, u64, u64)> = order
        .iter()
        .map(|&l| {
            let n = levels.get(l) * cells;
            (l, n / total, n % total)
        })
        .collect();
    let mut left = cells - shares.iter().map(|s| s.1).sum::<u64>();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by(|&a, &b| shares[b].2.cmp(&shares[a].2));
    for i in by_remainder {
        if left == 0 {
            break;
        }
        if shares[i].2 > 0 {
            shares[i].1 += 1;
            left -= 1;
        }
    }
    let spans = shares.into_iter().filter(|s| s.1 > 0).map(|(level, n, _)| {
        let colour = level_style(level, theme).remove_modifier(Modifier::REVERSED);
        Span::styled("█".repeat(n as usize), colour)
    });
    Line::from(spans.collect::<Vec<_>>())
}

fn flag(flag: Option<PatternFlag>, theme: &Theme) -> Span<'static> {
    let bold = Modifier::BOLD;
    match flag {
        Some(PatternFlag::Errors) => {
            Span::styled("✗ errors", Style::new().fg(theme.danger).add_modifier(bold))
        }
        Some(PatternFlag::NewAndGrowing) => Span::styled(
            "▲ new, growing",
            Style::new().fg(theme.warn).add_modifier(bold),
        ),
        Some(PatternFlag::Surging) => Span::styled(
            "⇈ 10× usual",
            Style::new().fg(theme.warn).add_modifier(bold),
        ),
        None => Span::raw(""),
    }
}

/// The template with its `<*>` parameters dimmed, so the constant words read first.
fn template(pattern: &PatternInfo, theme: &Theme) -> Line<'static> {
    let words = match pattern.flag {
        Some(_) => Style::new().add_modifier(Modifier::BOLD),
        None => Style::new(),
    };
    let mut spans = Vec::new();
    if pattern.new {
        spans.push(Span::styled(
            "new ",
            theme.accent().add_modifier(Modifier::BOLD),
        ));
    }
    for (i, part) in pattern.template.split("<*>").enumerate() {
        if i > 0 {
            spans.push(Span::styled("<*>", theme.dim()));
        }
        if !part.is_empty() {
            spans.push(Span::styled(part.to_string(), words));
        }
    }
    Line::from(spans)
}

fn draw_examples(frame: &mut Frame, area: Rect, view: View, pattern: &PatternInfo) {
    let theme = view.theme;
    let sources = match pattern.sources.as_slice() {
        [] => String::new(),
        sources => format!("· {} ", sources.join(", ")),
    };
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(Line::from(vec![
            Span::styled(
                format!(" Examples of #{} ", pattern.id),
                theme.accent().add_modifier(Modifier::BOLD),
            ),
            Span::raw(sources),
        ]));
    if pattern.examples.is_empty() {
        crate::tui::screen::draw_empty(frame, area, block, "No example lines kept.".into(), theme);
        return;
    }
    let lines: Vec<Line> = pattern
        .examples
        .iter()
        .map(|e| Line::raw(crate::tui::logs::pane::printable(e).into_owned()))
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_mix_fills_eight_cells() {
        let theme = Theme::default();
        let mut levels = LevelCounts::default();
        levels.add(Some(Level::Error), 3);
        levels.add(Some(Level::Info), 7);
        let line = level_mix(&levels, &theme);
        let cells: Vec<usize> = line
            .spans
            .iter()
            .map(|s| s.content.chars().count())
            .collect();
        assert_eq!(cells, [2, 6]);
        assert_eq!(line.spans[0].style.fg, Some(theme.danger));
        levels.add(None, 1_000);
        assert_eq!(level_mix(&levels, &theme).width(), MIX_CELLS);
    }

    #[test]
    fn sparkline_scales_to_the_busiest_minute() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(sparkline(&[0; 12]), " ".repeat(10));
        assert_eq!(
            sparkline(&[9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3])
                .chars()
                .count(),
            10
        );
    }

    #[test]
    fn narrow_tables_keep_the_template_and_count() {
        assert_eq!(columns(30), [Column::Count, Column::Template]);
        assert_eq!(columns(200).len(), Column::ALL.len());
    }
}
