//! Two workspaces listed in one projects file, sharing a state dir and a temp HOME, and a
//! terminal to run the overview in: the fixture of the overview's end-to-end tests.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use super::TmuxServer;
use super::cli::{Env, Screen};

pub const T: Duration = Duration::from_secs(30);

/// Two workspaces sharing one state dir and one user's config dir (a temp HOME), each on
/// the tmux server its name gives it (`uc-<workspace>`), killed when dropped.
pub struct Two {
    pub a: Env,
    pub b: Env,
    pub home: PathBuf,
    _servers: [TmuxServer; 2],
    _tmp: tempfile::TempDir,
}

impl Two {
    pub fn new() -> Self {
        Self::with(
            "  one:\n    command: exec sleep 4101\n  two:\n    command: exec sleep 4102\n",
            |_| {
                "  web:\n    command: exec sleep 4103\n  jobs:\n    command: exec sleep 4104\n"
                    .into()
            },
        )
    }

    /// `a` with these services, `b` with the ones `b_services` gives for a's workspace name
    /// (to depend on a's services).
    pub fn with(a_services: &str, b_services: impl FnOnce(&str) -> String) -> Self {
        let a = Env::new(a_services);
        let b = Env::new(&b_services(&a.workspace));
        let tmp = tempfile::tempdir().expect("tmp");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        let servers = [&a, &b].map(|env| TmuxServer {
            socket: format!("uc-{}", env.workspace),
        });
        Self {
            a,
            b,
            home,
            _servers: servers,
            _tmp: tmp,
        }
    }

    pub fn envs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("UC_STATE_DIR", self.a.state.display().to_string()),
            ("HOME", self.home.display().to_string()),
            (
                "XDG_CONFIG_HOME",
                self.home.join(".config").display().to_string(),
            ),
        ]
    }

    pub fn uc(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_uc"));
        cmd.args(args).current_dir(&self.home);
        cmd.env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .env_remove("UC_TMUX_SOCKET");
        for (k, v) in self.envs() {
            cmd.env(k, v);
        }
        cmd.output().expect("run uc")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.uc(args);
        assert!(
            out.status.success(),
            "uc {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn status(&self, env: &Env) -> Value {
        let file = env.file.display().to_string();
        serde_json::from_str(&self.ok(&["-f", &file, "status", "--json"])).expect("json")
    }

    pub fn ps(&self) -> Vec<Value> {
        let rows: Value = serde_json::from_str(&self.ok(&["ps", "--json"])).expect("json");
        rows.as_array().expect("rows").clone()
    }

    pub fn projects_file(&self) -> PathBuf {
        self.home.join(".config/uc/projects.yaml")
    }

    /// A terminal whose shell runs in HOME (no univers.yaml there), with the same env.
    pub fn screen(&self) -> Screen {
        let server = TmuxServer::new("overview-screen");
        let mut args = vec![
            "-f".to_string(),
            "/dev/null".into(),
            "new-session".into(),
            "-d".into(),
            "-x".into(),
            "160".into(),
            "-y".into(),
            "40".into(),
            "-c".into(),
            self.home.display().to_string(),
        ];
        for (k, v) in self.envs() {
            args.extend(["-e".into(), format!("{k}={v}")]);
        }
        args.push("/bin/sh".into());
        let status = Command::new("tmux")
            .arg("-L")
            .arg(&server.socket)
            .args(&args)
            .status()
            .expect("tmux");
        assert!(status.success());
        let screen = Screen { server };
        screen.server.tmux(&["send-keys", "-l", "PS1='$ '; "]);
        screen.clear();
        screen
    }
}

pub fn running_count(status: &Value) -> usize {
    let services = status["services"].as_array().expect("services");
    services.iter().filter(|s| s["state"] == "running").count()
}

pub fn engine_pid(status: &Value) -> u32 {
    status["engine"]["pid"].as_u64().expect("engine pid") as u32
}

/// The overview's row of `name` shows `counts` (`2/2`).
pub fn row_shows(text: &str, name: &str, counts: &str) -> bool {
    Screen::row(text, name).is_some_and(|r| r.contains(counts))
}

pub fn file_of(env: &Env) -> String {
    env.file.display().to_string()
}
