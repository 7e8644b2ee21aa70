//! The line under the header while the engine's own files need the user (a full disk, a
//! state file replaced), or the config files were edited: the edit waiting to be applied
//! and what it would restart, or why it cannot be applied — with the keys that act.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::config::{contrast, plan_summary};
use crate::tui::keymap::Layer;
use crate::tui::screen::View;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    if let [first, rest @ ..] = view.state.storage_problems().as_slice() {
        let more = match rest.len() {
            0 => String::new(),
            n => format!(" (+{n} more: uc status)"),
        };
        return draw_line(
            frame,
            area,
            view,
            theme.danger,
            format!(" {first}"),
            more,
            &[],
        );
    }
    let Some(status) = view.state.config_status() else {
        return;
    };
    let (colour, text, more, keys) = match (status.errors.as_slice(), &status.pending) {
        ([first, rest @ ..], _) => {
            let more = match rest.len() {
                0 => String::new(),
                n => format!(" (+{n} more)"),
            };
            let first = first.lines().next().unwrap_or_default();
            let text = format!(" config edit not applied: {first}");
            (
                theme.danger,
                text,
                more,
                vec![(Action::ConfigErrors, "show")],
            )
        }
        ([], Some(pending)) => {
            let text = format!(" config edited on disk: {}", plan_summary(pending));
            let keys = vec![
                (Action::ApplyConfig, "apply"),
                (Action::PendingDiff, "diff"),
            ];
            (theme.warn, text, String::new(), keys)
        }
        ([], None) => return,
    };
    draw_line(frame, area, view, colour, text, more, &keys);
}

fn draw_line(
    frame: &mut Frame,
    area: Rect,
    view: View,
    colour: ratatui::style::Color,
    text: String,
    more: String,
    keys: &[(Action, &str)],
) {
    let style = Style::new()
        .fg(contrast(colour))
        .bg(colour)
        .add_modifier(Modifier::BOLD);
    let hints: Vec<String> = keys
        .iter()
        .filter_map(|&(action, label)| {
            let key = view.keymap.keys(Layer::Global, action).first()?;
            Some(format!("{} {label}", key.symbol()))
        })
        .collect();
    let hint = match hints.as_slice() {
        [] => more,
        hints => format!("{more} — {} ", hints.join(" · ")),
    };
    // The count and the keys stay whole and follow the text; a long problem is cut
    // before them.
    let hint_width = Line::raw(hint.as_str()).width();
    let text_width = Line::raw(text.as_str()).width();
    let room = usize::from(area.width).saturating_sub(hint_width);
    let left = u16::try_from(text_width.min(room)).unwrap_or(area.width);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(text).style(style), left);
    frame.render_widget(Paragraph::new(hint).style(style), right);
}
