//! The histogram strip above the log lines, like lnav's: one column per second (the newest
//! on the right), its height the lines of that second, stacked by level with errors at the
//! bottom; a legend line under it. Drawn from the engine's exact per-second counts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::logs::{Level, LevelCounts};
use crate::tui::screen::View;
use crate::tui::theme::Theme;

/// Rows of bars (the legend line comes on top of them).
pub const BAR_ROWS: u16 = 3;
const BLOCKS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Levels stacked from the bottom, each group with its colour and legend word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Errors,
    Warnings,
    Info,
    Debug,
    Other,
}

impl Group {
    const ALL: [Self; 5] = [
        Self::Errors,
        Self::Warnings,
        Self::Info,
        Self::Debug,
        Self::Other,
    ];

    fn count(self, counts: &LevelCounts) -> u64 {
        let get = |level| counts.get(Some(level));
        match self {
            Self::Errors => counts.errors(),
            Self::Warnings => get(Level::Warn),
            Self::Info => get(Level::Info),
            Self::Debug => get(Level::Debug) + get(Level::Trace),
            Self::Other => counts.get(None),
        }
    }

    fn colour(self, theme: &Theme) -> Color {
        match self {
            Self::Errors => theme.danger,
            Self::Warnings => theme.warn,
            Self::Info => theme.ok,
            Self::Debug => theme.info,
            Self::Other => theme.dim,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Errors => "error",
            Self::Warnings => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Other => "other",
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let [legend_area, bars] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let seconds = &view.state.logs.seconds;
    // The current second is still counting: the strip ends with the last complete one.
    let now = (view.state.now_ms / 1000).saturating_sub(1);
    let last = seconds.latest().map_or(now, |(s, _)| s.max(now));
    let columns = seconds.last(usize::from(bars.width), last);
    let peak = columns.iter().map(LevelCounts::total).max().unwrap_or(0);
    let latest = columns.last().copied().unwrap_or_default();
    frame.render_widget(
        Paragraph::new(legend(columns.len(), peak, &latest, view.theme)),
        legend_area,
    );
    if peak == 0 {
        return;
    }
    let buffer = frame.buffer_mut();
    for (x, counts) in (bars.x..).zip(&columns) {
        for (row, (glyph, group)) in column(counts, peak, bars.height).into_iter().enumerate() {
            let y = bars.bottom() - 1 - row as u16;
            if let Some(cell) = buffer.cell_mut((x, y)) {
                cell.set_symbol(glyph)
                    .set_style(Style::new().fg(group.colour(view.theme)));
            }
        }
    }
}

/// One second's cells from the bottom up: glyph and the group it shows.
fn column(counts: &LevelCounts, peak: u64, rows: u16) -> Vec<(&'static str, Group)> {
    let total = counts.total();
    if total == 0 {
        return vec![];
    }
    let eighths = u64::from(rows) * 8;
    let height = (total * eighths).div_ceil(peak).max(1);
    // Where each group ends, in eighths of a cell from the bottom.
    let mut tops = Vec::with_capacity(Group::ALL.len());
    let mut below = 0;
    for group in Group::ALL {
        below += group.count(counts);
        tops.push((group, (below * height).div_ceil(total)));
    }
    let group_at = |eighth: u64| {
        tops.iter()
            .find(|(_, top)| eighth < *top)
            .map_or(Group::Other, |(group, _)| *group)
    };
    (0..u64::from(rows))
        .map_while(|row| {
            let fill = height.saturating_sub(row * 8).min(8);
            let group = match row {
                // A second with errors shows it at the bottom, however few they are.
                0 if counts.errors() > 0 => Group::Errors,
                _ => group_at(row * 8 + fill / 2),
            };
            (fill > 0).then(|| (BLOCKS[fill as usize], group))
        })
        .collect()
}

/// ` 60s · peak 1.2k/s · last second ■ 3 error ■ 1.1k info`
fn legend(seconds: usize, peak: u64, latest: &LevelCounts, theme: &Theme) -> Line<'static> {
    if peak == 0 {
        let text = format!(" lines/s, last {seconds}s: none counted yet");
        return Line::styled(text, theme.dim());
    }
    let mut spans = vec![Span::styled(
        format!(" lines/s, last {seconds}s · peak {}/s", compact(peak)),
        theme.dim(),
    )];
    if latest.total() == 0 {
        spans.push(Span::styled(" · last second: none", theme.dim()));
        return Line::from(spans);
    }
    spans.push(Span::styled(" · last second:", theme.dim()));
    for group in Group::ALL {
        let n = group.count(latest);
        if n > 0 {
            let colour = Style::new().fg(group.colour(theme));
            spans.push(Span::styled(" ■", colour));
            spans.push(Span::raw(format!(" {} {}", compact(n), group.word())));
        }
    }
    Line::from(spans)
}

/// `999`, `1.2k`, `12k`, `3.4M`: counts in four characters or so.
pub fn compact(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..10_000 => format!("{:.1}k", n as f64 / 1e3),
        10_000..1_000_000 => format!("{}k", n / 1_000),
        1_000_000..10_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{}M", n / 1_000_000),
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(Option<Level>, u64)]) -> LevelCounts {
        let mut counts = LevelCounts::default();
        for &(level, n) in pairs {
            counts.add(level, n);
        }
        counts
    }

    #[test]
    fn columns_stack_errors_at_the_bottom() {
        let c = counts(&[(Some(Level::Error), 12), (Some(Level::Info), 12)]);
        let cells = column(&c, 24, 3);
        assert_eq!(cells.len(), 3);
        assert_eq!(cells[0], ("█", Group::Errors));
        assert_eq!(cells[2], ("█", Group::Info));
        // A lone error among a thousand lines still shows.
        let c = counts(&[(Some(Level::Error), 1), (Some(Level::Info), 999)]);
        assert_eq!(column(&c, 1000, 3)[0].1, Group::Errors);
        // A quiet second is a sliver, never nothing.
        let c = counts(&[(None, 1)]);
        assert_eq!(column(&c, 1000, 3), [("▁", Group::Other)]);
        assert!(column(&LevelCounts::default(), 10, 3).is_empty());
    }

    #[test]
    fn numbers_read_short() {
        assert_eq!(compact(999), "999");
        assert_eq!(compact(1_234), "1.2k");
        assert_eq!(compact(98_765), "98k");
        assert_eq!(compact(3_400_000), "3.4M");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(100), "100");
    }
}
