//! A deployed service's directory: `repo.git` (a bare mirror), `releases/<time>-<sha7>/`
//! (exports of a commit, each with its `build.log` and a `shared` link), `shared/`, and
//! `current`, a symlink switched by renaming a new link over it. git and the build run
//! with arguments, never a shell line built from values (the build command is the user's
//! own, quoted like a service's command).

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use super::model::Colour;
use crate::config::SERVING_FILE;

const MIRROR: &str = "repo.git";
const RELEASES: &str = "releases";
const SHARED: &str = "shared";
const CURRENT: &str = "current";
const BUILD_LOG: &str = "build.log";

pub struct Releases {
    root: PathBuf,
}

impl Releases {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    fn releases(&self) -> PathBuf {
        self.root.join(RELEASES)
    }

    pub fn path(&self, release: &str) -> PathBuf {
        self.releases().join(release)
    }

    /// Fetches `repo` into the mirror and answers the commit `git_ref` names there.
    pub async fn fetch(
        &self,
        repo: &str,
        git_ref: &str,
        log: &mut String,
    ) -> Result<String, String> {
        for dir in [self.root.clone(), self.releases(), self.root.join(SHARED)] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mirror = self.root.join(MIRROR);
        if !mirror.join("HEAD").is_file() {
            git(
                None,
                &["init", "--quiet", "--bare", &mirror.to_string_lossy()],
                log,
            )
            .await?;
        }
        let mirror_arg = mirror.to_string_lossy().into_owned();
        let refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];
        let mut args = vec![
            "fetch",
            "--quiet",
            "--prune",
            "--no-write-fetch-head",
            "--",
            repo,
        ];
        args.extend(refspecs);
        git(Some(&mirror_arg), &args, log).await?;
        let spec = format!("{git_ref}^{{commit}}");
        let sha = git(
            Some(&mirror_arg),
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ],
            log,
        )
        .await
        .map_err(|_| format!("no branch, tag or commit `{git_ref}` in {repo}"))?;
        Ok(sha.trim().to_owned())
    }

    /// Exports `sha` into a new release directory, named `<yyyymmddThhmmss>-<sha7>`.
    pub async fn export(&self, sha: &str, log: &mut String) -> Result<String, String> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let short = sha.get(..7).unwrap_or(sha);
        let mut name = format!("{stamp}-{short}");
        // The same commit twice within a second: a second directory, never the first reused.
        for n in 2.. {
            if !self.path(&name).exists() {
                break;
            }
            name = format!("{stamp}-{short}.{n}");
        }
        let partial = self.releases().join(format!(".{name}.partial"));
        let _ = std::fs::remove_dir_all(&partial);
        std::fs::create_dir(&partial)
            .map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
        self.archive(sha, &partial, log).await?;
        let shared = Path::new("..").join("..").join(SHARED);
        std::os::unix::fs::symlink(&shared, partial.join(SHARED))
            .map_err(|e| format!("cannot link shared/ into the release: {e}"))?;
        std::fs::rename(&partial, self.path(&name))
            .map_err(|e| format!("cannot move the release in place: {e}"))?;
        Ok(name)
    }

    /// `git archive SHA | tar -x -C DIR`.
    async fn archive(&self, sha: &str, dir: &Path, log: &mut String) -> Result<(), String> {
        let mirror = self.root.join(MIRROR);
        let mut archive = Command::new("git")
            .arg("--git-dir")
            .arg(&mirror)
            .args(["archive", "--format=tar", sha])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let stdout: Stdio = (archive.stdout.take())
            .ok_or("git archive has no output")?
            .try_into()
            .map_err(|e| format!("cannot pipe git archive: {e}"))?;
        let tar = Command::new("tar")
            .args(["-x", "-f", "-", "-C"])
            .arg(dir)
            .stdin(stdout)
            .output()
            .await
            .map_err(|e| format!("cannot run tar: {e}"))?;
        let git = archive
            .wait_with_output()
            .await
            .map_err(|e| format!("git archive: {e}"))?;
        log.push_str(&String::from_utf8_lossy(&git.stderr));
        log.push_str(&String::from_utf8_lossy(&tar.stderr));
        if !git.status.success() || !tar.status.success() {
            return Err(format!(
                "cannot export {sha}: git {}, tar {}",
                git.status, tar.status
            ));
        }
        Ok(())
    }

    /// Runs `command` with `/bin/sh -c` in the release; its output goes to the release's
    /// `build.log` and the end of it to `log`.
    pub async fn build(
        &self,
        release: &str,
        command: &str,
        env: &BTreeMap<String, String>,
        log: &mut String,
    ) -> Result<(), String> {
        let dir = self.path(release);
        let file = std::fs::File::create(dir.join(BUILD_LOG))
            .map_err(|e| format!("cannot create build.log: {e}"))?;
        let err = file.try_clone().map_err(|e| format!("build.log: {e}"))?;
        let status = Command::new("/bin/sh")
            .arg("-c")
            .arg(command)
            .current_dir(&dir)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .kill_on_drop(true)
            .status()
            .await
            .map_err(|e| format!("cannot run the build: {e}"))?;
        log.push_str(&std::fs::read_to_string(dir.join(BUILD_LOG)).unwrap_or_default());
        if status.success() {
            Ok(())
        } else {
            Err(format!("the build failed ({status})"))
        }
    }

    /// The release `current` points at.
    pub fn current(&self) -> Option<String> {
        let target = std::fs::read_link(self.root.join(CURRENT)).ok()?;
        Some(target.file_name()?.to_string_lossy().into_owned())
    }

    /// Points `current` at `release` in one step: a new link renamed over the old one.
    pub fn switch(&self, release: &str) -> Result<(), String> {
        self.point(CURRENT, release)
    }

    /// Points the link `name` (`current`, or a blue-green colour) at `release`.
    pub fn point(&self, name: &str, release: &str) -> Result<(), String> {
        if !self.path(release).is_dir() {
            return Err(format!("no release `{release}`"));
        }
        let link = self.root.join(format!(".{name}.{}", std::process::id()));
        let _ = std::fs::remove_file(&link);
        let target = Path::new(RELEASES).join(release);
        std::os::unix::fs::symlink(&target, &link)
            .and_then(|()| std::fs::rename(&link, self.root.join(name)))
            .map_err(|e| format!("cannot switch {name} to {release}: {e}"))
    }

    /// Records that `colour` serves (`config::SERVING_FILE`, replaced in one rename): what
    /// `uc up` and the next engine's proxy go by.
    pub fn serve(&self, colour: Colour) -> Result<(), String> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let file = self.root.join(SERVING_FILE);
        let partial = self
            .root
            .join(format!(".{SERVING_FILE}.{}", std::process::id()));
        let written = std::fs::create_dir_all(&self.root).and_then(|()| {
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&partial)?;
            out.write_all(colour.as_str().as_bytes())?;
            out.sync_all()?;
            std::fs::rename(&partial, &file)
        });
        written.map_err(|e| format!("cannot record that {} serves: {e}", colour.as_str()))
    }

    /// `current` is removed (a first deploy that did not pass: nothing to go back to).
    pub fn clear(&self) {
        let _ = std::fs::remove_file(self.root.join(CURRENT));
    }

    /// Release names, oldest first (names start with their time).
    pub fn list(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.releases()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    /// Deletes the oldest releases beyond `keep`, never one of `protect`, and what an export
    /// cut off left behind.
    pub fn prune(&self, keep: usize, protect: &[&str]) {
        let names = self.list();
        let excess = names.len().saturating_sub(keep);
        let doomed = names
            .iter()
            .filter(|n| !protect.contains(&n.as_str()))
            .take(excess);
        for name in doomed {
            if let Err(e) = std::fs::remove_dir_all(self.path(name)) {
                tracing::warn!("cannot remove release {name}: {e}");
            }
        }
        let Ok(entries) = std::fs::read_dir(self.releases()) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().ends_with(".partial") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// `git [--git-dir DIR] ARGS`, its output added to `log`; `Ok` holds its stdout.
async fn git(git_dir: Option<&str>, args: &[&str], log: &mut String) -> Result<String, String> {
    let mut command = Command::new("git");
    if let Some(dir) = git_dir {
        command.args(["--git-dir", dir]);
    }
    let output = command
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => "git is not installed".to_owned(),
            _ => format!("cannot run git: {e}"),
        })?;
    log.push_str(&String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "git {} failed ({})",
            args.first().unwrap_or(&""),
            output.status
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    #[tokio::test]
    async fn releases_are_exported_switched_by_rename_and_pruned_around_current() {
        let tmp = tempfile::tempdir().expect("tmp");
        let repo = tmp.path().join("repo");
        std::fs::create_dir(&repo).expect("repo");
        git(&repo, &["init", "--quiet", "--initial-branch=main"]);
        let releases = Releases::new(&tmp.path().join("deploys/app"));
        let mut names = Vec::new();
        for n in 0..4 {
            std::fs::write(repo.join("version"), n.to_string()).expect("write");
            git(&repo, &["add", "-A"]);
            git(&repo, &["commit", "--quiet", "-m", "v"]);
            let mut log = String::new();
            let repo_arg = repo.display().to_string();
            let sha = releases
                .fetch(&repo_arg, "main", &mut log)
                .await
                .expect("fetch");
            assert_eq!(sha, git(&repo, &["rev-parse", "HEAD"]));
            let name = releases.export(&sha, &mut log).await.expect("export");
            let exported = std::fs::read_to_string(releases.path(&name).join("version"));
            assert_eq!(exported.expect("version"), n.to_string());
            assert!(releases.path(&name).join("shared").is_symlink());
            releases.switch(&name).expect("switch");
            assert_eq!(releases.current().as_deref(), Some(name.as_str()));
            names.push(name);
        }
        let mut log = String::new();
        let bad = releases
            .fetch(&repo.display().to_string(), "--upload-pack=x", &mut log)
            .await;
        assert!(bad.is_err());
        // Beyond `keep`, the oldest go, never a protected one (the current, the previous).
        releases.prune(2, &[&names[3], &names[0]]);
        let mut kept = releases.list();
        kept.sort();
        let mut want = vec![names[0].clone(), names[3].clone()];
        want.sort();
        assert_eq!(kept, want);
        assert!(releases.switch("nope").is_err());
        assert_eq!(releases.current().as_deref(), Some(names[3].as_str()));
    }
}
