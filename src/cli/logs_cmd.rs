//! `uc logs [SERVICE...] [-f] [--grep RE] [--level warn] [--since 10m] [--json] [--raw]`,
//! `uc logs patterns FILE`, `uc logs stats`, `uc logs index FILE`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use anyhow::anyhow;

use super::output::{out, outln};
use super::{CliResult, Failure, load, paths, running};
use crate::clock::now_ms;
use crate::config::Source;
use crate::config::Workspace;
use crate::format::{FieldColumns, clock_ms};
use crate::logs::{Level, LogLine, LogQuery, LogStreamEvent, stats};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogsArgs {
    #[command(subcommand)]
    pub command: Option<LogsCmd>,
    #[command(flatten)]
    pub search: SearchArgs,
}

/// Which lines to print: the engine's stored and live logs, or plain files with `--file`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Services (or declared log sources) to include; all when none
    pub services: Vec<String>,
    /// Keep printing new lines as they arrive
    #[arg(short, long)]
    pub follow: bool,
    /// Only lines matching this regex
    #[arg(short, long)]
    pub grep: Option<String>,
    /// Only lines at this level or above (trace, debug, info, warn, error, fatal)
    #[arg(short, long)]
    pub level: Option<String>,
    /// Only lines from this long ago (e.g. 10m, 2h)
    #[arg(long, value_parser = super::duration_arg, allow_hyphen_values = true)]
    pub since: Option<Duration>,
    /// Only lines of this pattern id (see `uc logs patterns`)
    #[arg(long)]
    pub pattern: Option<u32>,
    /// At most this many lines (the newest)
    #[arg(short = 'n', long)]
    pub lines: Option<usize>,
    /// Print the number of matching lines instead of the lines
    #[arg(short, long)]
    pub count: bool,
    /// Search these files instead of the engine's logs (no engine needed)
    #[arg(long = "path", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// One JSON object per line
    #[arg(long)]
    pub json: bool,
    /// Each line as written, its own time and level included (by default a line whose
    /// source's header is known shows its fields in columns, then its message)
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,
}

