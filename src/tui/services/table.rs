//! The services table: name, state, health, CPU (with a sparkline), memory, PID, uptime,
//! restarts and tags of every service that matches the filter, with the selected row
//! highlighted; below it on tall terminals, the selected service's graphs, or its details
//! (probes, restarts, heal events) once asked for.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

use super::details as service_details;
use crate::format;
use crate::protocol::{Health, ProbeKind, ProbeStatus, ServiceState, ServiceStatus};
use crate::tui::graphs::chart as graphs;
use crate::tui::screen::{View, pane_block, render_table};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// The table's columns, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// `●` on a marked row; shown while any row is marked.
    Mark,
    Name,
    State,
    Health,
    Cpu,
    /// CPU over the last seconds, as a sparkline as wide as there is room for.
    Trend,
    Rss,
    Pid,
    Uptime,
    Restarts,
    Tags,
}

/// Widths that depend on the rows and the room.
struct Widths {
    name: u16,
    state: u16,
    /// The widest health cell, within 6..=14.
    health: u16,
    /// The longest tag list, within 8..=24.
    tags: u16,
    trend: u16,
}

/// The sparkline column's narrowest and widest.
const TREND_MIN: u16 = 8;
const TREND_MAX: u16 = 30;
/// Screens at least this tall show the selected service's graphs below the table.
const GRAPHS_MIN_HEIGHT: u16 = 30;
/// The graphs area's lowest height.
const GRAPHS_MIN_ROWS: u16 = 10;
/// The details area's lowest height.
const DETAILS_MIN_ROWS: u16 = 8;
/// The table's lowest height when something is shown below it.
const TABLE_MIN_ROWS: u16 = 6;

impl Column {
    const ALL: [Self; 10] = [
        Self::Name,
        Self::State,
        Self::Health,
        Self::Cpu,
        Self::Trend,
        Self::Rss,
        Self::Pid,
        Self::Uptime,
        Self::Restarts,
        Self::Tags,
    ];
    /// The order columns are given up in when the table is narrow: last goes first.
    const BY_PRIORITY: [Self; 10] = [
        Self::Name,
        Self::State,
        Self::Cpu,
        Self::Rss,
        Self::Uptime,
        Self::Pid,
        Self::Restarts,
        Self::Health,
        Self::Tags,
        Self::Trend,
    ];

    fn title(self) -> &'static str {
        match self {
            Self::Mark => "",
            Self::Name => "NAME",
            Self::State => "STATE",
            Self::Health => "HEALTH",
            Self::Cpu => "CPU",
            Self::Trend => "TREND",
            Self::Rss => "RSS",
            Self::Pid => "PID",
            Self::Uptime => "UPTIME",
            Self::Restarts => "RESTARTS",
            Self::Tags => "TAGS",
        }
    }

    /// (constraint, narrowest useful width). STATE grows to its longest reason, no wider, so
    /// the columns right of it stay near on a wide terminal.
    fn width(self, w: &Widths) -> (Constraint, u16) {
        match self {
            Self::Mark => (Constraint::Length(1), 1),
            Self::Name => (Constraint::Length(w.name), w.name),
            Self::State => (Constraint::Max(w.state), 10),
            Self::Health => (Constraint::Length(w.health), w.health),
            Self::Cpu => (Constraint::Length(6), 6),
            Self::Trend => (Constraint::Length(w.trend), TREND_MIN),
            Self::Rss => (Constraint::Length(6), 6),
            Self::Pid => (Constraint::Length(7), 7),
            Self::Uptime => (Constraint::Length(7), 6),
            Self::Restarts => (Constraint::Length(8), 8),
            Self::Tags => (Constraint::Min(8), 8),
        }
    }
}

