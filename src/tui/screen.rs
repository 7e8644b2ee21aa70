//! The whole screen: the chrome around the focused pane, the pane, then the popups. Each
//! is a pure function of the state, the theme and the keymap.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

use super::alerts::pane as alerts;
use super::chrome::input_line as command_line;
use super::chrome::{banner, confirm, footer, header, status, text_dialog};
use super::config::{environments, history as config_history};
use super::deploys::pane as deploys;
use super::graphs::host;
use super::heal::dialog as playbook;
use super::help::pane as help;
use super::keymap::Keymap;
use super::logs::pane as logs;
use super::logs::patterns::pane as patterns;
use super::services::table as services;
use super::silences::{pane as silences, popup as silence_form};
use super::state::{Pane, Popup, State};
use super::theme::Theme;

/// What every pane reads.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub state: &'a State,
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

/// The whole screen: header, the config banner, the focused pane, status (or the input
/// line), footer, then popups.
pub fn draw(frame: &mut Frame, view: View) {
    let area = frame.area();
    frame.render_widget(Block::new().style(view.theme.base()), area);
    let [header_area, banner_area, body, status_area, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(view.state.banner_rows()),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(frame, header_area, view);
    banner::draw(frame, banner_area, view);
    match view.state.pane {
        Pane::Services => services::draw(frame, body, view),
        Pane::Host => host::draw(frame, body, view),
        Pane::Logs => logs::draw(frame, body, view),
        Pane::Patterns => patterns::draw(frame, body, view),
        Pane::Alerts => alerts::draw(frame, body, view),
        Pane::Silences => silences::draw(frame, body, view),
        Pane::Environments => environments::draw(frame, body, view),
        Pane::ConfigHistory => config_history::draw(frame, body, view),
        Pane::Deploys => deploys::draw(frame, body, view),
        Pane::Overview => super::overview::pane::draw(frame, body, view),
        Pane::Audit => crate::tui::audit::pane::draw(frame, body, view),
        Pane::Assistant => crate::tui::assistant::pane::draw(frame, body, view),
    }
    match view.state.top_popup() {
        Some(Popup::CommandLine(input)) => command_line::draw(frame, status_area, view, ":", input),
        Some(Popup::Filter(input)) => command_line::draw(frame, status_area, view, "/", input),
        Some(Popup::LogSearch(input)) => command_line::draw(frame, status_area, view, "/", input),
        Some(Popup::Grep(input)) => command_line::draw(frame, status_area, view, "grep ", input),
        Some(Popup::AuditFilter(input)) => command_line::draw(frame, status_area, view, "/", input),
        _ => status::draw(frame, status_area, view),
    }
    footer::draw(frame, footer_area, view);
    for popup in &view.state.popups {
        match popup {
            Popup::Help { scroll } => help::draw(frame, area, view, *scroll),
            Popup::Confirm(confirm) => confirm::draw(frame, area, view, confirm),
            Popup::Silence(form) => silence_form::draw(frame, area, view, form),
            Popup::Playbook(dialog) => playbook::draw(frame, area, view, dialog),
            Popup::Text(dialog) => text_dialog::draw(frame, area, view, dialog),
            Popup::CommandLine(_)
            | Popup::Filter(_)
            | Popup::LogSearch(_)
            | Popup::Grep(_)
            | Popup::AuditFilter(_) => {}
        }
    }
}

/// Rows one page up or down moves in the focused pane's list, or in a playbook's report
/// or a config diff.
pub fn page_rows(state: &State) -> usize {
    match state.top_popup() {
        Some(Popup::Playbook(dialog)) => {
            return text_dialog::page_rows(dialog.lines.len(), state.screen);
        }
        Some(Popup::Text(dialog)) => {
            return text_dialog::page_rows(dialog.lines.len(), state.screen);
        }
        _ => {}
    }
    match state.pane {
        Pane::Services | Pane::Host => services::page_rows(state),
        Pane::Alerts => alerts::page_rows(state),
        Pane::Logs => logs::page_rows(state),
        Pane::Patterns => patterns::page_rows(state),
        // Header, status, footer, the table's borders and header.
        Pane::Silences => usize::from(screen_rows(state).saturating_sub(6)).max(1),
        Pane::Environments => environments::preview_rows(state),
        // The body less the table's borders and header.
        Pane::ConfigHistory => usize::from(body_rows(state).saturating_sub(3)).max(1),
        Pane::Deploys => 1,
        // The body less the table's borders and header.
        Pane::Overview => usize::from(body_rows(state).saturating_sub(3)).max(1),
        // The body less the chain's line, the table's borders and header.
        Pane::Audit => usize::from(body_rows(state).saturating_sub(4)).max(1),
        // A finding's action at a time.
        Pane::Assistant => 1,
    }
}

/// The screen's height less the config banner: what the header, the body, the status line
/// and the footer share.
pub fn screen_rows(state: &State) -> u16 {
    state.screen.1.saturating_sub(state.banner_rows())
}

/// Rows of the body: the screen less the header, the banner, the status line and the footer.
pub fn body_rows(state: &State) -> u16 {
    screen_rows(state).saturating_sub(3)
}

/// A centred rectangle of at most `width` x `height`, a margin away from the edges.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(4));
    let height = height.min(area.height.saturating_sub(2));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// A main pane's frame: its border lit while no popup covers the pane, its title in bold.
pub fn pane_block(view: View, title: &str) -> Block<'static> {
    Block::bordered()
        .border_style(view.theme.border(view.state.popups.is_empty()))
        .title(Span::styled(
            format!(" {title} "),
            view.theme.accent().add_modifier(Modifier::BOLD),
        ))
}

/// A pane's table (rows, widths and block already set) with the panes' look: the header
/// dim and bold, the selected row highlighted behind `› `.
pub fn render_table<'a>(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    table: Table<'a>,
    header: Option<Row<'a>>,
    selected: Option<usize>,
) {
    let table = match header {
        Some(header) => table.header(header.style(theme.dim().add_modifier(Modifier::BOLD))),
        None => table,
    };
    let table = table
        .row_highlight_style(theme.selection())
        .highlight_symbol("› ");
    let mut table_state = TableState::new().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// A bordered pane with nothing to list: its block, and a dimmed message in the middle.
pub fn draw_empty(frame: &mut Frame, area: Rect, block: Block, message: String, theme: &Theme) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let middle = Rect {
        y: inner.y + inner.height.saturating_sub(2) / 2,
        height: inner.height.min(2),
        ..inner
    };
    frame.render_widget(
        Paragraph::new(message)
            .style(theme.dim())
            .centered()
            .wrap(Wrap { trim: true }),
        middle,
    );
}
