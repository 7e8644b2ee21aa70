//! `uc logs patterns FILE [--assignments OUT.csv] [--json]`: mines a file's lines offline
//! (no engine) and prints its patterns, most frequent first. The header is learned as the
//! engine learns it (`logs::header`) and only the message is mined.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::output::outln;
use super::{CliResult, Failure};
use crate::logs::header::{Detector, LEARN};
use crate::logs::mine::Miner;

/// Offline there is no engine to protect: a file may hold more patterns than the engine
/// keeps.
const OFFLINE_CAP: usize = 1_000_000;

#[derive(Serialize)]
struct Pattern<'a> {
    id: u32,
    template: &'a str,
    count: u64,
}

pub fn run(file: &Path, assignments: Option<&Path>, json: bool) -> CliResult {
    let input = File::open(file)
        .with_context(|| format!("cannot open {}", file.display()))
        .map_err(Failure::input)?;
    let mut miner = Miner::with_cap(OFFLINE_CAP);
    let ids = mine(&mut miner, BufReader::new(input))
        .with_context(|| format!("reading {}", file.display()))?;
    if let Some(out) = assignments {
        write_assignments(&miner, &ids, out)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    let mut patterns: Vec<Pattern<'_>> = miner
        .patterns()
        .map(|(id, template, count)| Pattern {
            id,
            template,
            count,
        })
        .collect();
    patterns.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
    print(&patterns, json)?;
    Ok(ExitCode::SUCCESS)
}

/// `uc logs format FILE`: the header learned from the file's first lines, then the fields
/// and message of the first line that fits it.
pub fn format(file: &Path) -> CliResult {
    let input = File::open(file)
        .with_context(|| format!("cannot open {}", file.display()))
        .map_err(Failure::input)?;
    let first = first_lines(&mut BufReader::new(input))
        .with_context(|| format!("reading {}", file.display()))?;
    let detector = Detector::primed(&first);
    let format = detector.format();
    outln!("header: {}", format.describe())?;
    if let Some(line) = first.iter().find(|l| !format.fields(l).is_empty()) {
        for (field, value) in format.fields(line) {
            outln!("{:>9}: {value}", field.as_str())?;
        }
        outln!("  message: {}", format.message(line))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Each line's pattern id, in order, of its message: the header is learned from the file's
/// first lines before any is mined (the engine, following, learns as lines come). Lines are
/// taken as written (a `\r\n` ending is a line break; invalid UTF-8 is replaced).
fn mine(miner: &mut Miner, mut input: impl BufRead) -> std::io::Result<Vec<u32>> {
    let first = first_lines(&mut input)?;
    let mut detector = Detector::primed(&first);
    let mut ids: Vec<u32> = first
        .iter()
        .map(|line| miner.add(&detector.format().message(line)))
        .collect();
    while let Some(line) = read_line(&mut input)? {
        detector.observe(&line);
        ids.push(miner.add(&detector.format().message(&line)));
    }
    Ok(ids)
}

/// The lines a header is learned from.
fn first_lines(input: &mut impl BufRead) -> std::io::Result<Vec<String>> {
    let mut first = Vec::new();
    while first.len() < LEARN
        && let Some(line) = read_line(input)?
    {
        first.push(line);
    }
    Ok(first)
}

fn read_line(input: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if input.read_until(b'\n', &mut buf)? == 0 {
        return Ok(None);
    }
    let mut line = buf.as_slice();
    line = line.strip_suffix(b"\n").unwrap_or(line);
    line = line.strip_suffix(b"\r").unwrap_or(line);
    Ok(Some(String::from_utf8_lossy(line).into_owned()))
}

/// `LineId,EventTemplate`: each line's final template (what `ga.py` scores).
fn write_assignments(miner: &Miner, ids: &[u32], out: &Path) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(out)?);
    writeln!(w, "LineId,EventTemplate")?;
    for (n, &id) in ids.iter().enumerate() {
        let evicted;
        let template = match miner.template(id) {
            Some(t) => t,
            None => {
                evicted = format!("(pattern {id}, evicted)");
                &evicted
            }
        };
        writeln!(w, "{},\"{}\"", n + 1, template.replace('"', "\"\""))?;
    }
    w.flush()
}

fn print(patterns: &[Pattern<'_>], json: bool) -> anyhow::Result<()> {
    let mut w = BufWriter::new(super::output::Out::new());
    if json {
        serde_json::to_writer_pretty(&mut w, patterns)?;
        writeln!(w)?;
    } else {
        writeln!(w, "{:>10}  {:>7}  TEMPLATE", "COUNT", "ID")?;
        for p in patterns {
            writeln!(w, "{:>10}  {:>7}  {}", p.count, p.id, p.template)?;
        }
    }
    w.flush()?;
    Ok(())
}
