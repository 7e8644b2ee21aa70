//! The browser tests' driver: a `web/tests/*.mjs` script run by node (playwright-core from
//! `web/`'s lock file, Debian's chromium) against a real `uc serve`, with the env's state
//! dir and tmux socket and the given variables (tokens travel here, never in argv).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::cli::Env;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser test needs chromium and `web/node_modules`, which `.ci/run` installs: without
/// them it fails, saying so, rather than passing without having run.
pub fn web_dir() -> PathBuf {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let missing: Vec<&str> = [
        (
            Path::new(CHROMIUM).exists(),
            "chromium (apt-get install chromium)",
        ),
        (
            web.join("node_modules/playwright-core").exists(),
            "web/node_modules (npm ci in web/)",
        ),
        (
            Command::new("node").arg("--version").output().is_ok(),
            "node",
        ),
    ]
    .into_iter()
    .filter_map(|(present, what)| (!present).then_some(what))
    .collect();
    assert!(
        missing.is_empty(),
        "the browser test needs {}: run `bash .ci/run`, which installs them",
        missing.join(", ")
    );
    web
}

/// Where a browser test's screenshots go: `UC_SCREENSHOTS` when set (the README's folder,
/// `assets/screenshots/web`, to refresh them), else the test's scratch dir.
pub fn screenshots_dir() -> String {
    std::env::var_os("UC_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"))
        .display()
        .to_string()
}

/// Runs `web/tests/{script}` to its end and answers the JSON of its last line; fails with
/// everything it printed when it does not succeed.
pub fn drive(env: &Env, script: &str, vars: &[(&str, &str)]) -> Value {
    let web = web_dir();
    let mut node = Command::new("node");
    node.env_remove("TMUX").env_remove("TMUX_PANE");
    for (key, value) in env.envs() {
        node.env(key, value);
    }
    for (key, value) in vars {
        node.env(key, value);
    }
    let out = node
        .arg(web.join("tests").join(script))
        .current_dir(&web)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test {script} failed:\n{stdout}{stderr}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
