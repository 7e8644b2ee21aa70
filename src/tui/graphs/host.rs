//! The host view: CPU (total, with the load averages) and memory (used and swap) charts over
//! the time window, a sparkline per core, a gauge per mounted disk and a line per network
//! interface. The charts take what the boxes below them leave, so small screens keep the
//! charts and large ones give them the room.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph};

use super::chart::{Plot, chart_block, draw_chart, now_secs};
use crate::format::tail;
use crate::tui::graphs::{HostGraphs, SPARK_POINTS};
use crate::tui::screen::View;

/// Rows the charts keep before the boxes below them get any.
const MIN_CHART_ROWS: u16 = 8;
/// Below this width the two charts are stacked instead of side by side.
const SIDE_BY_SIDE_WIDTH: u16 = 60;
/// A core cell's narrowest sparkline, and the gap between cells.
const CORE_SPARK_MIN: u16 = 8;
const CORE_GAP: u16 = 2;
/// `100%`
const PCT_WIDTH: u16 = 4;
/// `1023K/s`
const RATE_WIDTH: u16 = 7;

pub fn draw(frame: &mut Frame, area: Rect, view: View) {
    let theme = view.theme;
    let host = view.state.graphs.host();
    if !host.sampled {
        let block = Block::bordered()
            .border_style(theme.border(true))
            .title(Span::styled(
                " Host ",
                theme.accent().add_modifier(Modifier::BOLD),
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let middle = Rect {
            y: inner.y + inner.height / 2,
            height: inner.height.min(1),
            ..inner
        };
        frame.render_widget(
            Paragraph::new("Waiting for the engine's first metrics sample…")
                .style(theme.dim())
                .centered(),
            middle,
        );
        return;
    }

    let grid = CoreGrid::new(host, area.width.saturating_sub(2));
    let room = area.height.saturating_sub(MIN_CHART_ROWS);
    let cores_height = fit(grid.rows + 2, room, !host.cores.is_empty());
    let device_lines = u16::try_from(host.disks.len() + host.nets.len()).unwrap_or(u16::MAX);
    let devices_height = fit(
        device_lines.saturating_add(2),
        room - cores_height,
        device_lines > 0,
    );
    let [charts, cores, devices] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(cores_height),
        Constraint::Length(devices_height),
    ])
    .areas(area);
    let [cpu, mem] = if charts.width < SIDE_BY_SIDE_WIDTH {
        Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(charts)
    } else {
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(charts)
    };
    draw_cpu(frame, cpu, view, host);
    draw_memory(frame, mem, view, host);
    if cores_height > 0 {
        draw_cores(frame, cores, view, host, &grid);
    }
    if devices_height > 0 {
        draw_devices(frame, devices, view, host);
    }
}

/// A box's height: what it wants within `room`, or nothing when not even one line fits.
fn fit(wanted: u16, room: u16, wanted_at_all: bool) -> u16 {
    match wanted.min(room) {
        h if h >= 3 && wanted_at_all => h,
        _ => 0,
    }
}

fn draw_cpu(frame: &mut Frame, area: Rect, view: View, host: &HostGraphs) {
    let theme = view.theme;
    let style = Style::new().fg(theme.chart_cpu);
    let series = view.state.graphs.series(&host.cpu_key, now_secs(view));
    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(host.cpu_title.as_str(), style),
        Span::raw(" "),
    ]);
    let block = chart_block(view, area.width, title, &[&series]);
    draw_chart(
        frame,
        area,
        view,
        block,
        &[Plot { series, style }],
        &host.cpu_axis,
    );
}

fn draw_memory(frame: &mut Frame, area: Rect, view: View, host: &HostGraphs) {
    let theme = view.theme;
    let now = now_secs(view);
    let graphs = &view.state.graphs;
    let mem = Plot {
        series: graphs.series(&host.mem_key, now),
        style: Style::new().fg(theme.chart_mem),
    };
    let mut title = vec![
        Span::raw(" "),
        Span::styled(host.mem_title.as_str(), mem.style),
    ];
    let mut plots = vec![mem];
    if let Some(swap_title) = &host.swap_title {
        let swap = Plot {
            series: graphs.series(&host.swap_key, now),
            style: Style::new().fg(theme.chart_swap),
        };
        title.push(Span::styled(" · ", theme.dim()));
        title.push(Span::styled(swap_title.as_str(), swap.style));
        plots.push(swap);
    }
    title.push(Span::raw(" "));
    let series: Vec<_> = plots.iter().map(|p| &p.series).collect();
    let block = chart_block(view, area.width, Line::from(title), &series);
    draw_chart(frame, area, view, block, &plots, &host.mem_axis);
}

/// How the cores' cells are laid out: columns as many as fit, then rows.
struct CoreGrid {
    columns: u16,
    rows: u16,
    label: u16,
    cell: u16,
    spark: u16,
}

impl CoreGrid {
    fn new(host: &HostGraphs, width: u16) -> Self {
        let count = u16::try_from(host.cores.len()).unwrap_or(u16::MAX);
        let label = host.cores.iter().map(|c| c.label.len()).max().unwrap_or(1) as u16;
        let fixed = label + 1 + 1 + PCT_WIDTH;
        let columns =
            ((width + CORE_GAP) / (fixed + CORE_SPARK_MIN + CORE_GAP)).clamp(1, count.max(1));
        let cell = (width.saturating_sub(CORE_GAP * (columns - 1)) / columns).max(fixed);
        Self {
            columns,
            rows: count.div_ceil(columns),
            label,
            cell,
            spark: (cell - fixed).min(SPARK_POINTS as u16),
        }
    }
}

