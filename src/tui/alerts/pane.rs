//! The alerts pane: a red box when the rules or channels file failed to load, the alerts
//! table (firing, pending, resolved; most severe first), the selected alert's details below
//! it (beside it on wide terminals) and a line of channel health.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

use super::details as alert_details;
use crate::alerts::{Alert, AlertState, AlertingInfo, ChannelInfo};
use crate::format;
use crate::tui::screen::{View, pane_block, render_table};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// From this width the details sit beside the table instead of below it.
const SIDE_BY_SIDE_WIDTH: u16 = 140;
/// The table's lowest height when the details share the column: borders, header, 2 rows.
const TABLE_MIN_HEIGHT: u16 = 5;
/// The rules error box's tallest.
const PROBLEM_MAX_HEIGHT: u16 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    State,
    Severity,
    Rule,
    Labels,
    Value,
    Age,
    Ack,
    Silenced,
}

impl Column {
    const ALL: [Self; 8] = [
        Self::State,
        Self::Severity,
        Self::Rule,
        Self::Labels,
        Self::Value,
        Self::Age,
        Self::Ack,
        Self::Silenced,
    ];
    /// The order columns are given up in when the table is narrow: last goes first.
    const BY_PRIORITY: [Self; 8] = [
        Self::State,
        Self::Rule,
        Self::Labels,
        Self::Age,
        Self::Ack,
        Self::Silenced,
        Self::Severity,
        Self::Value,
    ];

    fn title(self) -> &'static str {
        match self {
            Self::State => "STATE",
            Self::Severity => "SEVERITY",
            Self::Rule => "RULE",
            Self::Labels => "LABELS",
            Self::Value => "VALUE",
            Self::Age => "AGE",
            Self::Ack => "ACK",
            Self::Silenced => "SILENCED",
        }
    }

    /// (constraint, narrowest useful width); `rule` and `ack` fit the rows.
    fn width(self, rule: u16, ack: u16) -> (Constraint, u16) {
        match self {
            Self::State => (Constraint::Length(10), 10),
            Self::Severity => (Constraint::Length(8), 8),
            Self::Rule => (Constraint::Length(rule), rule),
            Self::Labels => (Constraint::Fill(1), 12),
            Self::Value => (Constraint::Length(8), 8),
            Self::Age => (Constraint::Length(6), 6),
            Self::Ack => (Constraint::Length(ack), ack),
            Self::Silenced => (Constraint::Length(10), 10),
        }
    }
}

/// The columns that fit in `width`, in display order.
fn columns(width: u16, rule: u16, ack: u16) -> Vec<Column> {
    let mut used = 0u16;
    let mut kept = Vec::new();
    for column in Column::BY_PRIORITY {
        let (_, min) = column.width(rule, ack);
        if used + min > width && !kept.is_empty() {
            break;
        }
        used += min + 1;
        kept.push(column);
    }
    Column::ALL
        .into_iter()
        .filter(|c| kept.contains(c))
        .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let info = view.state.alerting();
    let problem = info.and_then(|i| i.problem.as_deref());
    let problem_height = problem.map_or(0, |p| problem_height(p, area.width));
    let [problem_area, main, channels_area] = Layout::vertical([
        Constraint::Length(problem_height),
        Constraint::Fill(1),
        Constraint::Length(u16::from(info.is_some())),
    ])
    .areas(area);
    if let Some(problem) = problem {
        draw_problem(frame, problem_area, view, problem);
    }
    if let Some(info) = info {
        draw_channels(frame, channels_area, view, info);
    }
    let details = view
        .state
        .selected_alert()
        .map(|alert| alert_details::lines(alert, view));
    let Some(details) = details else {
        draw_table(frame, main, view);
        return;
    };
    let (table_area, details_area) = split(main, view.state.alerts.alerts.len(), details.len());
    draw_table(frame, table_area, view);
    alert_details::draw(frame, details_area, view, details);
}