/// The columns that fit in `width`, in display order. The sparkline takes what the others
/// leave at their natural widths (STATE and TAGS as wide as their text), within
/// [`TREND_MIN`, `TREND_MAX`], and is the first to go when that is too little.
fn columns(width: u16, w: &mut Widths) -> Vec<Column> {
    let mut used = 0u16;
    let mut kept = Vec::new();
    for column in Column::BY_PRIORITY {
        let (_, min) = column.width(w);
        if used + min > width && !kept.is_empty() {
            break;
        }
        used += min + 1;
        kept.push(column);
    }
    let natural: u16 = kept
        .iter()
        .filter(|&&c| c != Column::Trend)
        .map(|&c| match c {
            Column::State => w.state + 1,
            Column::Tags => w.tags + 1,
            c => c.width(w).1 + 1,
        })
        .sum();
    match width.checked_sub(natural) {
        Some(room) if room >= TREND_MIN => w.trend = room.min(TREND_MAX),
        _ => kept.retain(|&c| c != Column::Trend),
    }
    Column::ALL
        .into_iter()
        .filter(|c| kept.contains(c))
        .collect()
}

/// The table's area and the area below it: the graphs on tall screens, the details on
/// any screen with room for them, the table keeping room for its rows.
pub fn split(area: Rect, state: &State) -> (Rect, Option<Rect>) {
    let (tall, below_min) = if state.details {
        (true, DETAILS_MIN_ROWS)
    } else {
        (
            crate::tui::screen::screen_rows(state) >= GRAPHS_MIN_HEIGHT,
            GRAPHS_MIN_ROWS,
        )
    };
    if !tall || area.height < below_min + TABLE_MIN_ROWS {
        return (area, None);
    }
    // Two borders and the table header.
    let table = u16::try_from(state.visible_len().saturating_add(3)).unwrap_or(u16::MAX);
    let below = area
        .height
        .saturating_sub(table)
        .max(below_min)
        .min(area.height - TABLE_MIN_ROWS);
    let [table, below] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(below)]).areas(area);
    (table, Some(below))
}

/// Rows of services that fit on the screen (for page up / down).
pub fn page_rows(state: &State) -> usize {
    // header, status and footer lines.
    let body = Rect::new(
        0,
        0,
        1,
        crate::tui::screen::screen_rows(state).saturating_sub(3),
    );
    let (table, _) = split(body, state);
    // two borders, the table header.
    usize::from(table.height.saturating_sub(3)).max(1)
}

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let (table, below) = split(area, view.state);
    draw_table(frame, table, view);
    match below {
        Some(below) if view.state.details => service_details::draw(frame, below, view),
        Some(below) => graphs::draw_service(frame, below, view),
        None => {}
    }
}

fn draw_table(frame: &mut Frame, area: Rect, view: View) {
    let block = block(view);
    let state = view.state;
    if state.visible_len() == 0 {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let message = Paragraph::new(empty_message(view))
            .style(view.theme.dim())
            .centered()
            .wrap(Wrap { trim: true });
        let middle = Rect {
            y: inner.y + inner.height / 2,
            height: inner.height.min(2),
            ..inner
        };
        frame.render_widget(message, middle);
        return;
    }
    let theme = view.theme;
    let name_width = state.visible().map(|s| s.name.len()).max().unwrap_or(0);
    let name_width = name_width.clamp(4, 24) as u16;
    let state_width = state
        .visible()
        .map(|s| state_line(s, state.now_ms, theme).width())
        .max()
        .unwrap_or(0)
        .clamp(10, 60) as u16;
    let health_width = state
        .visible()
        .map(|s| health_line(s, theme).width())
        .max()
        .unwrap_or(0)
        .clamp(6, 14) as u16;
    let tags_width = state
        .visible()
        .map(|s| s.tags.iter().map(|t| t.len() + 1).sum::<usize>())
        .max()
        .unwrap_or(0)
        .clamp(8, 24) as u16;
    let mut w = Widths {
        name: name_width,
        state: state_width,
        health: health_width,
        tags: tags_width,
        trend: TREND_MIN,
    };
    // Borders and the selection symbol take 4 columns, the marks 2 while any is set.
    let marking = !state.marks.is_empty();
    let room = area.width.saturating_sub(if marking { 6 } else { 4 });
    let mut columns = columns(room, &mut w);
    if marking {
        columns.insert(0, Column::Mark);
    }
    let widths = columns.iter().map(|c| c.width(&w).0);
    let rows = state.visible().map(|s| row(s, &columns, view, w.trend));
    let header = Row::new(columns.iter().map(|c| c.title()));
    let table = Table::new(rows, widths).block(block);
    let selected = state.selected_row();
    render_table(frame, area, theme, table, Some(header), selected);
}

