//! `uc doctor [SERVICE] [--json]`: the engine's diagnosis, most important finding first,
//! each with its evidence and the commands that would help. Exit 1 when a finding is
//! critical, so a script can gate on it.

use std::process::ExitCode;

use super::output::outln;
use super::{CliResult, Failure, paths, running};
use crate::assist::finding::{Diagnosis, Finding, Severity};
use crate::config::Source;

pub async fn run(source: Source, service: Option<&str>, json: bool) -> CliResult {
    let client = running(&source, paths(&source)?).await?;
    let diagnosis = client.doctor(service).await?;
    if json {
        let text = serde_json::to_string_pretty(&diagnosis).map_err(Failure::runtime)?;
        outln!("{text}")?;
    } else {
        outln!("{}", text(&diagnosis).trim_end())?;
    }
    let critical = diagnosis
        .findings
        .iter()
        .any(|f| f.severity == Severity::Critical);
    Ok(if critical {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The diagnosis for people: one block per finding.
pub fn text(diagnosis: &Diagnosis) -> String {
    if diagnosis.findings.is_empty() {
        let scope = diagnosis.service.as_deref().unwrap_or("the workspace");
        return format!(
            "no problems found in {scope} ({} analyzers: {})\n",
            diagnosis.analyzers.len(),
            diagnosis.analyzers.join(", ")
        );
    }
    diagnosis
        .findings
        .iter()
        .map(|f| block(f, diagnosis.at_ms))
        .collect()
}

fn block(f: &Finding, now_ms: u64) -> String {
    let mut out = format!("{:<8}  {}", f.severity.label().to_uppercase(), f.cause);
    if let Some(since) = f.since_ms {
        out += &format!(" (since {})", crate::format::age(since, now_ms));
    }
    out += &format!("  [{}]\n", f.analyzer);
    for e in &f.evidence {
        let kind = serde_json::to_value(e.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        for (i, line) in e.text.lines().enumerate() {
            let label = if i == 0 { kind.as_str() } else { "" };
            out += &format!("    {label:<8} {line}\n");
        }
    }
    for a in &f.actions {
        out += &format!("    {:<8} {}\n", "try", a.command_line());
    }
    out + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assist::finding::{Evidence, EvidenceKind, Suggestion};

    #[test]
    fn a_finding_reads_cause_evidence_then_actions() {
        let d = Diagnosis {
            at_ms: 120_000,
            service: None,
            findings: vec![Finding {
                analyzer: "dependency_down".into(),
                severity: Severity::Critical,
                rank: 5,
                service: Some("api".into()),
                cause: "api depends on db, which is stopped".into(),
                evidence: vec![Evidence {
                    kind: EvidenceKind::Event,
                    text: "db is stopped".into(),
                    at_ms: None,
                }],
                actions: vec![Suggestion::Start {
                    service: "db".into(),
                }],
                since_ms: Some(60_000),
            }],
            analyzers: vec!["dependency_down".into()],
        };
        let text = text(&d);
        assert!(text.starts_with("CRITICAL  api depends on db, which is stopped (since "));
        assert!(text.contains("    event    db is stopped\n"), "{text}");
        assert!(text.contains("    try      uc up db\n"), "{text}");
    }

    #[test]
    fn no_finding_names_what_ran() {
        let d = Diagnosis {
            analyzers: vec!["dependency_down".into()],
            ..Diagnosis::default()
        };
        assert_eq!(
            text(&d),
            "no problems found in the workspace (1 analyzers: dependency_down)\n"
        );
    }
}
