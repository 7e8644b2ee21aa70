//! The popup that creates a silence: three inputs, each with its error or a hint below it,
//! and the keys that move, create and cancel, from the live keymap.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::format;
use crate::tui::action::Action;
use crate::tui::keymap::Layer;
use crate::tui::screen::{View, centered};
use crate::tui::silences::form::{Field, SilenceForm};

/// Wide enough for a refused duration's whole answer.
const WIDTH: u16 = 80;
/// Borders, three inputs of three rows with a message line each, and the keys.
const HEIGHT: u16 = 2 + 3 * 4 + 1;

pub fn draw(frame: &mut Frame, area: Rect, view: View, form: &SilenceForm) {
    let theme = view.theme;
    let popup = centered(area, WIDTH, HEIGHT);
    let title = match &form.subject {
        Some(rule) => format!(" Silence {rule} "),
        None => " New silence ".to_string(),
    };
    let block = Block::bordered()
        .border_style(theme.border(true))
        .title(Span::styled(
            title,
            theme.accent().add_modifier(Modifier::BOLD),
        ))
        .style(theme.base());
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let rows = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(1),
    ])
    .split(inner);
    for (field, &row) in Field::ALL.iter().zip(rows.iter()) {
        draw_field(frame, row, view, form, *field);
    }
    if let Some(&keys_area) = rows.get(3) {
        frame.render_widget(Paragraph::new(keys(view)), keys_area);
    }
}

fn draw_field(frame: &mut Frame, area: Rect, view: View, form: &SilenceForm, field: Field) {
    let theme = view.theme;
    let [input_area, message_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(1)]).areas(area);
    let (message, bad) = message(view, form, field);
    let focused = form.focused() == field;
    let border = match (bad, focused) {
        (true, _) => Style::new().fg(theme.danger),
        (false, focused) => theme.border(focused),
    };
    let title_style = if focused {
        theme.accent().add_modifier(Modifier::BOLD)
    } else {
        theme.dim()
    };
    let block = Block::bordered()
        .border_style(border)
        .title(Span::styled(format!(" {} ", field.title()), title_style));
    let text_area = block.inner(input_area);
    frame.render_widget(block, input_area);
    frame.render_widget(form.input(field), text_area);
    let style = if bad {
        Style::new().fg(theme.danger)
    } else {
        theme.dim()
    };
    frame.render_widget(Paragraph::new(Span::styled(message, style)), message_area);
}

/// The error under an input, or a hint; and whether it is an error.
fn message(view: View<'_>, form: &SilenceForm, field: Field) -> (String, bool) {
    let error = match field {
        Field::Matchers => form.matchers_error.as_ref(),
        Field::Duration => form.duration_error.as_ref(),
        Field::Comment => None,
    };
    if let Some(error) = error {
        return (format!(" ✗ {error}"), true);
    }
    let hint = match field {
        Field::Matchers => {
            let total = view.state.alerts().len();
            match form.matching {
                Some(n) => format!(
                    " name=value, !=, =~regex, !~ · selects {n} of {}",
                    format::count(total as u64, "alert")
                ),
                None => {
                    " space-separated name=value (or !=, =~regex, !~), e.g. service=api".to_string()
                }
            }
        }
        Field::Duration => form.duration.map_or_else(String::new, |d| {
            format!(" ends in {}", format::duration(d.as_secs()))
        }),
        Field::Comment => " optional: why, for whoever sees the silence".to_string(),
    };
    (hint, false)
}

/// `tab next field  ⏎ create  esc cancel`, from the live keymap.
fn keys(view: View<'_>) -> Line<'static> {
    let theme = view.theme;
    let mut spans = vec![Span::raw(" ")];
    let labelled = [
        (Action::NextField, "next field"),
        (Action::Confirm, "create"),
        (Action::Close, "cancel"),
    ];
    for (action, label) in labelled {
        if let Some(key) = view.keymap.keys(Layer::SilenceForm, action).first() {
            spans.push(Span::styled(key.symbol(), theme.footer_key()));
            spans.push(Span::styled(format!(" {label}  "), theme.dim()));
        }
    }
    Line::from(spans)
}
