//! The environments pane: the workspace's environments (the active one marked, each with
//! its colour and whether it asks for its name) beside what switching to the selected one
//! changes — services added, removed and changed with their fields, what restarts — above
//! the unified diff of the effective config, which scrolls.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

use crate::protocol::{ChangeKind, ConfigStatus, EnvironmentInfo, ServiceChange};
use crate::tui::action::Action;
use crate::tui::chrome::text_dialog;
use crate::tui::config::{Fetch, PlanText, Preview, environment_colour, plan_summary};
use crate::tui::keymap::Layer;
use crate::tui::screen::{View, pane_block, render_table};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// Below this width the preview goes under the list instead of beside it.
const SIDE_BY_SIDE: u16 = 90;
/// The list's width beside the preview.
const LIST_WIDTH: u16 = 40;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let state = view.state;
    let block = pane_block(view, "Environments").title_bottom(history_hint(view));
    let status = match state.config_status() {
        Some(status) if !status.environments.is_empty() => status,
        Some(_) => {
            let message =
                "The workspace declares no environments (`environments:` in univers.yaml).";
            crate::tui::screen::draw_empty(frame, area, block, message.into(), theme);
            return;
        }
        None => {
            let message = "Waiting for the engine…".to_string();
            crate::tui::screen::draw_empty(frame, area, block, message, theme);
            return;
        }
    };
    let (list, preview) = split(area, status.environments.len());
    let rows = status.environments.iter().map(|e| row(e, view, status));
    let widths = [
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(11),
        Constraint::Length(7),
    ];
    let selected = state.config.env_row(status.environments.len());
    let table = Table::new(rows, widths).block(block);
    render_table(frame, list, theme, table, None, selected);
    draw_preview(frame, preview, view);
}

/// The list's area and the preview's.
fn split(area: Rect, environments: usize) -> (Rect, Rect) {
    if area.width >= SIDE_BY_SIDE {
        let [list, preview] =
            Layout::horizontal([Constraint::Length(LIST_WIDTH), Constraint::Fill(1)]).areas(area);
        return (list, preview);
    }
    let rows = u16::try_from(environments)
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let [list, preview] =
        Layout::vertical([Constraint::Length(rows), Constraint::Fill(1)]).areas(area);
    (list, preview)
}

/// `● prod  ██ red  typed`: active marker, name, colour swatch, whether the name is typed.
fn row<'a>(env: &'a EnvironmentInfo, view: View<'a>, status: &ConfigStatus) -> Row<'a> {
    let theme = view.theme;
    let active = view.state.environment() == Some(env.name.as_str());
    let marker = if active {
        Span::styled("●", Style::new().fg(theme.ok))
    } else {
        Span::raw(" ")
    };
    let name = if active {
        Span::styled(env.name.as_str(), Style::new().add_modifier(Modifier::BOLD))
    } else {
        Span::raw(env.name.as_str())
    };
    let colour = environment_colour(status, Some(&env.name), theme);
    let swatch = match colour {
        Some(colour) => {
            let label = env.theme.clone().unwrap_or_else(|| "red".into());
            Line::from(vec![
                Span::styled("██ ", Style::new().fg(colour)),
                Span::raw(label),
            ])
        }
        None => Line::styled("-", theme.dim()),
    };
    let confirm = if env.confirm {
        Span::styled("confirm", Style::new().fg(theme.warn))
    } else {
        Span::raw("")
    };
    Row::new([
        Cell::from(marker),
        Cell::from(name),
        Cell::from(swatch),
        Cell::from(confirm),
    ])
}

