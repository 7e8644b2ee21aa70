//! The overview table: one row per workspace, the columns of `uc ps`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::Line;
use crate::protocol::overview::COLUMNS;
use crate::protocol::{QuotaKind, WorkspaceRow, WorkspaceState};
use crate::tui::screen::{View, draw_empty, pane_block, render_table};

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let workspaces = &view.state.workspaces;
    let mut block = pane_block(view, "Workspaces");
    let marked = workspaces.marks.len();
    if marked > 0 {
        let text = format!(" {marked} marked ");
        block = block.title_top(TextLine::styled(text, view.theme.accent()));
    }
    if let Some(selected) = workspaces.selected_row() {
        block = block.title_bottom(Span::styled(
            format!(" {} ", location(selected)),
            view.theme.dim(),
        ));
    }
    if workspaces.rows.is_empty() {
        let message = "Reading the workspaces of projects.yaml…".to_string();
        draw_empty(frame, area, block, message, view.theme);
        return;
    }
    let widths = [
        Constraint::Fill(2),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(QUOTA_WIDTH),
        Constraint::Fill(1),
    ];
    let header = Row::new(COLUMNS);
    let rows = workspaces.lines().into_iter().map(|line| match line {
        Line::Workspace(i) => row(&workspaces.rows[i], view),
        Line::Service(i, j) => member(&workspaces.rows[i], j, view),
    });
    let table = Table::new(rows, widths).block(block);
    render_table(
        frame,
        area,
        view.theme,
        table,
        Some(header),
        Some(workspaces.selected),
    );
}

/// The selected workspace's file, and why it cannot be asked when it cannot.
fn location(row: &WorkspaceRow) -> String {
    match &row.state {
        WorkspaceState::Unreachable(reason) => format!("{}: {reason}", row.file),
        _ => row.file.clone(),
    }
}

fn row<'a>(row: &WorkspaceRow, view: View<'a>) -> Row<'a> {
    let theme = view.theme;
    let [
        name,
        environment,
        services,
        firing,
        cpu,
        memory,
        quota,
        deploying,
    ] = row.cells();
    let current = view.state.workspaces.current.as_deref() == Some(row.name.as_str());
    let name_style = if current {
        theme.accent().add_modifier(Modifier::BOLD)
    } else {
        theme.accent()
    };
    let name = if current { format!("{name} ●") } else { name };
    let environment = match &row.state {
        WorkspaceState::Running => Span::raw(environment),
        _ => Span::styled(environment, theme.dim()),
    };
    let services = if row.state == WorkspaceState::Running && row.running < row.services {
        Span::styled(services, Style::new().fg(theme.warn))
    } else {
        Span::raw(services)
    };
    let firing = if row.firing > 0 {
        Span::styled(firing, Style::new().fg(theme.danger))
    } else {
        Span::styled(firing, theme.dim())
    };
    Row::new([
        Cell::from(Span::styled(name, name_style)),
        Cell::from(environment),
        Cell::from(services),
        Cell::from(firing),
        Cell::from(cpu),
        Cell::from(memory),
        Cell::from(quota_bars(row, quota, view)),
        Cell::from(deploying),
    ])
}

/// A service listed under its workspace: `●` when marked, its state in the environment's
/// column, the active services of other workspaces that need it in the last two.
fn member<'a>(row: &WorkspaceRow, j: usize, view: View<'a>) -> Row<'a> {
    let service = &row.members[j];
    let marked = view.state.workspaces.is_marked(&row.name, &service.name);
    let mark = if marked { "●" } else { " " };
    let name = Span::styled(format!("  {mark} {}", service.name), view.theme.accent());
    let state = Span::styled(
        service.state.as_str().to_string(),
        view.theme.state(service.state),
    );
    // The links that make a stop here warn about another workspace, over the last two
    // columns (a service has no quota of its own).
    let needed_by: Vec<&str> = (service.needed_by.iter())
        .filter(|d| d.active)
        .map(|d| d.service.as_str())
        .collect();
    let links = match needed_by.as_slice() {
        [] => String::new(),
        names => format!("needed by {}", names.join(", ")),
    };
    let mut cells = vec![Cell::from(name), Cell::from(state)];
    cells.extend((2..COLUMNS.len() - 2).map(|_| Cell::from("")));
    cells.push(Cell::from(Span::styled(links, view.theme.dim())).column_span(2));
    Row::new(cells)
}

/// Cells of one quota's bar.
const BAR: usize = 4;
/// `svc ███░ mem █░░░ cpu ░░░░`.
const QUOTA_WIDTH: u16 = 26;

/// A small bar per quota the workspace sets, `warn` near its limit and `danger` at it;
/// the cell's text (`-`) where it sets none.
fn quota_bars<'a>(row: &WorkspaceRow, text: String, view: View<'a>) -> TextLine<'a> {
    let theme = view.theme;
    let mut spans = Vec::new();
    for (kind, _, usage) in row.quotas() {
        let ratio = usage.ratio();
        let filled = ((ratio * BAR as f64).ceil() as usize).min(BAR);
        if !spans.is_empty() {
            spans.push(Span::raw(" "));
        }
        let label = match kind {
            QuotaKind::Services => "svc ",
            QuotaKind::Memory => "mem ",
            _ => "cpu ",
        };
        spans.push(Span::styled(label, theme.dim()));
        let style = theme.usage(ratio * 100.0);
        spans.push(Span::styled("█".repeat(filled), style));
        spans.push(Span::styled("░".repeat(BAR - filled), theme.dim()));
    }
    if spans.is_empty() {
        return TextLine::styled(text, theme.dim());
    }
    TextLine::from(spans)
}
