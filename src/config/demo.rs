use std::path::{Path, PathBuf};

use crate::paths::Paths;

use super::effective::{Input, Loaded, Overlays, run};
use super::{ConfigError, Workspace};

/// The built-in demo workspace, also shipped as `configs/demo/univers.yaml`.
pub const DEMO_YAML: &str = include_str!("../../configs/demo/univers.yaml");

/// Names the embedded file in problems; they can only come from editing it.
const DEMO_FILE: &str = "configs/demo/univers.yaml";

/// The demo's environment overlays, built in like the workspace file.
const DEMO_OVERLAYS: [(&str, &str, &str); 2] = [
    (
        "staging",
        "configs/demo/environments/staging.yaml",
        include_str!("../../configs/demo/environments/staging.yaml"),
    ),
    (
        "prod",
        "configs/demo/environments/prod.yaml",
        include_str!("../../configs/demo/environments/prod.yaml"),
    ),
];

/// The demo workspace in its default environment, relative paths resolved against `dir`.
///
/// Fallible only in principle: the embedded files are checked by the tests, but a bug
/// there should reach the user as an error, not a panic.
pub fn demo_workspace(dir: &Path) -> Result<Workspace, ConfigError> {
    demo_loaded(dir, None).map(|loaded| loaded.workspace)
}

/// The demo in environment `env` (`None`: the default), needing no file on disk.
pub fn demo_loaded(dir: &Path, env: Option<&str>) -> Result<Loaded, ConfigError> {
    let dir = super::load::absolute(dir);
    let input = Input {
        text: DEMO_YAML,
        file: Path::new(DEMO_FILE),
        dir: &dir,
        env,
        overlays: Overlays::Embedded(&DEMO_OVERLAYS),
    };
    let mut loaded = run(&input).0?;
    loaded.inputs.clear();
    let workspace = &mut loaded.workspace;
    workspace.file = None;
    workspace.alerts.builtin = super::BuiltinRules::Demo;
    Ok(loaded)
}

/// The demo's web server's directory, ready to serve (in the demo's private state dir).
pub fn demo_dir() -> Result<PathBuf, ConfigError> {
    let paths = Paths::for_workspace("demo").map_err(|e| ConfigError::Io {
        path: PathBuf::from("the demo's state dir"),
        source: std::io::Error::other(e),
    })?;
    let www = paths.dir.join("www");
    prepare_demo_dir(&www);
    Ok(www)
}

/// The demo's web server serves this directory; give it a page, and the shipped clean-up
/// playbook (`uc heal run cleanup --dry-run`).
fn prepare_demo_dir(dir: &std::path::Path) {
    let playbooks = dir.join(super::PLAYBOOKS_DIR);
    let _ = std::fs::create_dir_all(&playbooks);
    let cleanup = playbooks.join("cleanup.yaml");
    if !cleanup.exists() {
        let _ = std::fs::write(cleanup, DEMO_PLAYBOOK);
    }
    let index = dir.join("index.html");
    if !index.exists() {
        let _ = std::fs::write(
            index,
            "<!doctype html><title>uc demo</title><h1>Served by the uc demo workspace</h1>\n",
        );
    }
}

const DEMO_PLAYBOOK: &str = include_str!("../../configs/playbooks/cleanup.yaml");