/// The table's and the details' areas: side by side when wide, else the details below,
/// as tall as their lines when there is room, at least half when there is not.
fn split(area: Rect, rows: usize, detail_lines: usize) -> (Rect, Rect) {
    if area.width >= SIDE_BY_SIDE_WIDTH {
        let [table, details] =
            Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(area);
        return (table, details);
    }
    let want = |n: usize| u16::try_from(n.saturating_add(3)).unwrap_or(u16::MAX);
    let table_wants = want(rows);
    let details_wants = want(detail_lines).saturating_sub(1);
    let room = area.height.saturating_sub(TABLE_MIN_HEIGHT);
    let details = details_wants
        .min(area.height.saturating_sub(table_wants).max(area.height / 2))
        .min(room);
    let [table, details] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(details)]).areas(area);
    (table, details)
}

/// Rows of alerts one page up or down moves: about what the table shows on this screen.
pub fn page_rows(state: &State) -> usize {
    // Header, status and footer lines; the table's borders and header; the channels line.
    usize::from(crate::tui::screen::screen_rows(state).saturating_sub(7) / 2).max(1)
}

fn draw_table(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let state = view.state;
    let block = pane_block(view, "Alerts")
        .title_top(Line::styled(rules_summary(state.alerting()), theme.dim()).right_aligned());
    if state.alerts.alerts.is_empty() {
        crate::tui::screen::draw_empty(frame, area, block, empty_message(state), theme);
        return;
    }
    let fit = |n: usize, min: usize, max: usize| n.clamp(min, max) as u16;
    let rule = fit(
        state.alert_rows().map(|a| a.rule.len()).max().unwrap_or(0),
        4,
        24,
    );
    let ack = fit(
        state
            .alert_rows()
            .filter_map(|a| a.ack.as_ref())
            .map(|a| a.by.chars().count() + 2)
            .max()
            .unwrap_or(0),
        3,
        14,
    );
    // Borders and the selection symbol take 4 columns.
    let columns = columns(area.width.saturating_sub(4), rule, ack);
    let widths = columns.iter().map(|c| c.width(rule, ack).0);
    let rows = state.alert_rows().map(|a| row(a, &columns, view));
    let header = Row::new(columns.iter().map(|c| c.title()));
    let table = Table::new(rows, widths).block(block);
    let selected = state.alerts.alerts.row();
    render_table(frame, area, theme, table, Some(header), selected);
}

/// ` 12 rules · configs/rules.yaml `, for the table's title.
fn rules_summary(info: Option<&AlertingInfo>) -> String {
    match info {
        Some(info) => {
            let file = info.rules_file.as_deref().unwrap_or("built in");
            let plural = if info.rules == 1 { "" } else { "s" };
            format!(" {} rule{plural} · {file} ", info.rules)
        }
        None => String::new(),
    }
}

fn empty_message(state: &State) -> String {
    match state.alerting() {
        None if state.connected => "Waiting for the engine's snapshot…".to_string(),
        None => "Connecting to the engine…".to_string(),
        Some(info) => {
            let from = match &info.rules_file {
                Some(file) => format!("loaded from {file}"),
                None => "built in (set alerts.rules in univers.yaml for your own)".to_string(),
            };
            format!(
                "No alerts. Rules: {} {from}.\nAn alert shows here once a rule's condition holds.",
                info.rules
            )
        }
    }
}

fn row<'a>(alert: &'a Alert, columns: &[Column], view: View<'a>) -> Row<'a> {
    let row = Row::new(columns.iter().map(|&c| cell(c, alert, view)));
    match alert.state {
        AlertState::Resolved => row.style(view.theme.dim()),
        _ => row,
    }
}

fn cell<'a>(column: Column, alert: &'a Alert, view: View<'a>) -> Cell<'a> {
    let theme = view.theme;
    let resolved = alert.state == AlertState::Resolved;
    // A resolved alert is history: its colours would compete with the live ones.
    let colour = if resolved {
        theme.dim()
    } else {
        theme.severity(alert.severity)
    };
    match column {
        Column::State => Cell::from(state_span(alert, theme)),
        Column::Severity => Cell::from(Span::styled(alert.severity.as_str(), colour)),
        Column::Rule => Cell::from(Span::styled(
            alert.rule.as_str(),
            Style::new().add_modifier(Modifier::BOLD),
        )),
        Column::Labels => Cell::from(key_labels(alert)),
        Column::Value => Cell::from(alert.value_text()),
        Column::Age => Cell::from(format::duration(age_secs(alert, view.state.now_ms))),
        Column::Ack => match &alert.ack {
            Some(ack) => Cell::from(Span::styled(
                format!("✓ {}", ack.by),
                Style::new().fg(theme.ok),
            )),
            None => Cell::from(Span::styled("-", theme.dim())),
        },
        Column::Silenced => match &alert.silenced_by {
            Some(id) => Cell::from(Span::styled(format!("⊘ {id}"), theme.accent())),
            None => Cell::from(Span::styled("-", theme.dim())),
        },
    }
}

