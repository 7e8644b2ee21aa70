//! The confirm dialog before a destructive command: what it will do, what else it touches,
//! and the keys that answer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::action::Action;
use crate::tui::config::TypedName;
use crate::tui::keymap::Layer;
use crate::tui::screen::{View, centered};
use crate::tui::state::Confirm;

pub fn draw(frame: &mut Frame, area: Rect, view: View, confirm: &Confirm) {
    let theme = view.theme;
    let mut lines = vec![Line::raw(confirm.message.clone()), Line::default()];
    for item in &confirm.items {
        lines.push(Line::from(vec![
            Span::styled("  • ", Style::new().fg(theme.warn)),
            Span::styled(item.clone(), Style::new().add_modifier(Modifier::BOLD)),
        ]));
    }
    if !confirm.items.is_empty() {
        lines.push(Line::default());
    }
    match &confirm.typed {
        Some(typed) => lines.extend(typed_name(view, typed)),
        None => lines.push(answers(
            view,
            &[(Action::Confirm, "confirm"), (Action::Close, "cancel")],
        )),
    }
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 4;
    let popup = centered(area, width.max(40), lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_style(Style::new().fg(theme.danger))
        .title(Span::styled(
            format!(" {} ", confirm.title),
            Style::new().fg(theme.danger).add_modifier(Modifier::BOLD),
        ))
        .style(theme.base());
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}

/// The name to type, the input, and the answer keys; `⏎ confirm` is dimmed until the
/// name is right.
fn typed_name(view: View<'_>, typed: &TypedName) -> Vec<Line<'static>> {
    let theme = view.theme;
    let field = Style::new()
        .fg(theme.selection_fg)
        .bg(theme.selection_bg)
        .add_modifier(Modifier::BOLD);
    let input = format!(" {}█ ", typed.input.text());
    let width = typed.expected.chars().count() + 3;
    let enter = if typed.matches() {
        theme.footer_key()
    } else {
        theme.dim().add_modifier(Modifier::CROSSED_OUT)
    };
    // On a wrong name, the refusal shows where the eye is, under the input.
    let refusal = if typed.refused {
        Line::styled(
            format!("  ✗ that is not `{}`", typed.expected),
            Style::new().fg(theme.danger),
        )
    } else {
        Line::default()
    };
    vec![
        Line::from(vec![
            Span::raw("Type "),
            Span::styled(
                typed.expected.clone(),
                Style::new().fg(theme.danger).add_modifier(Modifier::BOLD),
            ),
            Span::raw(" to confirm:"),
        ]),
        Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{input:<width$}"), field),
        ]),
        refusal,
        Line::from(vec![
            Span::styled("⏎", enter),
            Span::styled(" confirm   ", theme.dim()),
            Span::styled("esc", theme.footer_key()),
            Span::styled(" cancel", theme.dim()),
        ]),
    ]
}

/// `y confirm   n cancel`, from the confirm layer of the live keymap.
pub fn answers(view: View<'_>, answers: &[(Action, &str)]) -> Line<'static> {
    let theme = view.theme;
    let mut spans = Vec::new();
    for &(action, label) in answers {
        let keys: Vec<String> = view
            .keymap
            .keys(Layer::Confirm, action)
            .iter()
            .map(|k| k.symbol())
            .collect();
        if !keys.is_empty() {
            spans.push(Span::styled(keys.join("/"), theme.footer_key()));
            spans.push(Span::styled(format!(" {label}   "), theme.dim()));
        }
    }
    Line::from(spans)
}
