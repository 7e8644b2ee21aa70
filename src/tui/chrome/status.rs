//! The status line: the last notice or command result, coloured by level, with its age.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::format;
use crate::protocol::NoticeLevel;
use crate::tui::screen::View;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let Some(status) = &view.state.status else {
        return;
    };
    let theme = view.theme;
    let (icon, style) = match status.level {
        NoticeLevel::Info => ("•", theme.level(status.level)),
        NoticeLevel::Warn => ("!", theme.level(status.level)),
        NoticeLevel::Error => ("✗", theme.level(status.level).add_modifier(Modifier::BOLD)),
    };
    let line = Line::from(vec![
        Span::styled(format!(" {icon} {}", status.text), style),
        Span::styled(
            format!(" · {}", format::age(status.at_ms, view.state.now_ms)),
            theme.dim(),
        ),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