fn draw_cores(frame: &mut Frame, area: Rect, view: View, host: &HostGraphs, grid: &CoreGrid) {
    let theme = view.theme;
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(Span::styled(" cores ", Style::new().fg(theme.chart_cpu)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let buf = frame.buffer_mut();
    let spark_style = Style::new().fg(theme.chart_cpu);
    for (i, core) in host.cores.iter().enumerate() {
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        let (row, column) = (i / grid.columns, i % grid.columns);
        if row >= inner.height {
            break;
        }
        let x = inner.x + column * (grid.cell + CORE_GAP);
        let y = inner.y + row;
        let label_x = x + grid.label - core.label.len() as u16;
        put(buf, inner, label_x, y, &core.label, grid.label, theme.dim());
        let spark = tail(&core.spark, usize::from(grid.spark));
        put(
            buf,
            inner,
            x + grid.label + 1,
            y,
            spark,
            grid.spark,
            spark_style,
        );
        let pct_x = x + grid.cell - core.pct.len() as u16;
        put(buf, inner, pct_x, y, &core.pct, PCT_WIDTH, Style::new());
    }
}

fn draw_devices(frame: &mut Frame, area: Rect, view: View, host: &HostGraphs) {
    let theme = view.theme;
    let block = Block::bordered()
        .border_style(theme.border(false))
        .title(Line::from(vec![
            Span::styled(" disks", theme.accent()),
            Span::styled(" · ", theme.dim()),
            Span::styled("network ", theme.accent()),
        ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = |text: &str| Span::raw(text).width() as u16;
    let name = host
        .disks
        .iter()
        .map(|d| width(&d.mount))
        .chain(host.nets.iter().map(|n| width(&n.iface)))
        .max()
        .unwrap_or(0)
        .min(inner.width / 4);
    let mut y = inner.y;
    let bottom = inner.bottom();

    // Disks: mount, a gauge with the used percent, then sizes and rates as room allows.
    let usage = host
        .disks
        .iter()
        .map(|d| width(&d.usage))
        .max()
        .unwrap_or(0);
    let io = host.disks.iter().map(|d| width(&d.io)).max().unwrap_or(0);
    let gauge_min = 10;
    let text = [usage + 2 + io, usage, 0]
        .into_iter()
        .find(|&t| name + 1 + gauge_min + 2 + t <= inner.width)
        .unwrap_or(0);
    for disk in &host.disks {
        if y >= bottom {
            return;
        }
        let buf = frame.buffer_mut();
        put(buf, inner, inner.x, y, &disk.mount, name, Style::new());
        let gauge_x = inner.x + name + 1;
        let gauge_width = inner
            .width
            .saturating_sub(name + 1 + if text > 0 { text + 2 } else { 0 });
        let style = theme.usage(disk.ratio * 100.0);
        let gauge = LineGauge::default()
            .ratio(disk.ratio)
            .label(Span::styled(disk.pct.as_str(), style))
            .filled_symbol(symbols::line::THICK_HORIZONTAL)
            .filled_style(style)
            .unfilled_style(theme.dim());
        frame.render_widget(
            gauge,
            Rect::new(gauge_x, y, gauge_width, 1).intersection(inner),
        );
        if text > 0 {
            let buf = frame.buffer_mut();
            let x = gauge_x + gauge_width + 2;
            put(buf, inner, x, y, &disk.usage, usage, Style::new());
            if text > usage {
                let x = x + usage + 2;
                put(buf, inner, x, y, &disk.io, io, theme.dim());
            }
        }
        y += 1;
    }

    // Network: interface, then received and sent rates, each with its sparkline.
    let fixed = name + 1 + 2 * (3 + RATE_WIDTH + 1) + 2;
    let spark = (inner.width.saturating_sub(fixed) / 2).min(SPARK_POINTS as u16);
    let buf = frame.buffer_mut();
    for net in &host.nets {
        if y >= bottom {
            return;
        }
        put(buf, inner, inner.x, y, &net.iface, name, Style::new());
        let mut x = inner.x + name + 1;
        for (label, rate, line, color) in [
            ("rx ", &net.rx, &net.rx_spark, theme.chart_rx),
            ("tx ", &net.tx, &net.tx_spark, theme.chart_tx),
        ] {
            put(buf, inner, x, y, label, 3, theme.dim());
            let rate_x = x + 3 + RATE_WIDTH.saturating_sub(rate.len() as u16);
            put(
                buf,
                inner,
                rate_x,
                y,
                rate,
                RATE_WIDTH,
                Style::new().fg(color),
            );
            let spark_x = x + 3 + RATE_WIDTH + 1;
            let line = tail(line, usize::from(spark));
            put(buf, inner, spark_x, y, line, spark, Style::new().fg(color));
            x = spark_x + spark + 2;
        }
        y += 1;
    }
}

/// Write `text` at (x, y), at most `width` columns, clipped to `area`.
fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, text: &str, width: u16, style: Style) {
    if x >= area.right() || y >= area.bottom() {
        return;
    }
    let width = width.min(area.right() - x);
    buf.set_stringn(x, y, text, usize::from(width), style);
}
