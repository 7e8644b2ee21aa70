//! A fixture app to deploy: python3's http.server in a real git repository, each commit a
//! version whose `mode` says how it behaves and whose `gate.sh` is the gate's exec check;
//! a workspace that deploys it, and a plain HTTP GET of its `/up`.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::cli::Env;

const APP: &str = include_str!("../fixtures/deploy/app.py");

/// A git repository at `<tmp>/acme/app` holding the fixture app.
pub struct Repo {
    pub dir: PathBuf,
}

impl Repo {
    pub fn new(base: &Path) -> Self {
        let dir = base.join("acme/app");
        std::fs::create_dir_all(&dir).expect("repo dir");
        let repo = Self { dir };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        std::fs::write(repo.dir.join("app.py"), APP).expect("app");
        repo
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Commits `version` with `mode` (and `gate`, the gate's exec check); answers the sha.
    pub fn commit(&self, version: &str, mode: &str, gate: &str) -> String {
        std::fs::write(self.dir.join("version"), version).expect("version");
        std::fs::write(self.dir.join("mode"), mode).expect("mode");
        std::fs::write(self.dir.join("gate.sh"), gate).expect("gate");
        self.git(&["add", "-A"]);
        self.git(&["commit", "--quiet", "-m", version]);
        self.git(&["rev-parse", "HEAD"])
    }
}

/// A gate that runs the release's own `gate.sh`, once, with a minute to pass.
pub const HELD_GATE: &str =
    "      gate: { exec: sh gate.sh, passes: 1, interval: 100ms, timeout: 60s }\n";

/// The `gate.sh` of [`HELD_GATE`]: it passes once `go` exists and the app on `port`
/// answers, so a test holds the gate to see it running.
pub fn held_gate(port: u16, go: &Path) -> String {
    let ask = format!("urllib.request.urlopen(\"http://127.0.0.1:{port}/up\")");
    format!(
        "test -e '{}' && exec python3 -c 'import urllib.request; {ask}'\n",
        go.display()
    )
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `GET /up`: the status code and the body.
pub fn get(port: u16) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    std::io::Write::write_all(&mut stream, b"GET /up HTTP/1.0\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split("\r\n\r\n").nth(1)?.to_owned();
    Some((code, body))
}

pub fn workspace(repo: &Repo, port: u16, deploy: &str) -> Env {
    workspace_with(repo, port, deploy, "")
}

/// `workspace` with top-level `settings` (e.g. `environments: [prod]`).
pub fn workspace_with(repo: &Repo, port: u16, deploy: &str, settings: &str) -> Env {
    let services = format!(
        "  app:
    command: exec python3 app.py
    env: {{ PORT: {port} }}
    readiness: {{ http: http://127.0.0.1:{port}/up }}
    deploy:
      repo: {}
{deploy}",
        repo.dir.display()
    );
    Env::with_settings(&services, settings)
}
