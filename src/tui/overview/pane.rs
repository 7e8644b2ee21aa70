//! The overview table: one row per workspace, the columns of `uc ps`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

use crate::protocol::overview::COLUMNS;
use crate::protocol::{WorkspaceRow, WorkspaceState};
use crate::tui::screen::{View, draw_empty, pane_block, render_table};

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let workspaces = &view.state.workspaces;
    let block = pane_block(view, "Workspaces");
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
        Constraint::Fill(1),
    ];
    let header = Row::new(COLUMNS);
    let rows = workspaces.rows.iter().map(|r| row(r, view));
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

fn row<'a>(row: &WorkspaceRow, view: View<'a>) -> Row<'a> {
    let theme = view.theme;
    let [name, environment, services, firing, cpu, memory, deploying] = row.cells();
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
        Cell::from(deploying),
    ])
}
