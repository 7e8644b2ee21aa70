//! Secrets reach a service through its environment, never a command line: tmux's
//! `respawn-pane -e NAME=VALUE` would show them in `ps` (and in tmux's own log). They are
//! written to a file only the user can read (`<state>/<ws>/env/<service>`, 0600), which
//! `/bin/sh` reads (`set -a; . FILE`) before it execs the pane's program; the launch removes
//! it once the runner answers, when the program runs with them.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use crate::paths::{Paths, StateDirError, private_dir, write_private};

/// Sources the file named by `$0`, exporting what it sets, then runs the rest.
const LOADER: &str = "set -a && . \"$0\" && exec \"$@\"";

/// Why a launch's secrets could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SecretEnvError {
    #[error(transparent)]
    Dir(#[from] StateDirError),
    #[error("{}: {source}", file.display())]
    Write { file: PathBuf, source: io::Error },
}

/// The file holding a launch's secrets, when it has any; removed when dropped.
#[derive(Debug)]
pub struct SecretEnv {
    file: PathBuf,
}

impl SecretEnv {
    /// Moves the variables of `env` named in `secret` into a new file for `service`.
    pub fn take(
        paths: &Paths,
        service: &str,
        env: &mut BTreeMap<String, String>,
        secret: &std::collections::BTreeSet<String>,
    ) -> Result<Option<Self>, SecretEnvError> {
        let mut text = String::new();
        for name in secret {
            if let Some(value) = env.remove(name) {
                text.push_str(&format!("{name}={}\n", quote(&value)));
            }
        }
        if text.is_empty() {
            return Ok(None);
        }
        let dir = paths.dir.join("env");
        private_dir(&dir)?;
        let file = dir.join(crate::paths::sanitize(service));
        if let Err(source) = write_private(&file, text.as_bytes()) {
            return Err(SecretEnvError::Write { file, source });
        }
        Ok(Some(Self { file }))
    }

    /// `argv` run by a shell that has read the secrets first.
    pub fn wrap(&self, argv: Vec<String>) -> Vec<String> {
        let mut wrapped = vec![
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            LOADER.to_owned(),
            self.file.to_string_lossy().into_owned(),
        ];
        wrapped.extend(argv);
        wrapped
    }
}

impl Drop for SecretEnv {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

/// Single quotes keep everything literal but `'` itself, spliced in as `'\''`.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_shell_reads_the_secrets_from_the_file_and_the_argv_holds_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(dir.path(), "ws", "uc-ws".into());
        let tricky = "it's \"$(touch pwned)\" `x`\nline two $HOME";
        let mut env = BTreeMap::from([
            ("SHOWN".to_owned(), "1".to_owned()),
            ("TOKEN".to_owned(), tricky.to_owned()),
        ]);
        let secret = BTreeSet::from(["TOKEN".to_owned()]);
        let file = SecretEnv::take(&paths, "api", &mut env, &secret)
            .expect("written")
            .expect("a secret");
        assert_eq!(env.keys().collect::<Vec<_>>(), ["SHOWN"]);
        let argv = file.wrap(vec![
            "/bin/sh".into(),
            "-c".into(),
            "printf %s \"$TOKEN\"".into(),
        ]);
        assert!(argv.iter().all(|a| !a.contains("it's")));
        let out = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(dir.path())
            .output()
            .expect("runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), tricky);
        assert!(!dir.path().join("pwned").exists());
        let path = dir.path().join("ws/env/api");
        assert!(path.exists());
        drop(file);
        assert!(!path.exists());
    }
}
