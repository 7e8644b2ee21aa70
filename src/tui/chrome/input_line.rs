//! The input line that replaces the status line while typing a `:` command, a `/` filter
//! or search, or a logs grep.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::input::Input;
use crate::tui::screen::View;
use crate::tui::state::Popup;

pub fn draw(frame: &mut Frame, area: Rect, view: View, prompt: &str, input: &Input) {
    let theme = view.theme;
    let line = Line::from(vec![
        Span::styled(prompt.to_string(), theme.accent()),
        Span::raw(input.text().to_string()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    let state = view.state;
    match (state.top_popup(), &state.logs.grep_error) {
        (Some(Popup::Filter(_)), _) => {
            let count = format!("{} of {} ", state.visible_len(), state.services().len());
            frame.render_widget(
                Paragraph::new(count).style(theme.dim()).right_aligned(),
                area,
            );
        }
        (Some(Popup::Grep(_)), Some(error)) => {
            let error = Span::styled(format!(" ✗ {error} "), Style::new().fg(theme.danger));
            frame.render_widget(Paragraph::new(error).right_aligned(), area);
        }
        _ => {}
    }
    let before = Span::raw(input.before_cursor()).width() as u16;
    let x = area
        .x
        .saturating_add(Span::raw(prompt).width() as u16)
        .saturating_add(before);
    frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
}