fn block(view: View<'_>) -> Block<'static> {
    let state = view.state;
    let mut block = pane_block(view, "Services");
    let marked = (state.services().iter())
        .filter(|s| state.marks.contains(&s.name))
        .count();
    if marked > 0 {
        let marked = format!(" {marked} marked ");
        block = block.title_top(Line::styled(marked, view.theme.accent()));
    }
    if !state.filter.is_empty() {
        let filter = format!(
            " filter /{} · {} of {} ",
            state.filter,
            state.visible_len(),
            state.services().len()
        );
        block = block.title_top(Line::styled(filter, view.theme.accent()).right_aligned());
    }
    block
}

fn empty_message(view: View<'_>) -> String {
    let state = view.state;
    match &state.snapshot {
        None if state.connected => "Waiting for the engine's snapshot…".to_string(),
        None => "Connecting to the engine…".to_string(),
        Some(s) if s.services.is_empty() => {
            "No services in this workspace yet: add some to univers.yaml.".to_string()
        }
        Some(_) => format!(
            "No service matches /{}. Press esc to clear the filter.",
            state.filter
        ),
    }
}

fn row<'a>(service: &'a ServiceStatus, columns: &[Column], view: View<'a>, trend: u16) -> Row<'a> {
    Row::new(columns.iter().map(|&c| cell(c, service, view, trend)))
}

fn cell<'a>(column: Column, service: &'a ServiceStatus, view: View<'a>, trend: u16) -> Cell<'a> {
    let theme = view.theme;
    let now_ms = view.state.now_ms;
    let dash = || Cell::from(Span::styled("-", theme.dim()));
    // Metrics only for running services: a stopped one's last sample is not its state.
    let metrics = view
        .state
        .graphs
        .row(&service.name)
        .filter(|_| service.state == ServiceState::Running);
    match column {
        Column::Mark if view.state.marks.contains(&service.name) => Cell::from(Span::styled(
            "●",
            theme.accent().add_modifier(Modifier::BOLD),
        )),
        Column::Mark => Cell::from(""),
        Column::Cpu => metrics.map_or_else(dash, |m| Cell::from(m.cpu.as_str())),
        Column::Rss => metrics.map_or_else(dash, |m| Cell::from(m.rss.as_str())),
        Column::Trend => metrics.map_or_else(dash, |m| {
            let spark = format::tail(&m.spark, usize::from(trend));
            Cell::from(Span::styled(spark, Style::new().fg(theme.chart_cpu)))
        }),
        Column::Name => Cell::from(Span::styled(
            service.name.as_str(),
            Style::new().add_modifier(Modifier::BOLD),
        )),
        Column::State => Cell::from(state_line(service, now_ms, theme)),
        Column::Health => Cell::from(health_line(service, theme)),
        Column::Pid => service.pid.map_or_else(dash, |p| Cell::from(p.to_string())),
        Column::Uptime => service
            .uptime_secs(now_ms)
            .map_or_else(dash, |s| Cell::from(format::duration(s))),
        Column::Restarts => Cell::from(restarts(service, theme)),
        Column::Tags => Cell::from(Span::styled(service.tags.join(","), theme.dim())),
    }
}

/// `2 +3`: restarts after exits nobody asked for (in the warning colour when any), then,
/// dim, those someone asked for; a user who restarts a service by hand sees no alarm.
pub(super) fn restarts<'a>(service: &ServiceStatus, theme: &Theme) -> Line<'a> {
    let style = if service.restarts > 0 {
        Style::new().fg(theme.warn)
    } else {
        theme.dim()
    };
    let mut spans = vec![Span::styled(service.restarts.to_string(), style)];
    if service.user_restarts > 0 {
        spans.push(Span::styled(
            format!(" +{}", service.user_restarts),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

/// `running`, `exited 1`, `killed SIGKILL`, `starting · waiting for db`, `crash-looping 4s ·
/// exited with code 1`, `gave up · 3 restarts within 1m`.
pub(super) fn state_line<'a>(service: &'a ServiceStatus, now_ms: u64, theme: &Theme) -> Line<'a> {
    let text = match (service.state, &service.signal, service.exit_code) {
        (ServiceState::Exited, Some(signal), _) => format!("killed {signal}"),
        (ServiceState::Exited, None, Some(code)) => format!("exited {code}"),
        (state, _, _) => match restart_countdown(service, now_ms) {
            Some(countdown) => format!("{} {countdown}", state.as_str()),
            None => state.as_str().to_string(),
        },
    };
    let mut spans = vec![Span::styled(text, theme.state(service.state))];
    if let Some(reason) = reason(service) {
        spans.push(Span::styled(format!(" · {reason}"), theme.dim()));
    }
    Line::from(spans)
}

/// How long until a crash-looping service's next restart, rounded up (`4s`); `None` once
/// it is due.
pub(super) fn restart_countdown(service: &ServiceStatus, now_ms: u64) -> Option<String> {
    let at = service
        .restart_at
        .filter(|_| service.state == ServiceState::CrashLooping)?;
    let left = at.checked_sub(now_ms).filter(|&ms| ms > 0)?;
    Some(format::duration(left.div_ceil(1000)))
}

/// The reason, less what the state already says: the engine's `restarting in 4s` was true
/// when it was sent (the live countdown replaces it), and `gave up: ` repeats the state.
pub(super) fn reason(service: &ServiceStatus) -> Option<&str> {
    let reason = service
        .reason
        .as_deref()
        .filter(|_| service.state != ServiceState::Running)?;
    let reason = reason
        .split_once("; restarting in ")
        .map_or(reason, |(how, _)| how);
    Some(reason.strip_prefix("gave up: ").unwrap_or(reason))
}

/// `✓ 3ms`: the readiness probe's verdict with its latency, then the liveness probe's
/// (`✓ 3ms L✗`). An engine that sends no probe details gets the readiness verdict alone.
fn health_line(service: &ServiceStatus, theme: &Theme) -> Line<'static> {
    let probe = |kind| service.probes.iter().find(|p| p.kind == kind);
    let liveness = probe(ProbeKind::Liveness);
    let mut spans = match (probe(ProbeKind::Readiness), service.health) {
        (Some(readiness), _) => verdict(readiness, "", true, theme),
        (None, Some(health)) => vec![Span::styled(health_symbol(health), theme.health(health))],
        (None, None) => vec![],
    };
    if let Some(liveness) = liveness {
        let alone = spans.is_empty();
        if !alone {
            spans.push(Span::raw(" "));
        }
        spans.extend(verdict(liveness, "L", alone, theme));
    }
    if spans.is_empty() {
        spans.push(Span::styled("-", theme.dim()));
    }
    Line::from(spans)
}

/// A probe's symbol after `prefix`, and the latency of its last pass when `latency`.
fn verdict(probe: &ProbeStatus, prefix: &str, latency: bool, theme: &Theme) -> Vec<Span<'static>> {
    let symbol = format!("{prefix}{}", health_symbol(probe.state));
    let mut spans = vec![Span::styled(symbol, theme.health(probe.state))];
    if let Some(us) = probe
        .latency_us
        .filter(|_| latency && probe.state == Health::Healthy)
    {
        spans.push(Span::styled(
            format!(" {}", format::latency(us)),
            theme.dim(),
        ));
    }
    spans
}

/// A probe's verdict at a glance: `✓`, `✗`, or `…` before the first pass.
pub fn health_symbol(health: Health) -> &'static str {
    match health {
        Health::Unknown => "…",
        Health::Healthy => "✓",
        Health::Unhealthy => "✗",
    }
}
