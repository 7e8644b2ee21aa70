//! Line charts over the selected time window (braille, the time axis sliding with the clock),
//! and the selected service's CPU and memory graphs below the services table. Points are
//! borrowed from the state's ring buffers and history cache; nothing is copied per frame.
//! Stretches the anomaly detector flagged are drawn again over the line in the alarm colour.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph};

use crate::tui::graphs::{Series, YAxis};
use crate::tui::screen::View;

/// The smallest inner area a chart is drawn in; below it the block stays empty.
const MIN_CHART: (u16, u16) = (12, 4);

/// One line of a chart: a series and its colour.
pub struct Plot<'a> {
    pub series: Series<'a>,
    pub style: Style,
}

/// The clock as the charts' time axis reads it (unix seconds).
pub fn now_secs(view: View<'_>) -> f64 {
    view.state.now_ms as f64 / 1000.0
}

/// A bordered braille line chart of `lines` over the current window, `[0, axis.max]` high.
pub fn draw_chart(
    frame: &mut Frame,
    area: Rect,
    view: View<'_>,
    block: Block<'_>,
    lines: &[Plot<'_>],
    axis: &YAxis,
) {
    let theme = view.theme;
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < MIN_CHART.0 || inner.height < MIN_CHART.1 {
        return;
    }
    let now = now_secs(view);
    let window = view.state.graphs.window();
    let mut datasets = Vec::with_capacity(lines.len() * 2);
    let flagged = Style::new().fg(theme.danger);
    for line in lines {
        for data in [line.series.history, line.series.live] {
            if !data.is_empty() {
                datasets.push(line_of(data, line.style));
            }
        }
    }
    // Drawn last, over the lines: the anomalous stretches in the alarm colour.
    for line in lines {
        datasets.extend(line.series.flagged().map(|data| line_of(data, flagged)));
    }
    let empty = datasets.is_empty();
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .style(theme.dim())
                .bounds([now - window.secs() as f64, now])
                .labels([window.ago(), "now"]),
        )
        .y_axis(
            Axis::default()
                .style(theme.dim())
                .bounds([0.0, axis.max])
                .labels(["0", axis.label.as_str()]),
        )
        .legend_position(None);
    frame.render_widget(chart, inner);
    if empty {
        let middle = Rect {
            y: inner.y + inner.height / 2 - 1,
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new("no data yet").style(theme.dim()).centered(),
            middle,
        );
    }
}

fn line_of(data: &[(f64, f64)], style: Style) -> Dataset<'_> {
    Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(style)
        .data(data)
}

/// A chart's block `width` wide: the title on the left; on the right the window and whether
/// the detector flagged a series in it (its stretches are drawn in the alarm colour), or
/// else whether its history is loading or missing, as much of that as fits beside the title
/// (the time axis says the window too).
pub fn chart_block<'a>(
    view: View<'a>,
    width: u16,
    title: Line<'a>,
    series: &[&Series<'_>],
) -> Block<'a> {
    let theme = view.theme;
    let note = if series.iter().any(|s| s.anomalous()) {
        Span::styled(" anomalous", Style::new().fg(theme.danger))
    } else if series.iter().any(|s| s.loading) {
        Span::styled(" loading history…", theme.accent())
    } else if series.iter().any(|s| s.failed && s.history.is_empty()) {
        Span::styled(" no history", Style::new().fg(theme.warn))
    } else {
        Span::default()
    };
    let window = Span::styled(view.state.graphs.window().label(), theme.dim());
    let room = usize::from(width).saturating_sub(title.width() + 4);
    let right = if note.width() + window.width() + 2 <= room {
        vec![note, Span::raw(" "), window, Span::raw(" ")]
    } else if note.width() < room {
        vec![note, Span::raw(" ")]
    } else {
        vec![]
    };
    Block::bordered()
        .border_style(theme.border(false))
        .title(title)
        .title_top(Line::from(right).right_aligned())
}

/// The selected service's CPU and RSS charts, side by side.
pub fn draw_service(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let graphs = &view.state.graphs;
    let Some(selected) = graphs.selected() else {
        let block = Block::bordered().border_style(theme.border(false));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let middle = Rect {
            y: inner.y + inner.height / 2,
            height: 1.min(inner.height),
            ..inner
        };
        frame.render_widget(
            Paragraph::new("Select a service to see its graphs.")
                .style(theme.dim())
                .centered(),
            middle,
        );
        return;
    };
    let now = now_secs(view);
    let cpu = graphs.series(&selected.cpu_key, now);
    let rss = graphs.series(&selected.rss_key, now);
    let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);

    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(
            selected.name.as_str(),
            theme.accent().add_modifier(Modifier::BOLD),
        ),
        Span::styled(" · ", theme.dim()),
        Span::styled(
            selected.cpu_title.as_str(),
            Style::new().fg(theme.chart_cpu),
        ),
        Span::raw(" "),
    ]);
    let block = chart_block(view, left.width, title, &[&cpu]);
    let line = Plot {
        series: cpu,
        style: Style::new().fg(theme.chart_cpu),
    };
    draw_chart(frame, left, view, block, &[line], &selected.cpu_axis);

    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(
            selected.rss_title.as_str(),
            Style::new().fg(theme.chart_mem),
        ),
        Span::raw(" "),
    ]);
    let block = chart_block(view, right.width, title, &[&rss]);
    let line = Plot {
        series: rss,
        style: Style::new().fg(theme.chart_mem),
    };
    draw_chart(frame, right, view, block, &[line], &selected.rss_axis);
}
