//! The bottom line: the keys of the focused layer, generated from the live keymap and cut to
//! the width, plus an unfinished key sequence on the right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::keymap::Layer;
use crate::tui::keys::KeySeq;
use crate::tui::screen::View;
use crate::tui::state::Popup;

/// (key, label) pairs for the footer, most specific layer first.
pub fn hints(view: View<'_>) -> Vec<(String, &'static str)> {
    let layers: &[Layer] = match view.state.top_popup() {
        None => view.state.pane.layers(),
        Some(Popup::Help { .. }) => &[Layer::Help],
        Some(Popup::Confirm(confirm)) if confirm.typed.is_some() => {
            return vec![("⏎".into(), "confirm"), ("esc".into(), "cancel")];
        }
        Some(Popup::Confirm(_) | Popup::Playbook(_) | Popup::Text(_)) => &[Layer::Confirm],
        Some(Popup::Silence(_)) => &[Layer::SilenceForm],
        Some(Popup::CommandLine(_)) => {
            return vec![
                ("⏎".into(), "run"),
                ("tab".into(), "complete"),
                ("esc".into(), "cancel"),
            ];
        }
        Some(Popup::Filter(_) | Popup::AuditFilter(_)) => {
            return vec![("⏎".into(), "keep filter"), ("esc".into(), "clear filter")];
        }
        Some(Popup::LogSearch(_)) => {
            return vec![("⏎".into(), "go to match"), ("esc".into(), "clear search")];
        }
        Some(Popup::Grep(_)) => {
            return vec![
                ("⏎".into(), "apply (empty clears)"),
                ("esc".into(), "cancel"),
            ];
        }
    };
    let mut seen: Vec<Action> = Vec::new();
    // Keys of the layers before: a press goes to the first layer that binds it, so a later
    // layer's binding of the same key never fires here (the logs' `/` searches, the global
    // `/` would filter services) and must not be offered.
    let mut taken: Vec<&KeySeq> = Vec::new();
    let mut hints = Vec::new();
    for &layer in layers {
        for binding in view.keymap.layer(layer) {
            let action = binding.action;
            let Some(label) = label(view, layer, action) else {
                continue;
            };
            if let Some(key) = binding.keys.iter().find(|k| !taken.contains(k))
                && !seen.contains(&action)
            {
                seen.push(action);
                hints.push((key.symbol(), label));
            }
        }
        taken.extend(view.keymap.layer(layer).flat_map(|b| &b.keys));
    }
    hints
}

/// The footer's word for an action in a layer, or `None` to leave it out.
fn label(view: View<'_>, layer: Layer, action: Action) -> Option<&'static str> {
    let config = view.state.config_status();
    let pending = config.is_some_and(|c| c.pending.is_some());
    let errors = config.is_some_and(|c| !c.errors.is_empty());
    let text = matches!(view.state.top_popup(), Some(Popup::Text(_)));
    match (layer, action) {
        _ if !action.info().in_footer => None,
        (Layer::Confirm, Action::Confirm) if text => None,
        (Layer::Confirm, Action::Close) if text => Some("close"),
        (Layer::Global, Action::PendingDiff | Action::ApplyConfig) if !pending => None,
        (Layer::Global, Action::ConfigErrors) if !errors => None,
        (Layer::Environments, Action::EnvironmentsView) => Some("services"),
        (Layer::ConfigHistory, Action::ConfigHistory) => Some("environments"),
        (Layer::Confirm, Action::Confirm) => match playbook_runs(view) {
            Some(true) => Some("run"),
            Some(false) => None,
            None => Some(action.info().label),
        },
        (Layer::Confirm, Action::Close) if playbook_runs(view) == Some(false) => Some("close"),
        (Layer::Confirm, Action::Close) => Some("cancel"),
        (Layer::Host, Action::HostView) => Some("services"),
        (Layer::Services, Action::Details) if view.state.details => Some("graphs"),
        (Layer::Alerts, Action::AlertsView) => Some("services"),
        (Layer::Silences, Action::SilencesView) => Some("alerts"),
        (Layer::Patterns, Action::PatternsView) => Some("logs"),
        (Layer::Logs, Action::ClearFilters) if no_log_filters(view) => Some("services"),
        (Layer::SilenceForm, Action::Confirm) => Some("create"),
        (Layer::SilenceForm, Action::Close) => Some("cancel"),
        (Layer::Global, Action::Close) if view.state.filter.is_empty() => None,
        (Layer::Global, Action::Close) => Some("clear filter"),
        _ => Some(action.info().label),
    }
}

/// With a playbook dialog open: whether `y` runs the playbook (or only closes a report).
fn playbook_runs(view: View<'_>) -> Option<bool> {
    match view.state.top_popup() {
        Some(Popup::Playbook(dialog)) => Some(dialog.runs.is_some()),
        _ => None,
    }
}

fn no_log_filters(view: View<'_>) -> bool {
    let logs = &view.state.logs;
    logs.filter.is_empty() && logs.search.is_none()
}

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let completions = &view.state.completions;
    if matches!(view.state.top_popup(), Some(Popup::CommandLine(_))) && !completions.is_empty() {
        let line = Line::from(vec![
            Span::styled(" tab ", theme.footer_key()),
            Span::styled(completions.join("  "), theme.dim()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let pending = pending(view);
    let mut hints = hints(view);
    // The help key is kept whatever the width, at the end.
    let help = hints
        .iter()
        .position(|(_, label)| *label == Action::Help.info().label);
    let help = help.map(|i| hints.remove(i));
    let width = |(key, label): &(String, &str)| Span::raw(key.as_str()).width() + 1 + label.len();
    let room = usize::from(area.width)
        .saturating_sub(pending.chars().count())
        .saturating_sub(1 + help.as_ref().map_or(0, |h| width(h) + 2));
    let mut used = 0;
    let fitting = hints.into_iter().take_while(|hint| {
        used += width(hint) + 2;
        used <= room + 2
    });
    let mut spans = vec![Span::raw(" ")];
    for (key, label) in fitting.chain(help) {
        spans.push(Span::styled(key, theme.footer_key()));
        spans.push(Span::styled(format!(" {label}  "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    if !pending.is_empty() {
        frame.render_widget(
            Paragraph::new(pending)
                .style(theme.accent())
                .right_aligned(),
            area,
        );
    }
}

/// `g…` while a key sequence is unfinished.
fn pending(view: View<'_>) -> String {
    let keys = &view.state.pending;
    if keys.is_empty() {
        return String::new();
    }
    let keys: Vec<String> = keys.iter().map(|k| k.symbol()).collect();
    format!("{}… ", keys.join(" "))
}