/// `h history`, from the live keymap.
fn history_hint(view: View<'_>) -> Line<'static> {
    match view
        .keymap
        .keys(Layer::Environments, Action::ConfigHistory)
        .first()
    {
        Some(key) => Line::from(vec![
            Span::styled(format!(" {}", key.symbol()), view.theme.footer_key()),
            Span::styled(" history ", view.theme.dim()),
        ]),
        None => Line::default(),
    }
}

fn draw_preview(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let Some(preview) = &view.state.config.preview else {
        return;
    };
    let active = view.state.environment() == Some(preview.environment.as_str());
    let title = if active {
        format!(" {} (active) · edits on disk ", preview.environment)
    } else {
        format!(" Switch to {} ", preview.environment)
    };
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(Span::styled(
            title,
            Style::new().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match &preview.plan {
        Fetch::Loading => {
            frame.render_widget(Paragraph::new("loading…").style(theme.dim()), inner);
        }
        Fetch::Failed(error) => {
            let text = format!("cannot plan the switch: {error}");
            let paragraph = Paragraph::new(text)
                .style(Style::new().fg(theme.danger))
                .wrap(Wrap { trim: false });
            frame.render_widget(paragraph, inner);
        }
        Fetch::Ready(text) => draw_plan(frame, inner, view, text),
    }
}

/// The summary and changes, fixed; the diff below them, scrolled.
fn draw_plan(frame: &mut Frame, area: Rect, view: View, text: &PlanText) {
    let theme = view.theme;
    let head = head_lines(text, theme);
    let head_rows = u16::try_from(head.len()).unwrap_or(u16::MAX);
    let [head_area, diff_area] =
        Layout::vertical([Constraint::Length(head_rows), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(head), head_area);
    let rows = usize::from(diff_area.height);
    let lines: Vec<Line> = text
        .lines
        .iter()
        .skip(view.state.config.preview_scroll)
        .take(rows)
        .map(|l| text_dialog::diff_line(l, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), diff_area);
}

/// The summary, one line per changed service, and a blank line before the diff.
fn head_lines<'a>(text: &'a PlanText, theme: &Theme) -> Vec<Line<'a>> {
    let plan = &text.plan;
    let summary = if plan.is_empty() {
        "nothing changes".to_string()
    } else {
        plan_summary(plan)
    };
    let mut lines = vec![Line::styled(
        summary,
        Style::new().add_modifier(Modifier::BOLD),
    )];
    lines.extend(plan.changes.iter().map(|c| change_line(c, theme)));
    if !text.lines.is_empty() {
        lines.push(Line::default());
    }
    lines
}

/// `+ cache  starts`, `~ api  env.LOG_LEVEL, command  ↻ restarts`, `- old  stops`.
fn change_line<'a>(change: &'a ServiceChange, theme: &Theme) -> Line<'a> {
    let (sign, colour, effect) = match change.kind {
        ChangeKind::Added => ("+", theme.ok, "▶ starts"),
        ChangeKind::Removed => ("-", theme.danger, "■ stops"),
        ChangeKind::Changed => ("~", theme.warn, "↻ restarts"),
    };
    let mut spans = vec![
        Span::styled(format!(" {sign} "), Style::new().fg(colour)),
        Span::styled(
            change.service.as_str(),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ];
    if !change.fields.is_empty() {
        spans.push(Span::styled(
            format!("  {}", change.fields.join(", ")),
            theme.accent(),
        ));
    }
    let effect = if change.acts {
        Span::styled(format!("  {effect}"), Style::new().fg(theme.warn))
    } else {
        Span::styled("  no restart", theme.dim())
    };
    spans.push(effect);
    Line::from(spans)
}

/// Diff rows the preview shows on this screen: what one page scrolls.
pub fn preview_rows(state: &State) -> usize {
    let status = state.config_status();
    let count = status.map_or(0, |s| s.environments.len());
    let body = Rect::new(0, 0, state.screen.0, crate::tui::screen::body_rows(state));
    let (_, preview) = split(body, count);
    let head = match &state.config.preview {
        Some(Preview {
            plan: Fetch::Ready(text),
            ..
        }) => text.plan.changes.len() + 2,
        _ => 0,
    };
    usize::from(preview.height.saturating_sub(2))
        .saturating_sub(head)
        .max(1)
}
