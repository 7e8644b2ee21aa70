//! `uc deploy hook install|remove SERVICE`: a git `post-receive` hook in the deploy's
//! repository that tells the engine what each push moved (`uc deploy pushed SERVICE`,
//! reading the hook's stdin). A hook the user had is chained, never overwritten: it moves
//! to `post-receive.uc-chained`, runs first with the same input, and comes back on remove.
//! Every value in the hook is a single-quoted word: paths are never shell code.

use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::output::outln;
use super::{CliResult, Failure, paths, running};
use crate::config::Source;

/// The hook's second line: what makes a `post-receive` ours.
const MARK: &str = "# uc deploy hook: `uc deploy hook remove SERVICE` takes a service out";
/// Where a user's own hook goes while ours is installed.
const CHAINED: &str = "post-receive.uc-chained";
/// The environment an engine is found by, kept in the hook so a push reaches the engine
/// the hook was installed for.
const KEPT_ENV: [&str; 2] = ["UC_STATE_DIR", "UC_TMUX_SOCKET"];

/// `'text'`, with each `'` closed, escaped and reopened.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn line_end(service: &str) -> String {
    format!(" # uc:{service}")
}

/// The `hooks` directory of the deploy's repository (bare or not).
fn hooks_dir(source: &Source, service: &str) -> Result<PathBuf, Failure> {
    let ws = source.load().map_err(Failure::input)?;
    let found = ws.services.iter().find(|s| s.name == service);
    let Some(deploy) = found.and_then(|s| s.deploy.as_ref()) else {
        let text = format!("`{service}` has no `deploy:`");
        return Err(Failure::input(anyhow::anyhow!(text)));
    };
    let repo = Path::new(&deploy.repo);
    if !repo.is_absolute() {
        let text = format!(
            "{} is not on this host: install the hook where the repository is, or use \
             `webhooks.incoming` or `poll:`",
            deploy.repo
        );
        return Err(Failure::input(anyhow::anyhow!(text)));
    }
    let git_dir = [repo.join(".git"), repo.to_path_buf()]
        .into_iter()
        .find(|d| d.join("HEAD").is_file());
    let Some(git_dir) = git_dir else {
        let text = format!("{} is not a git repository", repo.display());
        return Err(Failure::input(anyhow::anyhow!(text)));
    };
    Ok(git_dir.join("hooks"))
}

/// The hook's line for `service`: its stdin piped to `uc deploy pushed SERVICE`.
fn service_line(source: &Source, service: &str) -> Result<String, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::runtime(anyhow::anyhow!("cannot find the uc binary: {e}")))?;
    let Source::File(file) = source else {
        let text = "the demo workspace has no repository to hook";
        return Err(Failure::input(anyhow::anyhow!(text)));
    };
    let env: Vec<String> = (KEPT_ENV.iter())
        .filter_map(|k| Some(format!("{k}={}", quote(&std::env::var(k).ok()?))))
        .collect();
    let env = if env.is_empty() {
        String::new()
    } else {
        format!("env {} ", env.join(" "))
    };
    Ok(format!(
        "printf '%s\\n' \"$input\" | {env}{} -f {} deploy pushed {}{}",
        quote(&exe.to_string_lossy()),
        quote(&file.to_string_lossy()),
        quote(service),
        line_end(service)
    ))
}

fn script(chained: &Path, lines: &[String]) -> String {
    let chained = quote(&chained.to_string_lossy());
    format!(
        "#!/bin/sh\n{MARK}\ninput=$(cat)\nstatus=0\n\
         if [ -x {chained} ]; then printf '%s\\n' \"$input\" | {chained} \"$@\" || status=$?; fi\n\
         {}\nexit $status\n",
        lines.join("\n")
    )
}

/// Our hook's service lines, or `None` when the file is not ours (or not there).
fn our_lines(hook: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(hook).ok()?;
    if text.lines().nth(1) != Some(MARK) {
        return None;
    }
    Some(
        (text.lines())
            .filter(|l| l.contains(" # uc:"))
            .map(str::to_owned)
            .collect(),
    )
}

