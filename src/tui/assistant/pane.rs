//! The assistant pane: a summary line, then each finding (severity, service, cause, its
//! evidence) with its actions under it, the selected action marked `›` and kept in view.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::AssistantView;
use crate::assist::finding::{Finding, Severity, Suggestion};
use crate::protocol::NoticeLevel;
use crate::tui::screen::{View, draw_empty, pane_block};
use crate::tui::theme::Theme;

/// Evidence lines shown under a finding; `uc doctor` shows them all.
const EVIDENCE_SHOWN: usize = 4;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let assistant = &view.state.assistant;
    let [summary, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(summary_line(view)), summary);
    let block = pane_block(view, "Assistant");
    if assistant.findings().is_empty() {
        let message = match (&assistant.diagnosis, &assistant.error) {
            (None, Some(error)) => format!("Cannot diagnose: {error}"),
            (None, None) => "Diagnosing…".to_string(),
            (Some(d), _) => format!(
                "Nothing wrong: {} analyzers found nothing to report.",
                d.analyzers.len()
            ),
        };
        draw_empty(frame, list, block, message, view.theme);
        return;
    }
    let (lines, selected_line) = finding_lines(assistant, view.theme);
    let inner_rows = usize::from(block.inner(list).height.max(1));
    let scroll = selected_line.saturating_sub(inner_rows.saturating_sub(2));
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), list);
}

/// `2 findings: 1 critical, 1 warning · 5 analyzers · 3s ago`.
fn summary_line(view: View) -> Line<'static> {
    let assistant = &view.state.assistant;
    let theme = view.theme;
    let Some(diagnosis) = &assistant.diagnosis else {
        return Line::styled(" diagnosing…", theme.dim());
    };
    let count = |s: Severity| {
        diagnosis
            .findings
            .iter()
            .filter(|f| f.severity == s)
            .count()
    };
    let mut spans = vec![Span::raw(format!(
        " {} finding{}",
        diagnosis.findings.len(),
        if diagnosis.findings.len() == 1 {
            ""
        } else {
            "s"
        }
    ))];
    for severity in [Severity::Critical, Severity::Warning, Severity::Info] {
        let n = count(severity);
        if n > 0 {
            spans.push(Span::raw("  "));
            let text = format!("{n} {}", severity.label());
            spans.push(Span::styled(text, severity_style(theme, severity)));
        }
    }
    let age = view.state.now_ms.saturating_sub(diagnosis.at_ms) / 1000;
    let tail = format!("  · {} analyzers · {age}s ago", diagnosis.analyzers.len());
    spans.push(Span::styled(tail, theme.dim()));
    if let Some(error) = &assistant.error {
        let text = format!("  · last read failed: {error}");
        spans.push(Span::styled(text, theme.level(NoticeLevel::Warn)));
    }
    Line::from(spans)
}

/// Every finding's lines, and the index of the selected one's.
fn finding_lines<'a>(assistant: &'a AssistantView, theme: &Theme) -> (Vec<Line<'a>>, usize) {
    let items = assistant.items();
    let selected = items.get(assistant.selected).copied();
    let mut lines = Vec::new();
    let mut selected_line = 0;
    for (i, finding) in assistant.findings().iter().enumerate() {
        if i > 0 {
            lines.push(Line::default());
        }
        let head = head_line(finding, theme);
        let whole = selected.is_some_and(|s| s.finding == i && s.action.is_none());
        if whole {
            selected_line = lines.len();
        }
        lines.push(mark(head, whole, 0, theme));
        let shown = finding.evidence.iter().take(EVIDENCE_SHOWN);
        for evidence in shown {
            let kind = format!("{:?}", evidence.kind).to_lowercase();
            let at = evidence.at_ms.map(clock).unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled(format!("      {kind:<8}{at} "), theme.dim()),
                Span::raw(evidence.text.as_str()),
            ]));
        }
        let hidden = finding.evidence.len().saturating_sub(EVIDENCE_SHOWN);
        if hidden > 0 {
            let text = format!("      … {hidden} more (uc doctor)");
            lines.push(Line::styled(text, theme.dim()));
        }
        for (a, action) in finding.actions.iter().enumerate() {
            let chosen = selected.is_some_and(|s| s.finding == i && s.action == Some(a));
            if chosen {
                selected_line = lines.len();
            }
            let line = Line::from(vec![
                Span::raw("    "),
                Span::styled("→ ", theme.accent()),
                Span::styled(label(action), Style::new().add_modifier(Modifier::BOLD)),
                Span::styled(format!("   {}", action.command_line()), theme.dim()),
            ]);
            lines.push(mark(line, chosen, 1, theme));
        }
    }
    (lines, selected_line)
}

fn head_line<'a>(finding: &'a Finding, theme: &Theme) -> Line<'a> {
    let style = severity_style(theme, finding.severity).add_modifier(Modifier::BOLD);
    let mut spans = vec![
        Span::raw("  "),
        Span::styled(
            format!("{:<8}", finding.severity.label().to_uppercase()),
            style,
        ),
        Span::raw(" "),
    ];
    if let Some(service) = &finding.service {
        spans.push(Span::styled(format!("{service}  "), theme.accent()));
    }
    spans.push(Span::raw(finding.cause.as_str()));
    spans.push(Span::styled(
        format!("  [{}]", finding.analyzer),
        theme.dim(),
    ));
    Line::from(spans)
}

/// The selection: `›` in place of span `at` (the margin, or the action's arrow), the row
/// highlighted.
fn mark<'a>(mut line: Line<'a>, selected: bool, at: usize, theme: &Theme) -> Line<'a> {
    if !selected {
        return line;
    }
    if let Some(span) = line.spans.get_mut(at) {
        let rest = span.content.get(2..).unwrap_or_default().to_string();
        *span = Span::raw(format!("› {rest}"));
    }
    line.style(theme.selection())
}

/// What the action does, in the user's words.
pub fn label(action: &Suggestion) -> String {
    match action {
        Suggestion::Start { service } => format!("start {service}"),
        Suggestion::Restart { service } => format!("restart {service}"),
        Suggestion::Stop { service } => format!("stop {service}"),
        Suggestion::Rollback { service } => format!("roll {service} back"),
        Suggestion::RunPlaybook { playbook } => format!("run playbook {playbook}"),
        Suggestion::Silence { matchers, for_secs } => format!(
            "silence {} for {}",
            matchers.join(" "),
            crate::assist::duration::short(*for_secs)
        ),
        Suggestion::Logs { service, pattern } => {
            let whose = service.as_deref().unwrap_or("every service");
            match pattern {
                Some(p) => format!("logs of {whose} matching \"{p}\""),
                None => format!("logs of {whose}"),
            }
        }
        Suggestion::RaiseLimit { path, from, to } => format!("raise {path} {from} → {to}"),
        Suggestion::ApplyConfig => "apply the edited config".to_string(),
    }
}

fn severity_style(theme: &Theme, severity: Severity) -> Style {
    theme.level(match severity {
        Severity::Critical => NoticeLevel::Error,
        Severity::Warning => NoticeLevel::Warn,
        Severity::Info => NoticeLevel::Info,
    })
}

/// `21:04:05` UTC.
fn clock(at_ms: u64) -> String {
    let stamp = crate::store::audit::chain::time_of(at_ms);
    stamp.get(11..19).unwrap_or_default().to_string()
}
