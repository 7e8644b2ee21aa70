//! What a pushed (or polled) ref does: the rules send it to an environment, and only the
//! one this host runs deploys; without rules, the deploy's branch deploys. Polling asks the
//! repository for its refs every `poll:` and hands each one that moved to the worker as a
//! push.

use std::collections::HashMap;
use std::process::Stdio;
use tokio::process::Command;

use super::{Ask, DeployRequest, Deploys};
use crate::config::Deploy;

/// What a ref pushed to a service's repository does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Deploy,
    /// Recorded with the reason: a rule names the ref, or rules exist and none does.
    Skip(String),
    /// Not the deploy's branch, and no rules: another branch's push, nothing to say.
    Ignore,
}

/// Where `git_ref` (`refs/heads/main`, `refs/tags/v1`) goes on a host running
/// `environment`.
pub fn route(deploy: &Deploy, environment: Option<&str>, git_ref: &str) -> Route {
    if deploy.rules.is_empty() {
        return if git_ref == format!("refs/heads/{}", deploy.branch) {
            Route::Deploy
        } else {
            Route::Ignore
        };
    }
    let Some(rule) = (deploy.rules.iter()).find(|r| matches(&r.pattern, git_ref)) else {
        return Route::Skip(format!("no rule names {git_ref}"));
    };
    match environment {
        Some(active) if active == rule.environment => Route::Deploy,
        active => Route::Skip(format!(
            "{git_ref} goes to {} by its rule; this host runs {}",
            rule.environment,
            active.unwrap_or("no environment")
        )),
    }
}

/// `*` matches any run of characters (also `/`), everything else itself.
fn matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The refs the poller watches: the branch, or every branch and tag when rules exist.
pub async fn refs(deploy: &Deploy) -> Result<HashMap<String, String>, String> {
    let branch = format!("refs/heads/{}", deploy.branch);
    let mut args = vec!["ls-remote"];
    if !deploy.rules.is_empty() {
        args.extend(["--heads", "--tags"]);
    }
    args.extend(["--", deploy.repo.as_str()]);
    if deploy.rules.is_empty() {
        args.push(&branch);
    }
    let output = Command::new("git")
        .args(&args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        let why = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "git ls-remote {} failed: {}",
            deploy.repo,
            why.trim()
        ));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('\t'))
        // An annotated tag's `^{}` line repeats it peeled: the tag itself is enough.
        .filter(|(_, name)| !name.ends_with("^{}"))
        .map(|(sha, name)| (name.to_owned(), sha.to_owned()))
        .collect())
}

/// Asks the repository every `poll:` and hands each ref that moved since `seen` (the refs
/// when the engine started; `None`: unknown, the first answer is) to the worker; stops
/// with the worker.
pub async fn poll(
    deploys: Deploys,
    service: String,
    deploy: Deploy,
    mut seen: Option<HashMap<String, String>>,
) {
    let Some(every) = deploy.poll else { return };
    loop {
        tokio::time::sleep(every).await;
        let now = match refs(&deploy).await {
            Ok(now) => now,
            Err(e) => {
                tracing::warn!(service, "poll: {e}");
                continue;
            }
        };
        let Some(before) = seen.replace(now.clone()) else {
            continue;
        };
        for (git_ref, sha) in &now {
            if before.get(git_ref) == Some(sha) {
                continue;
            }
            let request = DeployRequest {
                service: service.clone(),
                ask: Ask::Push {
                    git_ref: git_ref.clone(),
                    commit: sha.clone(),
                    trigger: "poll".to_owned(),
                },
                by: "poll".to_owned(),
            };
            match deploys.ask(request).await {
                Err(e) if e.message.contains("not running") => return,
                Err(e) => tracing::warn!(service, "poll: {git_ref} did not deploy: {e}"),
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::DeployRule;

    #[test]
    fn stars_match_any_run_of_characters() {
        assert!(matches("refs/tags/v*", "refs/tags/v1.2"));
        assert!(matches("refs/tags/v*", "refs/tags/v"));
        assert!(!matches("refs/tags/v*", "refs/heads/v1"));
        assert!(matches("refs/heads/main", "refs/heads/main"));
        assert!(!matches("refs/heads/main", "refs/heads/mainline"));
        assert!(matches(
            "refs/heads/release/*-rc",
            "refs/heads/release/2-rc"
        ));
        assert!(!matches("refs/heads/a*b*c", "refs/heads/acb"));
    }

    fn deploy(rules: &[(&str, &str)]) -> Deploy {
        Deploy {
            repo: "/r".into(),
            branch: "main".into(),
            build: None,
            keep: 2,
            gate: crate::config::Gate {
                probe: crate::config::Probe::Process,
                passes: 1,
                interval: Duration::from_secs(1),
                timeout: Duration::from_secs(1),
            },
            soak: Duration::ZERO,
            strategy: crate::config::Strategy::Restart,
            dir: "/d".into(),
            blue_green: None,
            poll: None,
            rules: (rules.iter())
                .map(|(p, e)| DeployRule {
                    pattern: (*p).to_owned(),
                    environment: (*e).to_owned(),
                })
                .collect(),
            pipeline: Vec::new(),
        }
    }

    #[test]
    fn rules_send_a_ref_to_one_environment_and_say_why_when_not_here() {
        let plain = deploy(&[]);
        assert_eq!(route(&plain, None, "refs/heads/main"), Route::Deploy);
        assert_eq!(route(&plain, None, "refs/heads/x"), Route::Ignore);
        let ruled = deploy(&[("refs/heads/main", "staging"), ("refs/tags/v*", "prod")]);
        let staging = Some("staging");
        assert_eq!(route(&ruled, staging, "refs/heads/main"), Route::Deploy);
        assert_eq!(
            route(&ruled, staging, "refs/tags/v1"),
            Route::Skip("refs/tags/v1 goes to prod by its rule; this host runs staging".into())
        );
        assert_eq!(
            route(&ruled, staging, "refs/heads/x"),
            Route::Skip("no rule names refs/heads/x".into())
        );
        assert_eq!(route(&ruled, Some("prod"), "refs/tags/v1"), Route::Deploy);
    }
}
