//! The line under the header while the config files were edited: the edit waiting to be
//! applied and what it would restart, or why it cannot be applied — with the keys that act.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::View;
use crate::tui::action::Action;
use crate::tui::config::{contrast, plan_summary};
use crate::tui::keymap::Layer;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let Some(status) = view.state.config_status() else {
        return;
    };
    let theme = view.theme;
    let (colour, text, keys) = match (status.errors.as_slice(), &status.pending) {
        ([first, rest @ ..], _) => {
            let more = match rest.len() {
                0 => String::new(),
                n => format!(" (+{n} more)"),
            };
            let first = first.lines().next().unwrap_or_default();
            let text = format!(" config edit not applied: {first}{more}");
            (theme.danger, text, vec![(Action::ConfigErrors, "show")])
        }
        ([], Some(pending)) => {
            let text = format!(" config edited on disk: {}", plan_summary(pending));
            let keys = vec![
                (Action::ApplyConfig, "apply"),
                (Action::PendingDiff, "diff"),
            ];
            (theme.warn, text, keys)
        }
        ([], None) => return,
    };
    let style = Style::new()
        .fg(contrast(colour))
        .bg(colour)
        .add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::styled(text, style)];
    let hints: Vec<String> = keys
        .iter()
        .filter_map(|&(action, label)| {
            let key = view.keymap.keys(Layer::Global, action).first()?;
            Some(format!("{} {label}", key.symbol()))
        })
        .collect();
    if !hints.is_empty() {
        spans.push(Span::styled(format!(" — {} ", hints.join(" · ")), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
}
