//! `uc status [--json]`.

use std::process::ExitCode;

use super::output::{out, outln};
use super::{CliResult, paths, running};
use crate::clock::now_ms;
use crate::config::Source;
use crate::protocol::Snapshot;

pub async fn run(source: Source, json: bool) -> CliResult {
    let client = running(&source, paths(&source)?).await?;
    let snapshot = client.snapshot().await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&snapshot)?)?;
    } else {
        out!("{}", table(&snapshot, now_ms()))?;
        out!("{}", super::links::lines(&snapshot))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Rows under a header, each column as wide as its widest cell.
pub fn columns<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut l: String = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}  "))
            .collect();
        l.truncate(l.trim_end().len());
        l.push('\n');
        l
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.as_ref().iter().map(String::as_str).collect()));
    }
    out
}

/// `healthy 3.1ms`, `unhealthy, live ok`: each probe's verdict, the readiness latency.
fn health(s: &crate::protocol::ServiceStatus) -> String {
    use crate::protocol::{Health, ProbeKind};
    let word = |h: Health| match h {
        Health::Healthy => "ok",
        Health::Unhealthy => "failing",
        Health::Unknown => "unknown",
    };
    let mut parts = Vec::new();
    for probe in &s.probes {
        let mut part = match probe.kind {
            ProbeKind::Readiness => format!("{:?}", probe.state).to_lowercase(),
            ProbeKind::Liveness => format!("live {}", word(probe.state)),
        };
        if probe.kind == ProbeKind::Readiness
            && let Some(us) = probe.latency_us
        {
            part.push_str(&format!(" {:.1}ms", us as f64 / 1000.0));
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return s
            .health
            .map_or_else(|| "-".into(), |h| format!("{h:?}").to_lowercase());
    }
    parts.join(", ")
}

/// `2 +3`: restarts after exits nobody asked for, then those someone asked for.
fn restarts(s: &crate::protocol::ServiceStatus) -> String {
    match s.user_restarts {
        0 => s.restarts.to_string(),
        asked => format!("{} +{asked}", s.restarts),
    }
}

/// The human table: one row per service, columns sized to their content.
pub fn table(snapshot: &Snapshot, now_ms: u64) -> String {
    let header = [
        "SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "TAGS",
    ];
    let rows: Vec<[String; 7]> = snapshot
        .services
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                super::control::describe(s)
                    .split(" (pid")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                s.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                s.uptime_secs(now_ms)
                    .map(crate::format::duration)
                    .unwrap_or_else(|| "-".into()),
                restarts(s),
                health(s),
                s.tags.join(","),
            ]
        })
        .collect();
    let mut out = format!(
        "workspace {} ({} of {} running)\n",
        snapshot.workspace,
        snapshot
            .services
            .iter()
            .filter(|s| s.state == crate::protocol::ServiceState::Running)
            .count(),
        snapshot.services.len()
    );
    out.push_str(&columns(&header, &rows));
    out.push_str(&quota_rows(&snapshot.quota));
    for problem in snapshot.storage.problems() {
        out.push_str(&format!("! {problem}\n"));
    }
    out
}

/// One row per quota the workspace sets: `services  2/2  100%  univers.yaml:12:3`.
fn quota_rows(status: &crate::protocol::QuotaStatus) -> String {
    use crate::protocol::QuotaKind;
    let rows: Vec<[String; 4]> = (QuotaKind::ALL.iter())
        .filter_map(|&kind| status.get(kind).map(|u| (kind, u)))
        .map(|(kind, u)| {
            [
                kind.key().to_owned(),
                format!("{}/{}", kind.show(u.used), kind.show(u.limit)),
                crate::format::percent(u.ratio() * 100.0),
                u.at.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut text = columns(&["QUOTA", "USED", "SHARE", "SET IN"], &rows);
    if let Some(how) = &status.enforcement {
        text.push_str(&format!("memory and cpu held by: {how}\n"));
    }
    text
}
