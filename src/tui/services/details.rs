//! The selected service's health, below the services table in place of its graphs: its
//! restart state and probes on the left (verdict, target, latency, age, failures, the
//! failure's output), its recent heal events on the right, newest first, with the
//! workspace-wide ones (playbook runs) among them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::table::{self as services, health_symbol};
use crate::format;
use crate::heal::{HealEvent, HealKind};
use crate::protocol::{Health, NoticeLevel, ProbeStatus, ServiceStatus};
use crate::tui::screen::{View, draw_empty};
use crate::tui::theme::Theme;

/// Lines of a probe's failure output shown; the rest is in the service's logs.
const OUTPUT_LINES: usize = 3;
/// Left of a heal event's detail and attached log lines.
const INDENT: &str = "           ";

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let Some(service) = view.state.selected() else {
        let block = Block::bordered().border_style(theme.border(false));
        let message = "Select a service to see its probes and heal events.".to_string();
        draw_empty(frame, area, block, message, theme);
        return;
    };
    let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(
            service.name.as_str(),
            theme.accent().add_modifier(Modifier::BOLD),
        ),
        Span::styled(" · probes and restarts ", theme.dim()),
    ]);
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(title);
    let health = Paragraph::new(health_lines(service, view))
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(health, left);
    draw_events(frame, right, view, service);
}

/// The restart state, then each probe.
fn health_lines<'a>(service: &'a ServiceStatus, view: View<'a>) -> Vec<Line<'a>> {
    let theme = view.theme;
    let restarts = if service.restarts > 0 {
        Style::new().fg(theme.warn)
    } else {
        theme.dim()
    };
    let mut lines = vec![
        services::state_line(service, view.state.now_ms, theme),
        Line::from(vec![
            Span::styled("restarts ", theme.dim()),
            Span::styled(service.restarts.to_string(), restarts),
            Span::styled(" after a crash · ", theme.dim()),
            Span::raw(service.user_restarts.to_string()),
            Span::styled(" asked for", theme.dim()),
        ]),
    ];
    lines.extend(link_lines(service, theme));
    lines.push(Line::default());
    if service.probes.is_empty() {
        lines.push(Line::styled(
            "No probes: add readiness or liveness to the service.",
            theme.dim(),
        ));
    }
    for probe in &service.probes {
        lines.extend(probe_lines(probe, view));
    }
    lines
}

/// Links with other workspaces: `depends on operation/db`, `needed by hvac/api`.
fn link_lines<'a>(service: &'a ServiceStatus, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let remote = service.remote_dependencies();
    if !remote.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("depends on ", theme.dim()),
            Span::raw(remote.join(", ")),
        ]));
    }
    let mut needed = vec![Span::styled("needed by ", theme.dim())];
    for (i, d) in service.needed_by.iter().enumerate() {
        if i > 0 {
            needed.push(Span::styled(", ", theme.dim()));
        }
        needed.push(Span::raw(d.service.as_str()));
        if !d.active {
            needed.push(Span::styled(" (not running)", theme.dim()));
        }
    }
    if !service.needed_by.is_empty() {
        lines.push(Line::from(needed));
    }
    lines
}

/// `✓ readiness  http://…/health`, then `passing · 3.2ms · 2s ago`, then why it failed.
fn probe_lines<'a>(probe: &'a ProbeStatus, view: View<'a>) -> Vec<Line<'a>> {
    let theme = view.theme;
    let verdict = theme.health(probe.state);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", health_symbol(probe.state)), verdict),
        Span::styled(
            format!("{:<10} ", probe.kind.as_str()),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::raw(probe.target.as_str()),
    ])];
    let word = match probe.state {
        Health::Healthy => "passing",
        Health::Unhealthy => "failing",
        Health::Unknown => "not passed yet",
    };
    let mut facts = vec![Span::styled(word, verdict)];
    let mut fact = |text: String, style: Style| {
        facts.push(Span::styled(" · ", theme.dim()));
        facts.push(Span::styled(text, style));
    };
    match probe.failures {
        0 => {}
        1 => fact("1 failure".into(), Style::new().fg(theme.warn)),
        n => fact(
            format!("{n} failures in a row"),
            Style::new().fg(theme.warn),
        ),
    }
    if let Some(us) = probe.latency_us {
        fact(format::latency(us), theme.dim());
    }
    match probe.checked_at {
        Some(at) => fact(
            format!("checked {}", format::age(at, view.state.now_ms)),
            theme.dim(),
        ),
        None => fact("not run yet".into(), theme.dim()),
    }
    let mut facts = Line::from(facts);
    facts.spans.insert(0, Span::raw("  "));
    lines.push(facts);
    let output = probe
        .output
        .as_deref()
        .filter(|_| probe.last_ok != Some(true));
    for line in output.into_iter().flat_map(str::lines).take(OUTPUT_LINES) {
        lines.push(Line::styled(
            format!("  {line}"),
            Style::new().fg(theme.danger),
        ));
    }
    lines
}

/// The service's heal events and the workspace's playbook runs, newest first, with a
/// give-up's attached log lines.
fn draw_events(frame: &mut Frame, area: Rect, view: View, service: &ServiceStatus) {
    let theme = view.theme;
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(Span::styled(" heal events ", theme.dim()));
    let mut events = view.state.heal.around(&service.name).peekable();
    if events.peek().is_none() {
        let message = "No heal events in the last 24 hours.".to_string();
        draw_empty(frame, area, block, message, theme);
        return;
    }
    let lines: Vec<Line> = events.flat_map(|e| event_lines(e, theme)).collect();
    let events = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(events, area);
}

/// `12:00:01 backoff  exited with code 1; restarting in 4s`, its detail's first line, and
/// the log lines a give-up carries. A workspace-wide event says so and stays one line: its
/// detail is the whole report (`uc heal history` shows it).
fn event_lines<'a>(event: &'a HealEvent, theme: &Theme) -> Vec<Line<'a>> {
    let clock = format::clock_ms(event.at);
    let mut head = vec![
        Span::styled(format!("{} ", &clock[..8]), theme.dim()),
        Span::styled(
            format!("{:<9}", event.kind.as_str()),
            kind_style(event.kind, theme),
        ),
    ];
    if event.service.is_none() {
        head.push(Span::styled("workspace · ", theme.dim()));
    }
    head.push(Span::raw(event.reason.as_str()));
    if !event.logs.is_empty() {
        let count = event.logs.len();
        let text = format!(
            " · {count} log line{} attached",
            if count == 1 { "" } else { "s" }
        );
        head.push(Span::styled(text, theme.accent()));
    }
    let mut lines = vec![Line::from(head)];
    let detail = event.detail.as_deref().filter(|_| event.service.is_some());
    if let Some(detail) = detail.and_then(|d| d.lines().next()) {
        lines.push(Line::styled(format!("{INDENT}{detail}"), theme.dim()));
    }
    for log in &event.logs {
        lines.push(Line::styled(format!("{INDENT}│ {log}"), theme.dim()));
    }
    lines
}

fn kind_style(kind: HealKind, theme: &Theme) -> Style {
    match kind {
        HealKind::Restart | HealKind::Backoff => Style::new().fg(theme.warn),
        HealKind::GaveUp => Style::new().fg(theme.danger).add_modifier(Modifier::BOLD),
        HealKind::Probe => theme.level(NoticeLevel::Info),
        HealKind::Playbook => theme.accent(),
    }
}
