//! The top line: workspace, environment, how many services run, the engine's connection, and a
//! hint to the help key.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::View;
use crate::tui::action::Action;
use crate::tui::keymap::Layer;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let style = theme.header();
    let hint = help_hint(view);
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(hint.width() as u16)])
            .areas(area);
    frame.render_widget(Paragraph::new(summary(view)).style(style), left);
    frame.render_widget(Paragraph::new(hint).style(style).right_aligned(), right);
}

fn summary(view: View<'_>) -> Line<'static> {
    let state = view.state;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::styled(" uc ", bold)];
    match &state.snapshot {
        Some(snapshot) => {
            let environment = snapshot.environment.as_deref().unwrap_or("default");
            let (running, total) = state.counts();
            spans.push(Span::styled(format!("│ {} ", snapshot.workspace), bold));
            spans.push(Span::raw(format!("│ env {environment} ")));
            spans.push(Span::raw(format!("│ {running}/{total} running ")));
        }
        None => spans.push(Span::raw("│ connecting to the engine… ")),
    }
    spans.push(connection(view));
    Line::from(spans)
}

fn connection(view: View<'_>) -> Span<'static> {
    match (view.state.connected, &view.state.snapshot) {
        (true, _) => Span::raw("│ ● engine connected"),
        (false, None) => Span::raw(""),
        (false, Some(_)) => Span::styled(
            " ✗ ENGINE DISCONNECTED ",
            Style::new()
                .fg(view.theme.header_fg)
                .bg(view.theme.danger)
                .add_modifier(Modifier::BOLD),
        ),
    }
}

/// `? help`, from whatever key the live keymap gives the help action.
fn help_hint(view: View<'_>) -> Line<'static> {
    match view.keymap.keys(Layer::Global, Action::Help).first() {
        Some(key) => Line::from(vec![
            Span::styled(
                key.symbol(),
                view.theme.footer_key().bg(view.theme.header_bg),
            ),
            Span::raw(" help "),
        ]),
        None => Line::default(),
    }
}
