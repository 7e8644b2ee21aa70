//! The audit pane: a line on the chain (intact, or the first broken line), then the records
//! newest first. Times are UTC, as the records store them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

use super::{AuditView, ChainCheck};
use crate::protocol::NoticeLevel;
use crate::store::AuditRecord;
use crate::tui::screen::{View, draw_empty, pane_block, render_table};
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let audit = &view.state.audit;
    let [chain, list] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(chain_line(audit, view.theme)), chain);
    let title = match audit.filter.as_str() {
        "" => "Audit".to_string(),
        filter => format!("Audit /{filter}"),
    };
    let block = pane_block(view, &title);
    let shown: Vec<&AuditRecord> = audit.shown().collect();
    if shown.is_empty() {
        let message = match (&audit.error, audit.loaded) {
            (Some(error), _) => format!("Cannot read the audit log: {error}"),
            (None, false) => "Reading the audit log…".to_string(),
            (None, true) if !audit.filter.is_empty() => "No record matches the filter.".into(),
            (None, true) => "No record yet: what users and the engine do appears here.".into(),
        };
        draw_empty(frame, list, block, message, view.theme);
        return;
    }
    let rows = shown.iter().map(|r| row(r, view.theme));
    let header = Row::new([
        "TIME", "ACTOR", "VIA", "ACTION", "TARGET", "OUTCOME", "REASON",
    ]);
    let widths = [
        Constraint::Length(19),
        Constraint::Length(12),
        Constraint::Length(8),
        Constraint::Fill(2),
        Constraint::Length(14),
        Constraint::Length(7),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths).block(block);
    let selected = Some(audit.selected.min(shown.len() - 1));
    render_table(frame, list, view.theme, table, Some(header), selected);
}

fn row<'a>(r: &'a AuditRecord, theme: &Theme) -> Row<'a> {
    let outcome = match r.outcome.as_str() {
        "ok" => theme.level(NoticeLevel::Info),
        "denied" => theme.level(NoticeLevel::Warn),
        _ => theme.level(NoticeLevel::Error),
    };
    Row::new(vec![
        Span::styled(time(&r.time), theme.dim()),
        Span::raw(r.actor.as_str()),
        Span::raw(r.via.as_str()),
        Span::raw(r.action.as_str()),
        Span::raw(r.target.as_deref().unwrap_or("")),
        Span::styled(r.outcome.as_str(), outcome),
        Span::raw(r.reason.as_deref().unwrap_or("")),
    ])
}

/// `2026-12-06 21:04:05` of `2026-12-06T21:04:05.123Z`.
fn time(stamp: &str) -> String {
    stamp.get(..19).unwrap_or(stamp).replacen('T', " ", 1)
}

/// What `uc audit verify` would say.
fn chain_line<'a>(audit: &'a AuditView, theme: &Theme) -> Line<'a> {
    let broken = audit.checks.iter().find_map(|c| match c {
        ChainCheck::Broken(at) => Some(at.as_str()),
        _ => None,
    });
    if let Some(at) = broken {
        return Line::from(vec![
            Span::styled(
                " chain broken ",
                theme.level(NoticeLevel::Error).add_modifier(Modifier::BOLD),
            ),
            Span::raw(at),
        ]);
    }
    let mut spans = Vec::new();
    for check in &audit.checks {
        match check {
            ChainCheck::Intact { file, lines } => {
                spans.push(Span::raw(format!("  {file}: {lines} lines")));
            }
            ChainCheck::Unknown { file, error } => {
                let text = format!("  {file}: not checked ({error})");
                spans.push(Span::styled(text, theme.level(NoticeLevel::Warn)));
            }
            ChainCheck::Broken(_) => {}
        }
    }
    let head = match audit.intact() {
        Some(_) => Span::styled(" chain intact", theme.level(NoticeLevel::Info)),
        None if audit.loaded && audit.checks.is_empty() => {
            Span::styled(" no audit.jsonl yet", theme.dim())
        }
        None => Span::styled(" chain not checked", theme.dim()),
    };
    spans.insert(0, head);
    Line::from(spans).style(Style::default())
}
