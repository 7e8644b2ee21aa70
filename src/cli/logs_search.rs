//! `uc logs --path FILE ...` and `uc logs index FILE`: plain files, no engine needed.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::anyhow;

use super::logs_cmd::SearchArgs;
use super::{CliResult, Failure};
use crate::engine::now_ms;
use crate::engine::paths::state_base;
use crate::logs::store::{self, Classify, FileLine};
use crate::logs::{Level, LogLine, LogQuery};

/// `uc logs --path FILE...`: prints (or counts) the lines of plain files that match.
pub fn files(args: &SearchArgs) -> CliResult {
    let query = query(args)?;
    let many = args.files.len() > 1;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    for path in &args.files {
        let sidecar = store::sidecar_path(&state_base(), path).map_err(Failure::input)?;
        if args.count {
            let n = store::count_file(path, &query, &sidecar, &LineParser)?;
            let shown = if many {
                format!("{}:{n}\n", path.display())
            } else {
                format!("{n}\n")
            };
            write_or_stop(out.write_all(shown.as_bytes()))?;
            continue;
        }
        let mut failed = None;
        store::search_file(path, &query, &sidecar, &LineParser, &mut |line| {
            let written = print_line(&mut out, path, line, many, args.json);
            let go_on = written.is_ok();
            failed = written.err();
            go_on
        })?;
        if let Some(e) = failed {
            write_or_stop(Err(e))?;
        }
    }
    write_or_stop(out.flush())?;
    Ok(ExitCode::SUCCESS)
}

/// `uc logs index FILE`: builds the sidecar index and says what it cost.
pub fn index(file: &Path) -> CliResult {
    let sidecar = store::sidecar_path(&state_base(), file).map_err(Failure::input)?;
    let started = Instant::now();
    let summary = store::index_file(file, &sidecar, &LineParser, None)?;
    let seconds = started.elapsed().as_secs_f64();
    let per_line = summary.index_bytes as f64 / summary.lines.max(1) as f64;
    println!("lines        {}", summary.lines);
    println!("seconds      {seconds:.3}");
    println!("index bytes  {}", summary.index_bytes);
    println!("bytes/line   {per_line:.2}");
    println!("index        {}", summary.sidecar.display());
    Ok(ExitCode::SUCCESS)
}

fn query(args: &SearchArgs) -> Result<LogQuery, Failure> {
    let level = match args.level.as_deref() {
        Some(name) => Some(Level::from_name(name).ok_or_else(|| {
            Failure::input(anyhow!(
                "unknown level `{name}` (trace, debug, info, warn, error, fatal)"
            ))
        })?),
        None => None,
    };
    if args.follow {
        return Err(Failure::input(anyhow!(
            "--follow works on services' logs, not with --path"
        )));
    }
    Ok(LogQuery {
        level,
        grep: args.grep.clone(),
        pattern: args.pattern,
        since: args
            .since
            .map(|d| now_ms().saturating_sub(d.as_millis() as u64)),
        limit: args.lines,
        ..LogQuery::default()
    })
}

fn print_line(
    out: &mut impl Write,
    path: &Path,
    line: &FileLine<'_>,
    many: bool,
    json: bool,
) -> io::Result<()> {
    if json {
        let line = LogLine {
            seq: line.offset,
            at: line.at,
            source: path.display().to_string(),
            level: line.level,
            pattern: line.pattern,
            text: String::from_utf8_lossy(line.text).into_owned(),
        };
        serde_json::to_writer(&mut *out, &line)?;
        return out.write_all(b"\n");
    }
    if many {
        write!(out, "{}:", path.display())?;
    }
    out.write_all(line.text)?;
    out.write_all(b"\n")
}

/// A closed pipe (`uc logs ... | head`) ends the output quietly.
fn write_or_stop(written: io::Result<()>) -> Result<(), Failure> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Failure::runtime),
    }
}

/// Level and time of a line, until the engine's parsers (`logs::line`) are wired here: a
/// level word among the first tokens, an ISO-8601 time at the start.
struct LineParser;

impl Classify for LineParser {
    fn level(&self, line: &[u8]) -> Option<Level> {
        let head = &line[..line.len().min(64)];
        head.split(|b| !b.is_ascii_alphabetic())
            .filter(|w| (3..=8).contains(&w.len()))
            .find_map(|w| {
                LEVEL_WORDS
                    .iter()
                    .find(|(name, _)| w.eq_ignore_ascii_case(name.as_bytes()))
                    .map(|&(_, level)| level)
            })
    }

    fn time(&self, line: &[u8]) -> Option<u64> {
        iso_time(line)
    }
}

const LEVEL_WORDS: [(&str, Level); 11] = [
    ("TRACE", Level::Trace),
    ("DEBUG", Level::Debug),
    ("INFO", Level::Info),
    ("WARN", Level::Warn),
    ("WARNING", Level::Warn),
    ("ERROR", Level::Error),
    ("ERR", Level::Error),
    ("FATAL", Level::Fatal),
    ("CRIT", Level::Fatal),
    ("CRITICAL", Level::Fatal),
    ("PANIC", Level::Fatal),
];

/// `YYYY-MM-DD[T ]HH:MM:SS[.frac]` at the start of a line, as UTC.
fn iso_time(line: &[u8]) -> Option<u64> {
    let digits = |from: usize, n: usize| -> Option<u64> {
        let part = line.get(from..from + n)?;
        part.iter().try_fold(0u64, |v, &b| {
            b.is_ascii_digit().then(|| v * 10 + u64::from(b - b'0'))
        })
    };
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| line.get(i) != Some(&c))
        || !matches!(line.get(10), Some(b'T' | b' '))
    {
        return None;
    }
    let (y, mo, d) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (h, mi, s) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let ms = if line.get(19) == Some(&b'.') {
        digits(20, 3).unwrap_or(0)
    } else {
        0
    };
    let days = days_from_civil(y as i64, mo as i64, d as i64);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + mi * 60 + s;
    Some(secs * 1000 + ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_in_parser_reads_levels_and_iso_times() {
        let line = b"2024-05-01T10:40:00.123456Z WARN  [svc-api-0] req=1 status=503";
        assert_eq!(LineParser.level(line), Some(Level::Warn));
        assert_eq!(LineParser.time(line), Some(1_714_560_000_123));
        assert_eq!(LineParser.time(b"1970-01-01 00:00:01 x"), Some(1000));
        assert_eq!(LineParser.level(b"plain text without one"), None);
        assert_eq!(LineParser.time(b"not a time"), None);
    }
}
