//! `uc logs [SERVICE...] [-f] [--grep RE] [--level warn] [--since 10m] [--json]`,
//! `uc logs patterns FILE`, `uc logs stats`, `uc logs index FILE`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{CliResult, Failure};
use crate::engine::Source;

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
    #[arg(long, value_parser = humantime::parse_duration)]
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
}

#[derive(Debug, Subcommand)]
pub enum LogsCmd {
    /// Mine the patterns of a log file (offline; no engine needed)
    Patterns {
        file: PathBuf,
        /// Write `LineId,EventTemplate` for every input line to this CSV file
        #[arg(long, value_name = "OUT.csv")]
        assignments: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Lines, bytes, levels and patterns per service over a window
    Stats {
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        since: Duration,
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        #[arg(long)]
        markdown: bool,
    },
    /// Build the line index of a log file and report its size (what `--since` and pattern
    /// filters read instead of the file)
    Index { file: PathBuf },
}

pub async fn run(source: Source, args: LogsArgs) -> CliResult {
    let _ = source;
    match args.command {
        Some(LogsCmd::Patterns {
            file,
            assignments,
            json,
        }) => super::logs_patterns::run(&file, assignments.as_deref(), json),
        Some(_) | None => Err(Failure::input(anyhow::anyhow!("uc logs is being written"))),
    }
}
