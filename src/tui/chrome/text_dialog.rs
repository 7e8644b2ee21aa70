//! A config diff or an edit's problems in a dialog that scrolls when it is taller than the
//! screen: diffs coloured (`+` green, `-` red, `@@` dim), problems red.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::confirm::answers;
use crate::tui::action::Action;
use crate::tui::config::{TextDialog, TextKind};
use crate::tui::screen::{View, centered};
use crate::tui::theme::Theme;

/// Rows around the text: the borders, a blank line and the answers.
const CHROME: usize = 4;

pub fn draw(frame: &mut Frame, area: Rect, view: View, dialog: &TextDialog) {
    let theme = view.theme;
    let rows = text_rows(dialog.lines.len(), area.height);
    let overflows = rows < dialog.lines.len();
    let scroll = dialog.scroll.min(dialog.lines.len().saturating_sub(rows));
    let mut lines: Vec<Line> = dialog
        .lines
        .iter()
        .skip(scroll)
        .take(rows)
        .map(|line| match dialog.kind {
            TextKind::Diff => diff_line(line, theme),
            TextKind::Errors => Line::styled(line.as_str(), Style::new().fg(theme.danger)),
        })
        .collect();
    lines.push(Line::default());
    let mut keys = vec![(Action::Close, "close")];
    if overflows {
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
    let mut block = Block::bordered()
        .border_style(Style::new().fg(colour))
        .title(Span::styled(
            format!(" {} ", dialog.title),
            Style::new().fg(colour).add_modifier(Modifier::BOLD),
        ))
        .style(theme.base());
    if overflows {
        let last = (scroll + rows).min(dialog.lines.len());
        let position = format!(" {}–{last} of {} ", scroll + 1, dialog.lines.len());
        block = block.title_bottom(Line::styled(position, theme.dim()).right_aligned());
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
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
pub fn text_rows(lines: usize, height: u16) -> usize {
    let room = usize::from(height.saturating_sub(2));
    (lines + CHROME).min(room).saturating_sub(CHROME)
}
