//! The help popup: every binding of every layer from the live keymap, then the `:` commands.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::action::Action;
use crate::tui::command_line::parse::COMMANDS;
use crate::tui::keymap::{Keymap, Layer};
use crate::tui::screen::{View, centered};
use crate::tui::theme::Theme;

const WIDTH: u16 = 76;
const KEYS_COLUMN: usize = 18;

/// The help text, one entry per line.
pub fn lines(keymap: &Keymap, theme: &Theme) -> Vec<Line<'static>> {
    let heading = |text: &str| {
        Line::styled(
            text.to_string(),
            theme.accent().add_modifier(Modifier::BOLD),
        )
    };
    let mut lines = Vec::new();
    for layer in Layer::ALL {
        lines.push(heading(&title(keymap, layer)));
        for binding in keymap.layer(layer) {
            let keys: Vec<String> = binding.keys.iter().map(ToString::to_string).collect();
            lines.push(entry(
                keys.join(", "),
                description(layer, binding.action),
                theme,
            ));
        }
        lines.push(Line::default());
    }
    lines.push(heading("Command line (after :)"));
    for command in COMMANDS {
        let usage = format!(":{} {}", command.name, command.args);
        lines.push(entry(usage, command.description, theme));
    }
    lines.push(entry(
        "tab".into(),
        "Complete a command, service, playbook or alert id",
        theme,
    ));
    lines
}

/// A layer's heading. The alerts pane's says how to move, since its `k` acknowledges
/// (from the live keymap, so a rebinding keeps it true).
fn title(keymap: &Keymap, layer: Layer) -> String {
    let keys = |action| {
        let keys: Vec<String> = keymap
            .keys(layer, action)
            .iter()
            .map(ToString::to_string)
            .collect();
        keys.join("/")
    };
    match layer {
        Layer::Alerts => format!(
            "{}: move with {} and {}; {} acknowledge",
            layer.title(),
            keys(Action::Down),
            keys(Action::Up),
            keys(Action::Ack)
        ),
        _ => layer.title().to_string(),
    }
}

fn description(layer: Layer, action: Action) -> &'static str {
    match (layer, action) {
        (Layer::Help, Action::Close) => "Close the help",
        (Layer::Confirm, Action::Close) => "Cancel",
        (Layer::Host, Action::HostView) => "Back to the services",
        (Layer::Alerts, Action::AlertsView) => "Back to the services",
        (Layer::Silences, Action::SilencesView) => "Back to the alerts",
        (Layer::Silences, Action::NewSilence) => "Create a silence from scratch",
        (Layer::Patterns, Action::PatternsView) => "Back to the logs",
        (Layer::SilenceForm, Action::Confirm) => "Create the silence (when every input is valid)",
        (Layer::SilenceForm, Action::Close) => "Cancel",
        (Layer::Help, Action::Up) => "Scroll up",
        (Layer::Help, Action::Down) => "Scroll down",
        _ => action.info().description,
    }
}

fn entry(keys: String, description: &'static str, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {keys:<KEYS_COLUMN$} "), theme.footer_key()),
        Span::raw(description),
    ])
}

/// The popup's place on a screen of `area`.
fn popup_area(area: Rect, line_count: usize) -> Rect {
    centered(area, WIDTH, line_count as u16 + 2)
}

/// The largest useful scroll offset on a screen of `screen` (width, height).
pub fn max_scroll(keymap: &Keymap, theme: &Theme, screen: (u16, u16)) -> usize {
    let count = lines(keymap, theme).len();
    count.saturating_sub(page_rows(keymap, theme, screen))
}

/// Lines the popup shows at once on a screen of `screen`: what a page up or down moves.
pub fn page_rows(keymap: &Keymap, theme: &Theme, screen: (u16, u16)) -> usize {
    let count = lines(keymap, theme).len();
    let area = popup_area(Rect::new(0, 0, screen.0, screen.1), count);
    usize::from(area.height.saturating_sub(2)).max(1)
}

pub fn draw(frame: &mut Frame, area: Rect, view: View, scroll: usize) {
    let theme = view.theme;
    let lines = lines(view.keymap, theme);
    let popup = popup_area(area, lines.len());
    let visible = usize::from(popup.height.saturating_sub(2));
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let mut block = Block::bordered()
        .border_style(theme.border(true))
        .title(Span::styled(
            " Help ",
            theme.accent().add_modifier(Modifier::BOLD),
        ))
        .style(theme.base());
    if lines.len() > visible {
        let position = format!(" {}-{} of {} ", scroll + 1, scroll + visible, lines.len());
        block = block.title_bottom(Line::styled(position, theme.dim()).right_aligned());
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        popup,
    );
}
