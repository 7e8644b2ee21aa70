//! `uc logs --path FILE ...` and `uc logs index FILE`: plain files, no engine needed.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::anyhow;

use super::logs_cmd::SearchArgs;
use super::output::{Out, outln};
use super::{CliResult, Failure};
use crate::clock::now_ms;
use crate::logs::mine::Miner;
use crate::logs::store::{self, FileLine};
use crate::logs::{LineClassifier, LogLine, LogQuery};
use crate::paths::{private_dir, state_base};

/// `uc logs --path FILE...`: prints (or counts) the lines of plain files that match.
pub fn files(args: &SearchArgs) -> CliResult {
    let query = query(args)?;
    let many = args.files.len() > 1;
    let mut out = BufWriter::with_capacity(1 << 16, Out::new());
    for path in &args.files {
        let sidecar = store::sidecar_path(&index_base()?, path).map_err(Failure::input)?;
        if args.count {
            let n = store::count_file(path, &query, &sidecar, &classifier())?;
            let shown = if many {
                format!("{}:{n}\n", path.display())
            } else {
                format!("{n}\n")
            };
            out.write_all(shown.as_bytes()).map_err(Failure::runtime)?;
            continue;
        }
        let mut failed = None;
        store::search_file(path, &query, &sidecar, &classifier(), &mut |line| {
            let written = print_line(&mut out, path, line, many, args.json);
            let go_on = written.is_ok();
            failed = written.err();
            go_on
        })?;
        if let Some(e) = failed {
            return Err(Failure::runtime(e));
        }
    }
    out.flush().map_err(Failure::runtime)?;
    Ok(ExitCode::SUCCESS)
}

/// `uc logs index FILE`: builds the sidecar index and says what it cost.
pub fn index(file: &Path, threads: usize) -> CliResult {
    let sidecar = store::sidecar_path(&index_base()?, file).map_err(Failure::input)?;
    let started = Instant::now();
    let miner = || Box::new(Miner::new()) as Box<dyn store::Patterns>;
    let summary = store::index_file(file, &sidecar, &classifier(), Some(&miner), threads)?;
    let seconds = started.elapsed().as_secs_f64();
    let per_line = summary.index_bytes as f64 / summary.lines.max(1) as f64;
    outln!("lines        {}", summary.lines)?;
    outln!("seconds      {seconds:.3}")?;
    outln!("index bytes  {}", summary.index_bytes)?;
    outln!("bytes/line   {per_line:.2}")?;
    outln!("index        {}", summary.sidecar.display())?;
    Ok(ExitCode::SUCCESS)
}

/// The state dir, where file indexes are kept: private, like the rest of it.
fn index_base() -> Result<std::path::PathBuf, Failure> {
    let base = state_base().map_err(Failure::runtime)?;
    private_dir(&base).map_err(Failure::runtime)?;
    Ok(base)
}

fn query(args: &SearchArgs) -> Result<LogQuery, Failure> {
    let level = super::logs_cmd::level_and_grep(args)?;
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
            header: None,
            continues: false,
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

/// The engine's own parsers: files are classified exactly as ingested lines.
fn classifier() -> LineClassifier {
    LineClassifier { now_ms: now_ms() }
}
