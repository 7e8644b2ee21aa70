//! The `run` step: a shell command in the workspace directory (`heal::child`: a timeout
//! kills everything it started, not just the shell).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::report::{ActionKind, Outcome, StepAction};
use crate::heal::child::{self, ChildError, Ran};
use crate::heal::output;

pub(super) async fn run(command: &str, timeout: Duration, dir: &Path, dry_run: bool) -> StepAction {
    let mut action = StepAction::new(ActionKind::Run, command);
    let limit = humantime::format_duration(timeout);
    if dry_run {
        action.detail = Some(format!("in {}, timeout {limit}", dir.display()));
        return action;
    }
    let (outcome, output) = match child::run(command, dir, &BTreeMap::new(), timeout).await {
        Ok(Ran::Finished(status, output)) if status.success() => (Outcome::Done, output),
        Ok(Ran::Finished(status, output)) => (Outcome::Failed(status.to_string()), output),
        Ok(Ran::TimedOut) => {
            let why = format!("timed out after {limit}; killed it and what it started");
            (Outcome::Failed(why), Vec::new())
        }
        Err(ChildError::Start(e) | ChildError::Wait(e)) => {
            (Outcome::Failed(format!("cannot run: {e}")), Vec::new())
        }
    };
    action.outcome = outcome;
    action.detail = output::last_words(&output);
    action
}
