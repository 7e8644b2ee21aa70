//! `uc metrics [SERVICE] [--since 10m] [--json]`: current values and history.

use std::fmt::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::anyhow;
use serde::Serialize;

use super::output::{out, outln};
use super::{CliResult, Failure, load, running};
use crate::config::Source;
use crate::format;
use crate::metrics::{
    HistoryQuery, HistoryResponse, HostSample, Metric, Sample, SeriesHistory, SeriesKey,
    ServiceSample,
};

/// History is shown as one sparkline of this many buckets per series.
const BUCKETS: u64 = 60;

#[derive(Serialize)]
struct Report<'a> {
    at: Option<u64>,
    host: Option<&'a HostSample>,
    services: Vec<&'a ServiceSample>,
    history: &'a HistoryResponse,
}

pub async fn run(source: Source, service: Option<&str>, since: Duration, json: bool) -> CliResult {
    let (ws, paths) = load(&source)?;
    if let Some(name) = service
        && ws.service(name).is_none()
    {
        let names = ws.services.iter().map(|s| s.name.as_str());
        let hint = crate::config::suggest(name, names)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(Failure::input(anyhow!("unknown service `{name}`{hint}")));
    }
    let client = running(&source, paths).await?;
    let snapshot = client.snapshot().await?;
    let since = since.as_secs().max(1);
    let query = HistoryQuery {
        series: series_for(service),
        since,
        step: Some(since.div_ceil(BUCKETS)),
    };
    let history = client.history(&query).await?;
    let sample = snapshot.metrics.as_ref();
    let services: Vec<&ServiceSample> = sample
        .map(|s| {
            s.services
                .iter()
                .filter(|x| service.is_none_or(|n| x.name == n))
                .collect()
        })
        .unwrap_or_default();
    if json {
        let report = Report {
            at: sample.map(|s| s.at),
            host: sample.filter(|_| service.is_none()).map(|s| &s.host),
            services,
            history: &history,
        };
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", text(sample, service, &services, &history, since))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn series_for(service: Option<&str>) -> Vec<SeriesKey> {
    match service {
        Some(name) => [
            Metric::ServiceCpu,
            Metric::ServiceRss,
            Metric::ServiceThreads,
            Metric::ServiceFds,
        ]
        .into_iter()
        .map(|m| SeriesKey::new(m, name))
        .collect(),
        None => vec![
            SeriesKey::host(Metric::HostCpu),
            SeriesKey::host(Metric::MemUsed),
            SeriesKey::host(Metric::Load1),
        ],
    }
}

fn text(
    sample: Option<&Sample>,
    service: Option<&str>,
    services: &[&ServiceSample],
    history: &HistoryResponse,
    since: u64,
) -> String {
    let mut out = String::new();
    match (sample, service) {
        (None, _) => out.push_str("no sample yet (the engine samples once per interval)\n"),
        (Some(s), None) => host_lines(&mut out, &s.host),
        (Some(_), Some(name)) if services.is_empty() => {
            let _ = writeln!(out, "{name} is not running");
        }
        (Some(_), Some(_)) => {}
    }
    if !services.is_empty() {
        service_table(&mut out, services);
    }
    let _ = writeln!(
        out,
        "\nhistory: last {} in {} s steps ({})",
        crate::config::duration::format(Duration::from_secs(since)),
        history.step,
        history.tier
    );
    if history.series.is_empty() {
        out.push_str("  (no points in this window)\n");
    }
    let width = history
        .series
        .iter()
        .map(|h| h.key.to_string().len())
        .max()
        .unwrap_or(0);
    for h in &history.series {
        let _ = writeln!(out, "  {:width$}  {}", h.key.to_string(), summary(h));
    }
    out
}

fn host_lines(out: &mut String, h: &HostSample) {
    let _ = writeln!(
        out,
        "host  cpu {:.1}%  load {:.2} {:.2} {:.2}  mem {} of {} ({:.0}%)  swap {} of {}",
        h.cpu_pct,
        h.load[0],
        h.load[1],
        h.load[2],
        format::bytes(h.mem_used as f64),
        format::bytes(h.mem_total as f64),
        h.mem_pct(),
        format::bytes(h.swap_used as f64),
        format::bytes(h.swap_total as f64)
    );
    for d in &h.disks {
        let _ = writeln!(
            out,
            "  disk {:<12} {:>3.0}% of {:<7} read {}  write {}",
            d.mount,
            d.used_pct(),
            format::bytes(d.total as f64),
            format::rate(d.read_bps),
            format::rate(d.write_bps)
        );
    }
    for n in &h.nets {
        let _ = writeln!(
            out,
            "  net  {:<12} rx {}  tx {}",
            n.iface,
            format::rate(n.rx_bps),
            format::rate(n.tx_bps)
        );
    }
}

fn service_table(out: &mut String, services: &[&ServiceSample]) {
    let width = services
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0)
        .max(7);
    let _ = writeln!(
        out,
        "\n{:width$}  {:>7}  {:>8}  {:>7}  {:>5}  {:>5}",
        "SERVICE", "CPU%", "RSS", "THREADS", "FDS", "PROCS"
    );
    for s in services {
        let fds = s.fds.map_or_else(|| "-".to_string(), |n| n.to_string());
        let _ = writeln!(
            out,
            "{:width$}  {:>7.1}  {:>8}  {:>7}  {:>5}  {:>5}",
            s.name,
            s.cpu_pct,
            format::bytes(s.rss as f64),
            s.threads,
            fds,
            s.procs
        );
    }
}

/// A sparkline of the bucket averages, then min / avg / max over the window.
fn summary(h: &SeriesHistory) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let lo = h.points.iter().map(|p| p.min).fold(f64::INFINITY, f64::min);
    let hi = h
        .points
        .iter()
        .map(|p| p.max)
        .fold(f64::NEG_INFINITY, f64::max);
    let n = h.points.len() as f64;
    let avg = h.points.iter().map(|p| p.avg).sum::<f64>() / n.max(1.0);
    let spark: String = h
        .points
        .iter()
        .map(|p| {
            let level = if hi > lo {
                (p.avg - lo) / (hi - lo)
            } else {
                0.0
            };
            BARS[((level * 7.0).round() as usize).min(7)]
        })
        .collect();
    let value = |v: f64| match h.key.metric {
        Metric::MemUsed | Metric::ServiceRss => format::bytes(v),
        _ => format!("{v:.1}"),
    };
    format!(
        "{spark}  min {}  avg {}  max {}",
        value(lo),
        value(avg),
        value(hi)
    )
}