fn write_hook(hook: &Path, text: &str) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::runtime(anyhow::anyhow!("{}: {e}", hook.display()));
    let partial = hook.with_extension("uc-partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o755)
        .open(&partial)
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    drop(file);
    std::fs::rename(&partial, hook).map_err(fail)
}

pub fn install(source: &Source, service: &str) -> CliResult {
    let hooks = hooks_dir(source, service)?;
    let hook = hooks.join("post-receive");
    let chained = hooks.join(CHAINED);
    let fail = |e: std::io::Error| Failure::runtime(anyhow::anyhow!("{}: {e}", hook.display()));
    std::fs::create_dir_all(&hooks).map_err(fail)?;
    let mut lines = match our_lines(&hook) {
        Some(lines) => lines,
        None if hook.exists() => {
            if chained.exists() {
                let text = format!("{} exists already: move it away first", chained.display());
                return Err(Failure::input(anyhow::anyhow!(text)));
            }
            std::fs::rename(&hook, &chained).map_err(fail)?;
            outln!("chained the existing hook: it runs first, as {CHAINED}")?;
            Vec::new()
        }
        None => Vec::new(),
    };
    lines.retain(|l| !l.ends_with(&line_end(service)));
    lines.push(service_line(source, service)?);
    write_hook(&hook, &script(&chained, &lines))?;
    outln!("installed {}: a push deploys {service}", hook.display())?;
    Ok(ExitCode::SUCCESS)
}

pub fn remove(source: &Source, service: &str) -> CliResult {
    let hooks = hooks_dir(source, service)?;
    let hook = hooks.join("post-receive");
    let chained = hooks.join(CHAINED);
    let fail = |e: std::io::Error| Failure::runtime(anyhow::anyhow!("{}: {e}", hook.display()));
    let Some(mut lines) = our_lines(&hook) else {
        outln!("no uc hook in {}: nothing to remove", hooks.display())?;
        return Ok(ExitCode::SUCCESS);
    };
    lines.retain(|l| !l.ends_with(&line_end(service)));
    if !lines.is_empty() {
        write_hook(&hook, &script(&chained, &lines))?;
        outln!("{service} taken out of {}", hook.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    if chained.exists() {
        std::fs::rename(&chained, &hook).map_err(fail)?;
        outln!("removed the uc hook; the chained hook is post-receive again")?;
    } else {
        std::fs::remove_file(&hook).map_err(fail)?;
        outln!("removed {}", hook.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The hook's call: each `OLD NEW REF` line of stdin told to the engine. Never fails the
/// push (git ignores a post-receive's status); what happened is printed for the pusher.
pub async fn pushed(source: &Source, service: &str) -> CliResult {
    let client = running(source, paths(source)?).await?;
    let pusher = crate::store::audit::local_user();
    let mut failed = false;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        let (Some(_), Some(new), Some(git_ref)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        // A deleted ref has nothing to deploy.
        if new.bytes().all(|b| b == b'0') {
            continue;
        }
        match client.pushed(service, git_ref, new, Some(&pusher)).await {
            Ok(d) if d.state == crate::deploy::model::DeployState::Skipped => {
                let why = d.cause.unwrap_or_default();
                outln!("uc: {git_ref} does not deploy {service} here: {why}")?;
            }
            Ok(d) => outln!("uc: deploy {} of {service} started ({git_ref})", d.id)?,
            Err(e) => {
                failed = true;
                eprintln!("uc: {git_ref} did not deploy {service}: {e}");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_word_stays_one_word_whatever_it_holds() {
        assert_eq!(quote("/a b/uc"), "'/a b/uc'");
        assert_eq!(quote("it's $(x)"), r"'it'\''s $(x)'");
        for text in ["it's $(touch x) `y` \"z\" \\", "a\nb", "'"] {
            let out = std::process::Command::new("/bin/sh")
                .args(["-c", &format!("printf %s {}", quote(text))])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), text);
        }
    }
}
