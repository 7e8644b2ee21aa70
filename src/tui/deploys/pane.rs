//! The deploys pane: the services and their latest deploy above; below, the selected
//! service's timeline (each stage's status and time, the running one lit), its older
//! deploys, and the log tail of the stage that matters (running, else failed, else last).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};

use super::{STAGES, shown_stage};
use crate::deploy::model::{DeployState, Deployment, StageRun, StageStatus};
use crate::format::age;
use crate::tui::screen::{View, draw_empty, pane_block, render_table};
use crate::tui::theme::Theme;

/// The timeline's width; the log tail takes the rest.
const TIMELINE_WIDTH: u16 = 48;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let names = view.state.service_names();
    if names.is_empty() {
        let message = "No services yet.".to_string();
        draw_empty(
            frame,
            area,
            pane_block(view, "Deploys"),
            message,
            view.theme,
        );
        return;
    }
    let list_rows = (names.len() as u16 + 3).min(area.height / 3).max(4);
    let [list, below] =
        Layout::vertical([Constraint::Length(list_rows), Constraint::Fill(1)]).areas(area);
    draw_list(frame, list, view, &names);
    let selected = view.state.deploys.selected.min(names.len() - 1);
    let latest = latest(view, names[selected]);
    let [timeline, log] =
        Layout::horizontal([Constraint::Length(TIMELINE_WIDTH), Constraint::Fill(1)]).areas(below);
    draw_timeline(frame, timeline, view, names[selected], latest);
    draw_log(frame, log, view, latest);
}

fn latest<'a>(view: View<'a>, service: &str) -> Option<&'a Deployment> {
    let snapshot = view.state.snapshot.as_ref()?;
    snapshot.deploys.iter().find(|d| d.service == service)
}

fn draw_list(frame: &mut Frame, area: Rect, view: View, names: &[&str]) {
    let now = view.state.now_ms;
    let rows = names.iter().map(|&name| match latest(view, name) {
        Some(d) => Row::new(vec![
            Span::raw(name.to_string()),
            Span::styled(d.state.as_str(), state_style(view.theme, d.state)),
            Span::raw(short(d.commit.as_deref())),
            Span::raw(d.git_ref.clone()),
            Span::raw(format!("{} by {}", d.trigger, d.by)),
            Span::raw(age(d.started_at, now)),
            Span::raw(seconds(d.took_ms(now))),
        ]),
        None => Row::new(vec![
            Span::raw(name.to_string()),
            Span::styled("—", view.theme.dim()),
        ]),
    });
    let header = Row::new([
        "SERVICE", "STATE", "COMMIT", "REF", "TRIGGER", "STARTED", "TOOK",
    ]);
    let widths = [
        Constraint::Length(16),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Length(10),
        Constraint::Length(7),
    ];
    let table = Table::new(rows, widths).block(pane_block(view, "Deploys"));
    let selected = Some(view.state.deploys.selected.min(names.len() - 1));
    render_table(frame, area, view.theme, table, Some(header), selected);
}

fn draw_timeline(
    frame: &mut Frame,
    area: Rect,
    view: View,
    service: &str,
    latest: Option<&Deployment>,
) {
    let theme = view.theme;
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(format!(" {service} "));
    let Some(deploy) = latest else {
        let message = "Never deployed: D deploys it.".to_string();
        draw_empty(frame, area, block, message, theme);
        return;
    };
    let now = view.state.now_ms;
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("#{} ", deploy.id), theme.dim()),
        Span::styled(deploy.state.as_str(), state_style(theme, deploy.state)),
        Span::raw(format!(
            " · {} @ {}",
            deploy.git_ref,
            short(deploy.commit.as_deref())
        )),
    ])];
    lines.push(Line::styled(
        format!(
            "{} by {} · {}",
            deploy.trigger,
            deploy.by,
            age(deploy.started_at, now)
        ),
        theme.dim(),
    ));
    if let Some(colours) = deploy.colours {
        let text = format!(
            "release in {} · {} serves",
            colours.release.as_str(),
            colours.serving.as_str()
        );
        lines.push(Line::styled(text, theme.dim()));
    }
    lines.push(Line::default());
    lines.extend(deploy.stages.iter().map(|s| stage_line(theme, s, now)));
    if let Some(line) = decision_line(theme, deploy, now) {
        lines.push(line);
    }
    if deploy.state.is_active() {
        // A blue-green deploy ends by draining the old colour; the stages to come are the
        // ones after the last reached (a soak not set is skipped by the drain).
        let drain = deploy.colours.map(|_| crate::deploy::model::Stage::Drain);
        let order: Vec<_> = STAGES.iter().copied().chain(drain).collect();
        let at = |stage| order.iter().position(|&o| o == stage);
        let last = deploy.stages.iter().filter_map(|s| at(s.stage)).max();
        let pending = order.iter().skip(last.map_or(0, |i| i + 1));
        lines.extend(pending.map(|s| Line::styled(format!("  · {:<9}", s.as_str()), theme.dim())));
    }
    if let Some(cause) = &deploy.cause {
        lines.push(Line::styled(
            format!("cause: {cause}"),
            Style::new().fg(theme.danger),
        ));
    }
    let older: Vec<Line> = (view.state.deploys.older(service, Some(deploy.id)))
        .map(|d| older_line(theme, d, now))
        .collect();
    if !older.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled(
            "earlier",
            theme.dim().add_modifier(Modifier::BOLD),
        ));
        lines.extend(older);
    }
    let timeline = Paragraph::new(lines).wrap(Wrap { trim: false });
    frame.render_widget(timeline.block(block), area);
}

