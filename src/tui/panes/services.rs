//! The services table: name, state, health, PID, uptime, restarts and tags of every service
//! that matches the filter, with the selected row highlighted.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{View, format};
use crate::engine::{Health, ServiceState, ServiceStatus};
use crate::tui::theme::Theme;

/// The table's columns, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    State,
    Health,
    Pid,
    Uptime,
    Restarts,
    Tags,
}

impl Column {
    const ALL: [Self; 7] = [
        Self::Name,
        Self::State,
        Self::Health,
        Self::Pid,
        Self::Uptime,
        Self::Restarts,
        Self::Tags,
    ];
    /// The order columns are given up in when the table is narrow: last goes first.
    const BY_PRIORITY: [Self; 7] = [
        Self::Name,
        Self::State,
        Self::Uptime,
        Self::Pid,
        Self::Restarts,
        Self::Health,
        Self::Tags,
    ];

    fn title(self) -> &'static str {
        match self {
            Self::Name => "NAME",
            Self::State => "STATE",
            Self::Health => "HEALTH",
            Self::Pid => "PID",
            Self::Uptime => "UPTIME",
            Self::Restarts => "RESTARTS",
            Self::Tags => "TAGS",
        }
    }

    /// (constraint, narrowest useful width). STATE grows to its longest reason, no wider, so
    /// the columns right of it stay near on a wide terminal.
    fn width(self, name_width: u16, state_width: u16) -> (Constraint, u16) {
        match self {
            Self::Name => (Constraint::Length(name_width), name_width),
            Self::State => (Constraint::Max(state_width), 10),
            Self::Health => (Constraint::Length(9), 9),
            Self::Pid => (Constraint::Length(7), 7),
            Self::Uptime => (Constraint::Length(7), 6),
            Self::Restarts => (Constraint::Length(8), 8),
            Self::Tags => (Constraint::Fill(1), 8),
        }
    }
}

/// The columns that fit in `width`, in display order.
fn columns(width: u16, name_width: u16, state_width: u16) -> Vec<Column> {
    let mut used = 0u16;
    let mut kept = Vec::new();
    for column in Column::BY_PRIORITY {
        let (_, min) = column.width(name_width, state_width);
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

/// Rows of services that fit on a screen `height` rows high (for page up / down).
pub fn page_rows(height: u16) -> usize {
    // header, status and footer lines, two borders, the table header.
    usize::from(height.saturating_sub(6)).max(1)
}

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
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
        .map(|s| state_line(s, theme).width())
        .max()
        .unwrap_or(0)
        .clamp(10, 60) as u16;
    // Borders and the selection symbol take 4 columns.
    let columns = columns(area.width.saturating_sub(4), name_width, state_width);
    let widths = columns.iter().map(|c| c.width(name_width, state_width).0);
    let rows = state
        .visible()
        .map(|s| row(s, &columns, theme, state.now_ms));
    let header = Row::new(columns.iter().map(|c| c.title()));
    let table = Table::new(rows, widths)
        .header(header.style(theme.dim().add_modifier(Modifier::BOLD)))
        .block(block)
        .row_highlight_style(theme.selection())
        .highlight_symbol("› ");
    let mut table_state = TableState::new().with_selected(state.selected_row());
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn block(view: View<'_>) -> Block<'static> {
    let state = view.state;
    let focused = state.popups.is_empty();
    let mut block = Block::bordered()
        .border_style(view.theme.border(focused))
        .title(Span::styled(
            " Services ",
            view.theme.accent().add_modifier(Modifier::BOLD),
        ));
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

fn row<'a>(service: &'a ServiceStatus, columns: &[Column], theme: &Theme, now_ms: u64) -> Row<'a> {
    Row::new(columns.iter().map(|&c| cell(c, service, theme, now_ms)))
}

fn cell<'a>(column: Column, service: &'a ServiceStatus, theme: &Theme, now_ms: u64) -> Cell<'a> {
    let dash = || Cell::from(Span::styled("-", theme.dim()));
    match column {
        Column::Name => Cell::from(Span::styled(
            service.name.as_str(),
            Style::new().add_modifier(Modifier::BOLD),
        )),
        Column::State => Cell::from(state_line(service, theme)),
        Column::Health => health(service.health, theme),
        Column::Pid => service.pid.map_or_else(dash, |p| Cell::from(p.to_string())),
        Column::Uptime => service
            .uptime_secs(now_ms)
            .map_or_else(dash, |s| Cell::from(format::duration(s))),
        Column::Restarts => {
            let style = if service.restarts > 0 {
                Style::new().fg(theme.warn)
            } else {
                theme.dim()
            };
            Cell::from(Span::styled(service.restarts.to_string(), style))
        }
        Column::Tags => Cell::from(Span::styled(service.tags.join(","), theme.dim())),
    }
}

/// `running`, `exited 1`, `killed SIGKILL`, `starting · waiting for db`.
fn state_line<'a>(service: &'a ServiceStatus, theme: &Theme) -> Line<'a> {
    let text = match (service.state, &service.signal, service.exit_code) {
        (ServiceState::Exited, Some(signal), _) => format!("killed {signal}"),
        (ServiceState::Exited, None, Some(code)) => format!("exited {code}"),
        (state, _, _) => state.as_str().to_string(),
    };
    let mut spans = vec![Span::styled(text, theme.state(service.state))];
    if let Some(reason) = service
        .reason
        .as_deref()
        .filter(|_| service.state != ServiceState::Running)
    {
        spans.push(Span::styled(format!(" · {reason}"), theme.dim()));
    }
    Line::from(spans)
}

fn health(health: Option<Health>, theme: &Theme) -> Cell<'static> {
    let (text, style) = match health {
        None => ("-", theme.dim()),
        Some(Health::Unknown) => ("unknown", theme.dim()),
        Some(Health::Healthy) => ("healthy", Style::new().fg(theme.ok)),
        Some(Health::Unhealthy) => ("unhealthy", Style::new().fg(theme.danger)),
    };
    Cell::from(Span::styled(text, style))
}
