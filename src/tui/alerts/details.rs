//! The selected alert's details: its summary and description (rendered by the engine), the
//! other annotations, every label, when it started, fired and resolved, who acknowledged it
//! and which silence mutes it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::pane::state_span;
use crate::alerts::{Alert, AlertState};
use crate::format;
use crate::tui::screen::View;
use crate::tui::theme::Theme;

/// Annotations shown first, in this order, without their names.
const PROSE: [&str; 2] = ["summary", "description"];
const NAME_WIDTH: usize = 11;

/// The details' lines, before wrapping.
pub fn lines(alert: &Alert, view: View<'_>) -> Vec<Line<'static>> {
    let theme = view.theme;
    let now = view.state.now_ms;
    let mut lines = Vec::new();
    if let Some(summary) = alert.annotations.get("summary") {
        let style = Style::new().add_modifier(Modifier::BOLD);
        lines.push(Line::styled(summary.clone(), style));
    }
    if let Some(description) = alert.annotations.get("description") {
        lines.push(Line::raw(description.clone()));
    }
    for (name, value) in &alert.annotations {
        if !PROSE.contains(&name.as_str()) {
            lines.push(field(name, vec![Span::raw(value.clone())], theme));
        }
    }
    let labels: Vec<String> = alert
        .labels
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    lines.push(field("labels", vec![Span::raw(labels.join(" "))], theme));
    let state = vec![
        state_span(alert, theme),
        Span::styled(
            format!(" {}", alert.severity),
            theme.severity(alert.severity),
        ),
        Span::raw(format!(" · value {}", alert.value_text())),
    ];
    lines.push(field("state", state, theme));
    lines.push(field("times", times(alert, now), theme));
    if let Some(ack) = &alert.ack {
        let mut text = format!("by {} {}", ack.by, format::age(ack.at, now));
        if let Some(comment) = &ack.comment {
            text.push_str(&format!(": {comment}"));
        }
        lines.push(field("acked", vec![Span::raw(text)], theme));
    }
    if let Some(id) = &alert.silenced_by {
        lines.push(field("silenced", silence(id, view), theme));
    }
    lines
}

pub fn draw(frame: &mut Frame, area: Rect, view: View, lines: Vec<Line<'static>>) {
    let theme = view.theme;
    let Some(alert) = view.state.selected_alert() else {
        return;
    };
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(Line::from(vec![
            Span::raw(" "),
            Span::styled(
                alert.rule.clone(),
                theme.accent().add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!(" · {} ", alert.id), theme.dim()),
        ]));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// `labels     alertname=HighCpu …`: a dim name column, then the value.
fn field(name: &str, mut value: Vec<Span<'static>>, theme: &Theme) -> Line<'static> {
    value.insert(0, Span::styled(format!("{name:<NAME_WIDTH$}"), theme.dim()));
    Line::from(value)
}

/// `started 4m12s ago · fired 3m12s ago · resolved 10s ago`
fn times(alert: &Alert, now: u64) -> Vec<Span<'static>> {
    let mut parts = vec![format!("started {}", format::age(alert.active_since, now))];
    if let Some(at) = alert.fired_at {
        parts.push(format!("fired {}", format::age(at, now)));
    } else if alert.state == AlertState::Pending {
        parts.push("not fired yet".to_string());
    }
    if let Some(at) = alert.resolved_at {
        parts.push(format!("resolved {}", format::age(at, now)));
    }
    vec![Span::raw(parts.join(" · "))]
}

/// `a1b2c3d4 (service=api) for 1h55m more`, or the bare id when the list lacks it.
fn silence(id: &str, view: View<'_>) -> Vec<Span<'static>> {
    let theme = view.theme;
    let mut spans = vec![Span::styled(id.to_string(), theme.accent())];
    if let Some(silence) = view.state.silences().iter().find(|s| s.id == id) {
        let matchers: Vec<String> = silence.matchers.iter().map(ToString::to_string).collect();
        let left = format::remaining(silence.ends_at, view.state.now_ms);
        spans.push(Span::raw(format!(
            " ({}) by {} for {left} more",
            matchers.join(" "),
            silence.created_by
        )));
    }
    spans
}