/// A waiting deploy's keys; once decided, who did it and when.
fn decision_line(theme: &Theme, deploy: &Deployment, now: u64) -> Option<Line<'static>> {
    if deploy.state == DeployState::Waiting {
        // The approval stage's log (beside) names the role it waits for.
        let style = Style::new().fg(theme.warn).add_modifier(Modifier::BOLD);
        return Some(Line::styled(
            "waits for an approval: A approves, X rejects",
            style,
        ));
    }
    let approval = deploy.approval.as_ref()?;
    let word = if approval.approved {
        "approved"
    } else {
        "rejected"
    };
    let text = format!("{word} by {} {}", approval.by, age(approval.at, now));
    Some(Line::styled(text, theme.dim()))
}

/// `▶ gate      running   1.2s`, lit while it runs.
fn stage_line(theme: &Theme, stage: &StageRun, now: u64) -> Line<'static> {
    let (mark, style) = match stage.status {
        StageStatus::Running => ("▶", theme.selection().add_modifier(Modifier::BOLD)),
        StageStatus::Passed => ("✓", Style::new().fg(theme.ok)),
        StageStatus::Failed => ("✗", Style::new().fg(theme.danger)),
    };
    let status = match stage.status {
        StageStatus::Running => "running",
        StageStatus::Passed => "passed",
        StageStatus::Failed => "failed",
    };
    let took = stage
        .ended_at
        .unwrap_or(now)
        .saturating_sub(stage.started_at);
    let text = format!(
        "{mark} {:<9}{status:<9}{:>7}",
        stage.stage.as_str(),
        seconds(took)
    );
    Line::styled(text, style)
}

fn older_line(theme: &Theme, deploy: &Deployment, now: u64) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("#{:<4}", deploy.id), theme.dim()),
        Span::styled(
            format!("{:<12}", deploy.state.as_str()),
            state_style(theme, deploy.state),
        ),
        Span::raw(format!("{:<8}", short(deploy.commit.as_deref()))),
        Span::styled(age(deploy.started_at, now), theme.dim()),
    ])
}

fn draw_log(frame: &mut Frame, area: Rect, view: View, latest: Option<&Deployment>) {
    let stage = latest.and_then(shown_stage);
    let title = stage.map_or(" log ".to_string(), |s| {
        format!(" log · {} ", s.stage.as_str())
    });
    let block = Block::bordered()
        .border_style(view.theme.border(false))
        .title(title);
    let text = stage.map_or("", |s| s.log.as_str());
    let inner_rows = usize::from(area.height.saturating_sub(2));
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(inner_rows)..].join("\n");
    frame.render_widget(Paragraph::new(tail).block(block), area);
}

fn state_style(theme: &Theme, state: DeployState) -> Style {
    match state {
        DeployState::Running => Style::new().fg(theme.info).add_modifier(Modifier::BOLD),
        DeployState::Succeeded => Style::new().fg(theme.ok),
        DeployState::Waiting => Style::new().fg(theme.warn).add_modifier(Modifier::BOLD),
        DeployState::Skipped | DeployState::Rejected => Style::new().fg(theme.dim),
        DeployState::Failed | DeployState::RolledBack => Style::new().fg(theme.danger),
    }
}

fn short(commit: Option<&str>) -> String {
    commit.map_or("", |c| c.get(..7).unwrap_or(c)).to_string()
}

fn seconds(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}