#[derive(Debug, Subcommand)]
pub enum LogsCmd {
    /// Mine the patterns of a log file (offline; no engine needed); without FILE, the
    /// patterns the engine mined from the workspace's logs, `new` marking those first seen
    /// after the latest config change
    Patterns {
        file: Option<PathBuf>,
        /// Write `LineId,EventTemplate` for every input line to this CSV file
        #[arg(long, value_name = "OUT.csv", requires = "file")]
        assignments: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The header learned from a file's first lines: what each leading field is, and the
    /// first line's fields and message
    Format { file: PathBuf },
    /// Lines, bytes, levels and patterns per service over a window
    Stats {
        #[arg(long, default_value = "1h", value_parser = super::duration_arg, allow_hyphen_values = true)]
        since: Duration,
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        #[arg(long)]
        markdown: bool,
    },
    /// Build the line index of a log file and report its size (what `--since` and pattern
    /// filters read instead of the file)
    Index {
        file: PathBuf,
        /// Threads that parse and mine the file's parts (the index is the same for any)
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
}

pub async fn run(source: Source, args: LogsArgs) -> CliResult {
    match args.command {
        None if !args.search.files.is_empty() => super::logs_search::files(&args.search),
        None => search(source, args.search).await,
        Some(LogsCmd::Format { file }) => super::logs_patterns::format(&file),
        Some(LogsCmd::Index { file, threads }) => super::logs_search::index(&file, threads),
        Some(LogsCmd::Stats {
            since,
            json,
            markdown,
        }) => stats(source, since, json, markdown).await,
        Some(LogsCmd::Patterns {
            file: Some(file),
            assignments,
            json,
        }) => super::logs_patterns::run(&file, assignments.as_deref(), json),
        Some(LogsCmd::Patterns {
            file: None, json, ..
        }) => patterns(source, json).await,
    }
}

/// Stored lines printed when neither `--since` nor `-n` bounds the search.
const DEFAULT_LINES: usize = 1000;

async fn search(source: Source, args: SearchArgs) -> CliResult {
    let (ws, paths) = load(&source)?;
    check_sources(&ws, &args.services)?;
    let query = query(&args)?;
    let client = running(&source, paths).await?;
    if args.count {
        let count = client.log_count(&query).await?;
        let shown = query.limit.map_or(count, |n| count.min(n as u64));
        outln!("{shown}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut print = Printer {
        json: args.json,
        raw: args.raw,
        columns: FieldColumns::default(),
    };
    if !args.follow {
        // Printed as they arrive: `--since 30d` over a large store holds one line at a time.
        let mut lines = client.log_lines(&query).await?;
        while let Some(line) = lines.next().await {
            print.line(&line?)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut stream = client.follow_logs(&query).await?;
    let closed = super::output::closed();
    tokio::pin!(closed);
    loop {
        let event = tokio::select! {
            event = stream.next() => event,
            closed = &mut closed => return Err(Failure::runtime(closed)),
        };
        let Some(event) = event else { break };
        match event? {
            LogStreamEvent::Lines { lines } => {
                for line in &lines {
                    print.line(line)?;
                }
            }
            LogStreamEvent::Skipped { count } => {
                eprintln!("uc: {count} lines not shown (too fast to print; they are stored)");
            }
            LogStreamEvent::CaughtUp | LogStreamEvent::Second { .. } => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Services and declared sources: a typo gets the nearest name.
fn check_sources(ws: &Workspace, names: &[String]) -> Result<(), Failure> {
    let known: Vec<&str> = ws
        .services
        .iter()
        .map(|s| s.name.as_str())
        .chain(ws.logs.sources.iter().map(|s| s.name.as_str()))
        .collect();
    for name in names {
        if !known.contains(&name.as_str()) {
            let hint = crate::config::suggest(name, known.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(Failure::input(anyhow!(
                "unknown service or log source `{name}`{hint}"
            )));
        }
    }
    Ok(())
}

/// `--level` and `--grep` as typed, checked the same way for the engine's logs and for
/// `--path` files: a bad one is bad input (exit 2) in the user's words.
pub(super) fn level_and_grep(args: &SearchArgs) -> Result<Option<Level>, Failure> {
    if let Some(grep) = &args.grep {
        crate::config::values::regex(grep).map_err(Failure::input)?;
    }
    args.level
        .as_deref()
        .map(|name| {
            Level::from_name(name).ok_or_else(|| {
                Failure::input(anyhow!(
                    "unknown level `{name}` (trace, debug, info, warn, error, fatal)"
                ))
            })
        })
        .transpose()
}

fn query(args: &SearchArgs) -> Result<LogQuery, Failure> {
    let level = level_and_grep(args)?;
    let since = args
        .since
        .map(|d| now_ms().saturating_sub(d.as_millis() as u64));
    let limit = match (args.lines, since, args.count) {
        (Some(n), _, _) => Some(n),
        (None, None, false) => Some(DEFAULT_LINES),
        _ => None,
    };
    Ok(LogQuery {
        sources: args.services.clone(),
        level,
        grep: args.grep.clone(),
        pattern: args.pattern,
        since,
        limit,
        follow: args.follow,
    })
}

/// How `uc logs` prints lines: time, source and level in columns, then the source's own
/// fields (host, process, pid, thread, component) aligned and the message; the line as
/// written when its header is not known, with `--raw`, and for a record's continuation.
struct Printer {
    json: bool,
    raw: bool,
    columns: FieldColumns,
}

impl Printer {
    fn line(&mut self, line: &LogLine) -> Result<(), Failure> {
        if self.json {
            let text = serde_json::to_string(line).map_err(Failure::runtime)?;
            return outln!("{text}");
        }
        let clock = clock_ms(line.at);
        let source = &line.source;
        if self.raw {
            return outln!("{clock} {source:<12} {}", line.text);
        }
        let level = match line.shown_level() {
            Some(level) if !line.continues => level.as_str(),
            _ => "",
        };
        if line.header.is_none() || line.continues {
            return outln!("{clock} {source:<12} {level:<5} {}", line.text);
        }
        let fields = line.own_fields();
        self.columns.fit(&fields);
        let fields = self.columns.render(&fields);
        outln!("{clock} {source:<12} {level:<5} {fields}{}", line.message())
    }
}

/// The engine's patterns, most lines first.
async fn patterns(source: Source, json: bool) -> CliResult {
    let client = running(&source, paths(&source)?).await?;
    let patterns = client.log_patterns().await?;
    if json {
        let text = serde_json::to_string_pretty(&patterns).map_err(Failure::runtime)?;
        outln!("{text}")?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{:>10}  {:>7}  {:<12}  TEMPLATE", "COUNT", "ID", "FLAG")?;
    for p in &patterns {
        let marks = stats::marks(p.flag, p.new);
        outln!("{:>10}  {:>7}  {marks:<12}  {}", p.count, p.id, p.template)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn stats(source: Source, since: Duration, json: bool, markdown: bool) -> CliResult {
    let client = running(&source, paths(&source)?).await?;
    let report = client.log_stats(since.as_secs()).await?;
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(Failure::runtime)?
        )?;
    } else if markdown {
        out!("{}", stats::markdown(&report))?;
    } else {
        out!("{}", stats::text(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}
