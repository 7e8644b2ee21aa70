//! The config history: applied revisions, newest first, with when, which environment, who
//! and why; the applied one marked.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table};

use crate::format;
use crate::protocol::Revision;
use crate::tui::config::Fetch;
use crate::tui::screen::{View, pane_block, render_table};

/// Hash characters shown: enough to tell revisions apart.
const SHORT_HASH: usize = 8;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let state = view.state;
    let block = pane_block(view, "Config history");
    let revisions = match &state.config.history {
        None | Some(Fetch::Loading) => {
            crate::tui::screen::draw_empty(frame, area, block, "loading…".into(), theme);
            return;
        }
        Some(Fetch::Failed(error)) => {
            let message = format!("cannot read the history: {error}");
            crate::tui::screen::draw_empty(frame, area, block, message, theme);
            return;
        }
        Some(Fetch::Ready(revisions)) if revisions.is_empty() => {
            let message = "No revision is recorded yet.".to_string();
            crate::tui::screen::draw_empty(frame, area, block, message, theme);
            return;
        }
        Some(Fetch::Ready(revisions)) => revisions,
    };
    let widths = [
        Constraint::Length(6),
        Constraint::Length(12),
        Constraint::Length(12),
        Constraint::Length(10),
        Constraint::Fill(1),
        Constraint::Length(SHORT_HASH as u16),
    ];
    let header = Row::new(["REV", "WHEN", "ENVIRONMENT", "AUTHOR", "REASON", "HASH"]);
    let applied = state.config_status().and_then(|c| c.revision);
    let rows = revisions
        .iter()
        .map(|r| row(r, view, applied == Some(r.id)));
    let table = Table::new(rows, widths).block(block);
    let selected = Some(state.config.history_row);
    render_table(frame, area, theme, table, Some(header), selected);
}

fn row<'a>(revision: &'a Revision, view: View<'a>, applied: bool) -> Row<'a> {
    let theme = view.theme;
    let id = if applied {
        Span::styled(format!("● {}", revision.id), Style::new().fg(theme.ok))
    } else {
        Span::styled(format!("  {}", revision.id), theme.accent())
    };
    let hash = revision.hash.get(..SHORT_HASH).unwrap_or(&revision.hash);
    Row::new([
        Cell::from(id),
        Cell::from(format::age(revision.at, view.state.now_ms)),
        Cell::from(revision.environment.as_deref().unwrap_or("-")),
        Cell::from(revision.author.as_str()),
        Cell::from(revision.reason.as_str()),
        Cell::from(Span::styled(hash, theme.dim())),
    ])
}