/// `● firing` (bold), `◌ pending`, `✓ resolved` (dim), in the severity's colour.
pub fn state_span(alert: &Alert, theme: &Theme) -> Span<'static> {
    let style = theme.severity(alert.severity);
    match alert.state {
        AlertState::Firing => Span::styled("● firing", style.add_modifier(Modifier::BOLD)),
        AlertState::Pending => Span::styled("◌ pending", style),
        AlertState::Resolved => Span::styled("✓ resolved", theme.dim()),
    }
}

/// The labels that tell alerts of one rule apart: all but `alertname` and `severity`.
fn key_labels(alert: &Alert) -> String {
    let labels: Vec<String> = alert
        .labels
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "alertname" | "severity"))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    labels.join(" ")
}

/// Since it fired, or since it started to hold while pending.
fn age_secs(alert: &Alert, now_ms: u64) -> u64 {
    let since = alert.fired_at.unwrap_or(alert.active_since);
    now_ms.saturating_sub(since) / 1000
}

/// Borders plus the wrapped text, within [`PROBLEM_MAX_HEIGHT`].
fn problem_height(problem: &str, width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let lines = problem.chars().count().div_ceil(inner) + PROBLEM_HINT.len().div_ceil(inner);
    u16::try_from(lines + 2)
        .unwrap_or(u16::MAX)
        .min(PROBLEM_MAX_HEIGHT)
}

const PROBLEM_HINT: &str = "The previous rules and channels stay in use until the file loads.";

fn draw_problem(frame: &mut Frame, area: Rect, view: View, problem: &str) {
    let theme = view.theme;
    let danger = Style::new().fg(theme.danger);
    let block = Block::bordered().border_style(danger).title(Span::styled(
        " ✗ Alerting configuration error ",
        danger.add_modifier(Modifier::BOLD),
    ));
    let text = vec![
        Line::styled(problem.to_string(), danger.add_modifier(Modifier::BOLD)),
        Line::styled(PROBLEM_HINT, theme.dim()),
    ];
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        area,
    );
}

/// ` Channels  slack ✓ · email ✗ SMTP_HOST is not set · webhook 3 queued ✗ timeout`
fn draw_channels(frame: &mut Frame, area: Rect, view: View, info: &AlertingInfo) {
    let theme = view.theme;
    let mut spans = vec![Span::styled(
        " Channels ",
        theme.accent().add_modifier(Modifier::BOLD),
    )];
    if info.channels.is_empty() {
        spans.push(Span::styled(
            " none: alerts show here only (add alerts.channels to univers.yaml)",
            theme.dim(),
        ));
    }
    for (i, channel) in info.channels.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        } else {
            spans.push(Span::raw(" "));
        }
        spans.extend(channel_spans(channel, theme));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn channel_spans(channel: &ChannelInfo, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::raw(channel.name.clone())];
    if let Some(reason) = &channel.disabled {
        spans.push(Span::styled(
            format!(" off: {reason}"),
            Style::new().fg(theme.warn),
        ));
        return spans;
    }
    if channel.queued > 0 {
        spans.push(Span::styled(
            format!(" {} queued", channel.queued),
            Style::new().fg(theme.warn),
        ));
    }
    match &channel.last_error {
        Some(error) => spans.push(Span::styled(
            format!(" ✗ {error}"),
            Style::new().fg(theme.danger),
        )),
        None => spans.push(Span::styled(" ✓", Style::new().fg(theme.ok))),
    }
    spans
}
