//! `uc export compose|k8s|github-actions [--env ENV] [--out DIR|FILE] [--force]
//! [--image IMAGE]`: the workspace written for other tools, to stdout or into files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;

use super::output::{out, outln};
use super::{CliResult, Failure};
use crate::config::Source;
use crate::export::{self, ExportError, File, Options, Target};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to write
    target: Target,
    /// One environment (default: the first declared for compose, every one for k8s and
    /// github-actions)
    #[arg(long)]
    env: Option<String>,
    /// A directory to write into, or the file itself for compose and github-actions
    /// (default: print to stdout)
    #[arg(long, short, value_name = "DIR|FILE")]
    out: Option<PathBuf>,
    /// Overwrite files that exist
    #[arg(long)]
    force: bool,
    /// The image the services run; `{service}` in it is each service's name (default:
    /// <workspace>/<service>:latest)
    #[arg(long)]
    image: Option<String>,
}

pub fn run(source: &Source, args: ExportArgs) -> CliResult {
    let options = Options {
        env: args.env,
        image: args.image,
    };
    let files = export::export(source, args.target, &options).map_err(|e| match e {
        ExportError::Yaml(_) => Failure::runtime(e),
        _ => Failure::input(e),
    })?;
    match &args.out {
        None => print(&files),
        Some(out) => write(&files, out, args.force),
    }
}

/// One file as it is; several each after a `---` and a comment naming it.
fn print(files: &[File]) -> CliResult {
    if let [file] = files {
        out!("{}", file.text)?;
        return Ok(ExitCode::SUCCESS);
    }
    for file in files {
        out!("---\n# {}\n{}", file.path.display(), file.text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes every file, or none when one exists and `--force` is not given.
fn write(files: &[File], out: &Path, force: bool) -> CliResult {
    if files.len() > 1 && is_yaml(out) && !out.is_dir() {
        return Err(Failure::input(anyhow!(
            "--out {}: this export is {} files; name a directory",
            out.display(),
            files.len()
        )));
    }
    let targets: Vec<(PathBuf, &File)> = files
        .iter()
        .map(|f| (destination(files, f, out), f))
        .collect();
    if !force && let Some((path, _)) = targets.iter().find(|(p, _)| p.symlink_metadata().is_ok()) {
        return Err(Failure::input(anyhow!(
            "{} exists; pass --force to overwrite it",
            path.display()
        )));
    }
    for (path, file) in &targets {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::runtime(anyhow!("cannot create {}: {e}", dir.display())))?;
        }
        crate::paths::write_private(path, file.text.as_bytes())
            .map_err(|e| Failure::runtime(anyhow!("cannot write {}: {e}", path.display())))?;
        outln!("wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--out` names the file itself when the export is one file and it ends in `.yml` or
/// `.yaml` (and is not a directory); otherwise the directory the files go under.
fn destination(files: &[File], file: &File, out: &Path) -> PathBuf {
    let yaml = out.extension().is_some_and(|e| e == "yml" || e == "yaml");
    if files.len() == 1 && yaml && !out.is_dir() {
        out.to_path_buf()
    } else {
        out.join(&file.path)
    }
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yml" || e == "yaml")
}
