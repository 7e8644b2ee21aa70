//! The `run` step: a shell command in the workspace directory, in its own process group so
//! that a timeout kills everything it started, not just the shell.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use super::report::{ActionKind, Outcome, StepAction};
use crate::heal::output;

/// How much of the command's output the report keeps.
const OUTPUT_TAIL: usize = 300;

pub(super) async fn run(command: &str, timeout: Duration, dir: &Path, dry_run: bool) -> StepAction {
    let mut action = StepAction::new(ActionKind::Run, command);
    let limit = humantime::format_duration(timeout);
    if dry_run {
        action.detail = Some(format!("in {}, timeout {limit}", dir.display()));
        return action;
    }
    let (outcome, output) = match execute(command, timeout, dir).await {
        Ok(Some((status, output))) if status.success() => (Outcome::Done, output),
        Ok(Some((status, output))) => (Outcome::Failed(status.to_string()), output),
        Ok(None) => {
            let why = format!("timed out after {limit}; killed it and what it started");
            (Outcome::Failed(why), Vec::new())
        }
        Err(e) => (Outcome::Failed(format!("cannot run: {e}")), Vec::new()),
    };
    action.outcome = outcome;
    action.detail = tail(&output);
    action
}

type Finished = (std::process::ExitStatus, Vec<u8>);

/// The exit status and output, or `None` when the command was killed at `timeout`.
async fn execute(
    command: &str,
    timeout: Duration,
    dir: &Path,
) -> std::io::Result<Option<Finished>> {
    let mut child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()?;
    let group = child.id().and_then(|id| i32::try_from(id).ok());
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let finish = async {
        let (status, out, err) = tokio::join!(
            child.wait(),
            output::capture(stdout.as_mut()),
            output::capture(stderr.as_mut())
        );
        let mut out = out.into_bytes();
        out.append(&mut err.into_bytes());
        status.map(|s| (s, out))
    };
    match tokio::time::timeout(timeout, finish).await {
        Ok(finished) => finished.map(Some),
        Err(_) => {
            if let Some(group) = group {
                let pgid = nix::unistd::Pid::from_raw(group);
                let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
            }
            // Reap the shell; `kill_on_drop` covers a wait that fails.
            let _ = child.wait().await;
            Ok(None)
        }
    }
}

/// The last few hundred characters of output, on one line.
fn tail(output: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(output);
    let text = text.trim();
    let start = text
        .char_indices()
        .rev()
        .nth(OUTPUT_TAIL)
        .map_or(0, |(i, _)| i);
    let tail = text[start..]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!tail.is_empty()).then_some(tail)
}
