//! A playbook's plan, report or refusal: the report's text in a dialog that scrolls when it
//! is taller than the screen, with the keys that answer below it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use crate::protocol::NoticeLevel;
use crate::tui::action::Action;
use crate::tui::chrome::confirm::answers;
use crate::tui::chrome::text_dialog::{self, CHROME, Shown};
use crate::tui::heal::playbook::PlaybookDialog;
use crate::tui::screen::{View, centered};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, view: View, dialog: &PlaybookDialog) {
    let theme = view.theme;
    let shown = Shown::new(dialog.scroll, dialog.lines.len(), area.height);
    let mut lines: Vec<Line> = shown
        .of(&dialog.lines)
        .map(|(i, line)| styled(i, line, theme))
        .collect();
    lines.push(Line::default());
    lines.push(answer_line(view, dialog, shown.overflows()));
    let widest = dialog.lines.iter().map(|l| Line::raw(l.as_str()).width());
    let width = widest
        .chain([lines.iter().map(Line::width).max().unwrap_or(0)])
        .chain([dialog.title.chars().count() + 2])
        .max()
        .unwrap_or(0)
        + 4;
    let height = dialog.lines.len() + CHROME;
    let popup = centered(area, (width as u16).max(40), height as u16);
    let colour = match (dialog.runs.is_some(), dialog.level) {
        (true, _) | (_, NoticeLevel::Error) => theme.danger,
        _ => theme.ok,
    };
    text_dialog::draw_frame(frame, popup, theme, &dialog.title, colour, shown, lines);
}

/// The summary stands out, and so do the numbered steps and their errors.
fn styled<'a>(index: usize, line: &'a str, theme: &Theme) -> Line<'a> {
    let trimmed = line.trim_start();
    let style = if index == 0 {
        Style::new().add_modifier(Modifier::BOLD)
    } else if trimmed.starts_with("error:") {
        Style::new().fg(theme.danger)
    } else if line.starts_with(|c: char| c.is_ascii_digit()) {
        theme.accent()
    } else {
        Style::new()
    };
    Line::styled(line, style)
}

/// `y run   n cancel` for a plan, `esc close` otherwise; how to scroll when it overflows.
fn answer_line(view: View<'_>, dialog: &PlaybookDialog, overflows: bool) -> Line<'static> {
    let mut keys = match dialog.runs {
        Some(_) => vec![(Action::Confirm, "run"), (Action::Close, "cancel")],
        None => vec![(Action::Close, "close")],
    };
    if overflows {
        keys.extend([(Action::Down, "scroll"), (Action::PageDown, "page")]);
    }
    answers(view, &keys)
}
