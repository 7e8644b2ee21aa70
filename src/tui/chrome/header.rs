//! The top line: workspace, environment, how many services run, the alerts that need
//! attention, the engine's connection, and a hint to the help key.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::config::{contrast, environment_colour};
use crate::tui::keymap::Layer;
use crate::tui::screen::View;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let style = match colour(view) {
        Some(colour) => Style::new().fg(contrast(colour)).bg(colour),
        None => theme.header(),
    };
    let hint = help_hint(view, style.bg.unwrap_or(theme.header_bg));
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(hint.width() as u16)])
            .areas(area);
    let mut line = summary(view, false);
    if line.width() > usize::from(left.width) {
        line = summary(view, true);
    }
    frame.render_widget(Paragraph::new(line).style(style), left);
    frame.render_widget(Paragraph::new(hint).style(style).right_aligned(), right);
}

/// The left part; `compact` shortens the connection to its dot, to leave the alerts badge room.
fn summary(view: View<'_>, compact: bool) -> Line<'static> {
    let state = view.state;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::styled(" uc ", bold)];
    match &state.snapshot {
        Some(snapshot) => {
            let environment = snapshot.environment.as_deref().unwrap_or("default");
            let (running, total) = state.counts();
            spans.push(Span::styled(format!("│ {} ", snapshot.workspace), bold));
            spans.push(Span::raw("│ "));
            spans.push(environment_badge(view, environment));
            spans.push(Span::raw(" "));
            spans.push(Span::raw(format!("│ {running}/{total} running ")));
            spans.extend(alerts_badge(view));
        }
        None if state.workspaces.enabled && state.workspaces.current.is_none() => {
            let count = crate::format::count(state.workspaces.rows.len() as u64, "workspace");
            spans.push(Span::styled(format!("│ {count} "), bold));
        }
        None => spans.push(Span::raw("│ connecting to the engine… ")),
    }
    spans.push(connection(view, compact));
    Line::from(spans)
}

/// `⚠ 2 firing` on the danger colour, a dimmer `1 pending`, and `rules error` when the
/// alerting configuration failed to load. Nothing at all when all is quiet.
fn alerts_badge(view: View<'_>) -> Vec<Span<'static>> {
    let theme = view.theme;
    let alerts = &view.state.alerts;
    let alarm = Style::new()
        .fg(theme.header_fg)
        .bg(theme.danger)
        .add_modifier(Modifier::BOLD);
    let mut parts = Vec::new();
    if alerts.attention > 0 {
        parts.push(Span::styled(
            format!(" ⚠ {} firing ", alerts.attention),
            alarm,
        ));
    }
    if alerts.pending > 0 {
        let dim = Style::new().add_modifier(Modifier::DIM);
        parts.push(Span::styled(format!("{} pending", alerts.pending), dim));
    }
    if view.state.alerting().is_some_and(|a| a.problem.is_some()) {
        parts.push(Span::styled(" ✗ rules error ", alarm));
    }
    if parts.is_empty() {
        return parts;
    }
    let mut spans = vec![Span::raw("│ ")];
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(part);
    }
    spans.push(Span::raw(" "));
    spans
}

/// The active environment's colour: the whole header takes it.
fn colour(view: View<'_>) -> Option<Color> {
    let snapshot = view.state.snapshot.as_ref()?;
    environment_colour(
        &snapshot.config,
        snapshot.environment.as_deref(),
        view.theme,
    )
}

/// `env staging`; reversed and bold when the environment has a colour, so it stands out
/// even on the coloured header.
fn environment_badge(view: View<'_>, environment: &str) -> Span<'static> {
    match colour(view) {
        Some(colour) => Span::styled(
            format!(" env {environment} "),
            Style::new()
                .fg(colour)
                .bg(contrast(colour))
                .add_modifier(Modifier::BOLD),
        ),
        None => Span::raw(format!("env {environment}")),
    }
}

fn connection(view: View<'_>, compact: bool) -> Span<'static> {
    match (view.state.connected, &view.state.snapshot) {
        (true, _) if compact => Span::raw("│ ●"),
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
fn help_hint(view: View<'_>, background: Color) -> Line<'static> {
    match view.keymap.keys(Layer::Global, Action::Help).first() {
        Some(key) => Line::from(vec![
            Span::styled(key.symbol(), view.theme.footer_key().bg(background)),
            Span::raw(" help "),
        ]),
        None => Line::default(),
    }
}
