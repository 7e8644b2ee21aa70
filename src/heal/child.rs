//! A shell command healing runs (an exec probe, a playbook `run` step): `/bin/sh -c` in its
//! own process group, so that a timeout kills everything it started, not just the shell,
//! with its output kept as [`output`] keeps it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use super::output;

/// How long a killed shell is waited for: a process in uninterruptible sleep outlives even
/// SIGKILL, and a timeout must not turn into a hang. `kill_on_drop` covers the rest.
const REAP: Duration = Duration::from_secs(1);

/// How a command that could be started ended.
#[derive(Debug)]
pub enum Ran {
    /// Its exit status, and its stdout followed by its stderr.
    Finished(ExitStatus, Vec<u8>),
    /// Killed with its process group at the timeout.
    TimedOut,
}

#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error("cannot start it: {0}")]
    Start(std::io::Error),
    #[error("cannot wait for it: {0}")]
    Wait(std::io::Error),
}

/// Runs `command` in `dir` with `env` added to the engine's environment, within `timeout`.
pub async fn run(
    command: &str,
    dir: &Path,
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Ran, ChildError> {
    let mut child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(ChildError::Start)?;
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
        status.map(|s| Ran::Finished(s, out))
    };
    match tokio::time::timeout(timeout, finish).await {
        Ok(finished) => finished.map_err(ChildError::Wait),
        Err(_) => {
            if let Some(group) = group {
                let pgid = nix::unistd::Pid::from_raw(group);
                let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
            }
            let _ = tokio::time::timeout(REAP, child.wait()).await;
            Ok(Ran::TimedOut)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_in_dir_with_env_and_keeps_stdout_then_stderr() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = BTreeMap::from([("WHO".to_owned(), "probe".to_owned())]);
        let command = "echo err >&2; echo \"$WHO in $(pwd)\"; exit 4";
        let ran = run(command, dir.path(), &env, Duration::from_secs(5)).await;
        let Ok(Ran::Finished(status, output)) = ran else {
            panic!("{ran:?}");
        };
        assert_eq!(status.code(), Some(4));
        let real = dir.path().canonicalize().expect("real path");
        let expected = format!("probe in {}\nerr\n", real.display());
        assert_eq!(String::from_utf8_lossy(&output), expected);
    }

    #[tokio::test]
    async fn a_missing_directory_cannot_start() {
        let nowhere = Path::new("/nonexistent/uc");
        let ran = run("true", nowhere, &BTreeMap::new(), Duration::from_secs(5)).await;
        assert!(matches!(ran, Err(ChildError::Start(_))), "{ran:?}");
    }
}
