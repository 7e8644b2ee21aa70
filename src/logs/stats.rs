//! `uc logs stats`: lines and bytes per source, level and minute over a window, the top and
//! new patterns, the error ratio — as JSON, a terminal table or Markdown.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::{Level, LevelCounts, PatternFlag, PatternInfo};

/// Patterns listed in each of "top" and "new".
const LISTED: usize = 10;

/// One source's lines of one minute, as the store's index sums them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteTotals {
    pub source: String,
    /// Unix ms of the minute's start.
    pub minute: u64,
    pub lines: LevelCounts,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    /// Unix ms.
    pub since: u64,
    pub until: u64,
    pub lines: u64,
    pub bytes: u64,
    /// ERROR and FATAL lines over all lines (0 without lines).
    pub error_ratio: f64,
    pub sources: Vec<SourceStats>,
    pub minutes: Vec<MinuteTotals>,
    /// Patterns seen in the window, most lines first (counts since the engine started).
    pub top_patterns: Vec<PatternSummary>,
    /// Patterns first seen in the window, newest first.
    pub new_patterns: Vec<PatternSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceStats {
    pub source: String,
    pub lines: u64,
    pub bytes: u64,
    pub levels: LevelCounts,
    pub error_ratio: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternSummary {
    pub id: u32,
    pub template: String,
    pub count: u64,
    pub errors: u64,
    pub first_seen: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<PatternFlag>,
    /// Lines per minute of the last minutes, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate: Vec<u32>,
    /// First seen after the latest change to what runs (see [`PatternInfo::new`]).
    #[serde(default)]
    pub new: bool,
}

fn ratio(errors: u64, lines: u64) -> f64 {
    if lines == 0 {
        0.0
    } else {
        errors as f64 / lines as f64
    }
}

/// The store's per-source minutes as the report reads them.
pub fn totals(sources: &[super::store::SourceMinutes]) -> Vec<MinuteTotals> {
    sources
        .iter()
        .flat_map(|s| {
            s.minutes.iter().map(|m| MinuteTotals {
                source: s.source.clone(),
                minute: m.minute,
                lines: m.lines,
                bytes: m.bytes.total(),
            })
        })
        .collect()
}

pub fn report(
    since: u64,
    until: u64,
    minutes: &[MinuteTotals],
    patterns: Vec<PatternInfo>,
) -> StatsReport {
    let mut sources: Vec<SourceStats> = Vec::new();
    for m in minutes.iter().filter(|m| m.minute + 60_000 > since) {
        let stats = match sources.iter_mut().position(|s| s.source == m.source) {
            Some(i) => &mut sources[i],
            None => {
                sources.push(SourceStats {
                    source: m.source.clone(),
                    lines: 0,
                    bytes: 0,
                    levels: LevelCounts::default(),
                    error_ratio: 0.0,
                });
                sources.last_mut().expect("just pushed")
            }
        };
        stats.lines += m.lines.total();
        stats.bytes += m.bytes;
        stats.levels.merge(&m.lines);
    }
    for s in &mut sources {
        s.error_ratio = ratio(s.levels.errors(), s.lines);
    }
    sources.sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| a.source.cmp(&b.source)));
    let lines = sources.iter().map(|s| s.lines).sum();
    let errors = sources.iter().map(|s| s.levels.errors()).sum();
    let summary = |p: &PatternInfo| PatternSummary {
        id: p.id,
        template: p.template.clone(),
        count: p.count,
        errors: p.levels.errors(),
        first_seen: p.first_seen,
        flag: p.flag,
        rate: p.rate.clone(),
        new: p.new,
    };
    let mut top: Vec<&PatternInfo> = patterns.iter().filter(|p| p.last_seen >= since).collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
    let mut new: Vec<&PatternInfo> = patterns.iter().filter(|p| p.first_seen >= since).collect();
    new.sort_by(|a, b| b.first_seen.cmp(&a.first_seen).then(a.id.cmp(&b.id)));
    StatsReport {
        since,
        until,
        lines,
        bytes: sources.iter().map(|s| s.bytes).sum(),
        error_ratio: ratio(errors, lines),
        sources,
        minutes: minutes
            .iter()
            .filter(|m| m.minute + 60_000 > since)
            .cloned()
            .collect(),
        top_patterns: top.into_iter().take(LISTED).map(summary).collect(),
        new_patterns: new.into_iter().take(LISTED).map(summary).collect(),
    }
}

const COLUMNS: [Level; 4] = [Level::Debug, Level::Info, Level::Warn, Level::Error];

/// ERROR and FATAL together, DEBUG and TRACE together: what a reader compares.
fn level_cells(levels: &LevelCounts) -> [u64; 4] {
    COLUMNS.map(|level| match level {
        Level::Debug => levels.get(Some(Level::Debug)) + levels.get(Some(Level::Trace)),
        Level::Error => levels.errors(),
        other => levels.get(Some(other)),
    })
}

/// A plain-text report for the terminal.
pub fn text(report: &StatsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} lines, {} bytes, {:.1}% errors",
        report.lines,
        report.bytes,
        report.error_ratio * 100.0
    );
    let _ = writeln!(
        out,
        "\n{:<20} {:>10} {:>12} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "SOURCE", "LINES", "BYTES", "DEBUG", "INFO", "WARN", "ERROR", "ERR%"
    );
    for s in &report.sources {
        let [debug, info, warn, error] = level_cells(&s.levels);
        let _ = writeln!(
            out,
            "{:<20} {:>10} {:>12} {debug:>9} {info:>9} {warn:>9} {error:>9} {:>6.1}%",
            s.source,
            s.lines,
            s.bytes,
            s.error_ratio * 100.0
        );
    }
    for (title, list) in [
        ("TOP PATTERNS", &report.top_patterns),
        ("NEW PATTERNS", &report.new_patterns),
    ] {
        let _ = writeln!(out, "\n{title}");
        if list.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for p in list {
            let marks = marks(p.flag, p.new);
            let _ = writeln!(
                out,
                "{:>10}  #{:<5} {marks:<12} {}",
                p.count, p.id, p.template
            );
        }
    }
    out
}

