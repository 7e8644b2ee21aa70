//! The silences list: id, matchers, time left, who created it and why, the soonest to end
//! first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

use crate::alerts::Silence;
use crate::format;
use crate::tui::action::Action;
use crate::tui::keymap::Layer;
use crate::tui::screen::{View, pane_block, render_table};

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let state = view.state;
    let block = pane_block(view, "Silences");
    if state.alerts.silences.is_empty() {
        crate::tui::screen::draw_empty(frame, area, block, empty_message(view), theme);
        return;
    }
    let widths = [
        Constraint::Length(8),
        Constraint::Fill(2),
        Constraint::Length(16),
        Constraint::Length(12),
        Constraint::Fill(1),
    ];
    let header = Row::new(["ID", "MATCHERS", "REMAINING", "CREATED BY", "COMMENT"]);
    let rows = state.silence_rows().map(|s| row(s, view));
    let table = Table::new(rows, widths).block(block);
    let selected = state.alerts.silences.row();
    render_table(frame, area, theme, table, Some(header), selected);
}

fn row<'a>(silence: &'a Silence, view: View<'a>) -> Row<'a> {
    let theme = view.theme;
    let now = view.state.now_ms;
    let matchers: Vec<String> = silence.matchers.iter().map(ToString::to_string).collect();
    let remaining = if silence.starts_at > now {
        Span::styled(
            format!("starts in {}", format::remaining(silence.starts_at, now)),
            theme.dim(),
        )
    } else if silence.ends_at <= now {
        Span::styled("expired", theme.dim())
    } else {
        Span::styled(
            format!("{} left", format::remaining(silence.ends_at, now)),
            Style::new().fg(theme.ok),
        )
    };
    Row::new([
        Cell::from(Span::styled(silence.id.as_str(), theme.accent())),
        Cell::from(matchers.join(" ")),
        Cell::from(remaining),
        Cell::from(silence.created_by.as_str()),
        Cell::from(Span::styled(
            silence.comment.as_deref().unwrap_or("-"),
            theme.dim(),
        )),
    ])
}

/// What to do when there is nothing: the keys come from the live keymap.
fn empty_message(view: View<'_>) -> String {
    let key = |layer, action| {
        view.keymap
            .keys(layer, action)
            .first()
            .map_or_else(String::new, ToString::to_string)
    };
    format!(
        "No silences. Press {} on an alert in the alerts pane, or type :silence service=api 2h.",
        key(Layer::Alerts, Action::NewSilence)
    )
}
