//! A config diff or an edit's problems in a dialog that scrolls when it is taller than the
//! screen: diffs coloured (`+` green, `-` red, `@@` dim), problems red.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::confirm::answers;
use crate::tui::action::Action;
use crate::tui::config::{TextDialog, TextKind};
use crate::tui::screen::{View, centered};
use crate::tui::theme::Theme;

/// Rows around the text: the borders, a blank line and the answers.
pub const CHROME: usize = 4;

/// The part of a dialog's text the screen shows.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    /// The first line shown.
    scroll: usize,
    /// How many lines are shown.
    rows: usize,
    /// How many lines there are.
    total: usize,
}

impl Shown {
    /// `total` lines scrolled to `scroll` (kept in range) on a screen `height` rows tall.
    pub fn new(scroll: usize, total: usize, height: u16) -> Self {
        let rows = text_rows(total, height);
        Self {
            scroll: scroll.min(total.saturating_sub(rows)),
            rows,
            total,
        }
    }

    pub fn overflows(self) -> bool {
        self.rows < self.total
    }

    /// The lines of `all` shown, each with its index.
    pub fn of(self, all: &[String]) -> impl Iterator<Item = (usize, &str)> {
        all.iter()
            .map(String::as_str)
            .enumerate()
            .skip(self.scroll)
            .take(self.rows)
    }
}

/// A dialog's frame in `colour` at `popup`, holding `lines`, with where the text is scrolled
/// to under it when it does not fit.
pub fn draw_frame(
    frame: &mut Frame,
    popup: Rect,
    theme: &Theme,
    title: &str,
    colour: Color,
    shown: Shown,
    lines: Vec<Line>,
) {
    let mut block = Block::bordered()
        .border_style(Style::new().fg(colour))
        .title(Span::styled(
            format!(" {title} "),
            Style::new().fg(colour).add_modifier(Modifier::BOLD),
        ))
        .style(theme.base());
    if shown.overflows() {
        let Shown {
            scroll,
            rows,
            total,
        } = shown;
        let last = (scroll + rows).min(total);
        let position = format!(" {}–{last} of {total} ", scroll + 1);
        block = block.title_bottom(Line::styled(position, theme.dim()).right_aligned());
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

pub fn draw(frame: &mut Frame, area: Rect, view: View, dialog: &TextDialog) {
    let theme = view.theme;
    let shown = Shown::new(dialog.scroll, dialog.lines.len(), area.height);
    let mut lines: Vec<Line> = shown
        .of(&dialog.lines)
        .map(|(_, line)| match dialog.kind {
            TextKind::Diff => diff_line(line, theme),
            TextKind::Errors => Line::styled(line, Style::new().fg(theme.danger)),
        })
        .collect();
    lines.push(Line::default());
    let mut keys = vec![(Action::Close, "close")];
    if shown.overflows() {
        keys.extend([(Action::Down, "scroll"), (Action::PageDown, "page")]);
    }
    lines.push(answers(view, &keys));
    let widest = dialog.lines.iter().map(|l| Line::raw(l.as_str()).width());
    let width = widest
        .chain([dialog.title.chars().count() + 2, 40])
        .max()
        .unwrap_or(0)
        + 4;
    let popup = centered(area, width as u16, (dialog.lines.len() + CHROME) as u16);
    let colour = match dialog.kind {
        TextKind::Diff => theme.accent,
        TextKind::Errors => theme.danger,
    };
    draw_frame(frame, popup, theme, &dialog.title, colour, shown, lines);
}

/// A unified diff's line in its colour: additions `ok`, removals `danger`, hunks dim, the
/// file names bold.
pub fn diff_line<'a>(line: &'a str, theme: &Theme) -> Line<'a> {
    let style = if line.starts_with("+++") || line.starts_with("---") {
        Style::new().add_modifier(Modifier::BOLD)
    } else if line.starts_with('+') {
        Style::new().fg(theme.ok)
    } else if line.starts_with('-') {
        Style::new().fg(theme.danger)
    } else if line.starts_with("@@") {
        theme.dim()
    } else {
        Style::new()
    };
    Line::styled(line, style)
}

/// How far a dialog of `lines` lines of text scrolls on a screen of `screen` (width,
/// height). The playbook dialog has the same frame and uses it too.
pub fn max_scroll(lines: usize, screen: (u16, u16)) -> usize {
    lines.saturating_sub(text_rows(lines, screen.1))
}

/// Rows one page up or down scrolls.
pub fn page_rows(lines: usize, screen: (u16, u16)) -> usize {
    text_rows(lines, screen.1).max(1)
}

/// Rows of text the dialog shows on a screen `height` rows tall (`centered` keeps a row
/// free above and below).
fn text_rows(lines: usize, height: u16) -> usize {
    let room = usize::from(height.saturating_sub(2));
    (lines + CHROME).min(room).saturating_sub(CHROME)
}