fn flag_name(flag: PatternFlag) -> &'static str {
    match flag {
        PatternFlag::Errors => "errors",
        PatternFlag::NewAndGrowing => "new, growing",
        PatternFlag::Surging => "surging",
    }
}

/// A pattern's flag and whether it is new since the latest change, as one cell: `new`
/// marks a pattern first seen after the change.
pub fn marks(flag: Option<PatternFlag>, new: bool) -> String {
    let flag = flag.map(flag_name);
    let new = new.then_some("new");
    [new, flag]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

/// A Markdown report (for a chat message or an incident note).
pub fn markdown(report: &StatsReport) -> String {
    let mut out = String::from("## Log statistics\n\n");
    let _ = writeln!(
        out,
        "{} lines, {} bytes, **{:.1}%** errors.\n",
        report.lines,
        report.bytes,
        report.error_ratio * 100.0
    );
    out.push_str("| source | lines | bytes | debug | info | warn | error | err% |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in &report.sources {
        let [debug, info, warn, error] = level_cells(&s.levels);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {debug} | {info} | {warn} | {error} | {:.1}% |",
            s.source,
            s.lines,
            s.bytes,
            s.error_ratio * 100.0
        );
    }
    for (title, list) in [
        ("Top patterns", &report.top_patterns),
        ("New patterns", &report.new_patterns),
    ] {
        let _ = writeln!(out, "\n### {title}\n");
        if list.is_empty() {
            out.push_str("(none)\n");
            continue;
        }
        out.push_str("| lines | id | per minute | flag | template |\n|---:|---:|---|---|---|\n");
        for p in list {
            let template = p.template.replace('|', "\\|");
            let flag = marks(p.flag, p.new);
            let rate = crate::format::sparkline(&p.rate);
            let _ = writeln!(
                out,
                "| {} | {} | `{rate}` | {flag} | `{template}` |",
                p.count, p.id
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(source: &str, minute: u64, info: u64, errors: u64) -> MinuteTotals {
        let mut lines = LevelCounts::default();
        lines.add(Some(Level::Info), info);
        lines.add(Some(Level::Error), errors);
        MinuteTotals {
            source: source.into(),
            minute,
            lines,
            bytes: (info + errors) * 100,
        }
    }

    fn pattern(id: u32, count: u64, first_seen: u64, errors: u64) -> PatternInfo {
        let mut levels = LevelCounts::default();
        levels.add(Some(Level::Error), errors);
        levels.add(Some(Level::Info), count - errors);
        PatternInfo {
            id,
            template: format!("pattern | {id} <*>"),
            count,
            first_seen,
            last_seen: first_seen + 1,
            examples: Vec::new(),
            levels,
            sources: vec!["api".into()],
            flag: (errors * 2 > count).then_some(PatternFlag::Errors),
            rate: vec![0, 0, 1, 2],
            new: false,
        }
    }

    fn sample() -> StatsReport {
        let minutes = [
            minute("api", 0, 1000, 1000),
            minute("api", 60_000, 90, 10),
            minute("web", 60_000, 50, 0),
            minute("api", 120_000, 10, 0),
        ];
        let patterns = vec![pattern(1, 500, 0, 0), pattern(2, 20, 70_000, 20)];
        report(60_000, 180_000, &minutes, patterns)
    }

    #[test]
    fn sums_the_window_per_source() {
        let r = sample();
        assert_eq!(r.lines, 160);
        assert_eq!(r.bytes, 16_000);
        assert_eq!(
            r.minutes.len(),
            3,
            "the minute before the window is left out"
        );
        let names: Vec<&str> = r.sources.iter().map(|s| s.source.as_str()).collect();
        assert_eq!(names, ["api", "web"]);
        assert!((r.sources[0].error_ratio - 10.0 / 110.0).abs() < 1e-9);
        assert!((r.error_ratio - 10.0 / 160.0).abs() < 1e-9);
        assert_eq!(
            r.top_patterns.iter().map(|p| p.id).collect::<Vec<_>>(),
            [2],
            "pattern 1 was last seen before the window"
        );
        assert_eq!(r.new_patterns[0].id, 2);
        assert_eq!(r.new_patterns[0].errors, 20);
    }

    #[test]
    fn renders_text_and_markdown() {
        let mut r = sample();
        r.new_patterns[0].new = true;
        let text = text(&r);
        assert!(
            text.starts_with("160 lines, 16000 bytes, 6.2% errors"),
            "{text}"
        );
        assert!(
            text.contains("api                         110        11000"),
            "{text}"
        );
        assert!(
            text.contains("#2     errors       pattern | 2 <*>"),
            "{text}"
        );
        assert!(
            text.contains("#2     new, errors  pattern | 2 <*>"),
            "{text}"
        );
        let md = markdown(&r);
        assert!(
            md.contains("| api | 110 | 11000 | 0 | 100 | 0 | 10 | 9.1% |"),
            "{md}"
        );
        assert!(
            md.contains("| 20 | 2 | `  ▄█` | errors | `pattern \\| 2 <*>` |"),
            "{md}"
        );
        assert!(
            md.contains("| 20 | 2 | `  ▄█` | new, errors | `pattern \\| 2 <*>` |"),
            "new since the latest change: {md}"
        );
    }
}
