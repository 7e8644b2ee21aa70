//! Running the real `uc` binary on a temp workspace, and reading a real terminal (a tmux
//! pane on a private test server) with `send-keys` / `capture-pane`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::{TmuxServer, unique};

/// A file of 1000 bytes last modified `days` ago.
pub fn aged(path: &Path, days: u64) {
    std::fs::write(path, "x".repeat(1000)).expect("write");
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    let then = std::time::SystemTime::now() - Duration::from_secs(days * 86_400);
    file.set_modified(then).expect("age");
}

/// A workspace in a temp dir with its own state dir and private tmux socket. Dropping it
/// kills the workspace's tmux server (and so its engine and services) even when the test
/// failed.
pub struct Env {
    pub dir: PathBuf,
    pub file: PathBuf,
    pub state: PathBuf,
    pub workspace: String,
    pub private: TmuxServer,
    _tmp: tempfile::TempDir,
}

impl Env {
    /// The `tidy` playbook in the workspace: delete the logs under `./tmp` older than a
    /// day; `tmp/` is created, empty.
    pub fn tidy_playbook(&self) {
        std::fs::create_dir_all(self.dir.join("tmp")).expect("tmp");
        let playbooks = self.dir.join("configs/playbooks");
        std::fs::create_dir_all(&playbooks).expect("playbooks");
        let tidy = "description: Drop old scratch files
roots: [./tmp]
steps:
  - delete: { under: ./tmp, match: \"**/*.log\", older_than: 1d }
";
        std::fs::write(playbooks.join("tidy.yaml"), tidy).expect("playbook");
    }

    /// `services` is the YAML under `services:`, indented by two spaces.
    pub fn new(services: &str) -> Self {
        Self::with_settings(services, "")
    }

    /// Like [`Env::new`], with more top-level YAML (e.g. a `metrics:` section) appended.
    pub fn with_settings(services: &str, settings: &str) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("ws");
        std::fs::create_dir_all(&dir).expect("ws dir");
        let private = TmuxServer::new("e2e");
        let workspace = unique("ws");
        let file = dir.join("univers.yaml");
        std::fs::write(
            &file,
            format!("workspace: {workspace}\nservices:\n{services}\n{settings}"),
        )
        .expect("write workspace");
        Self {
            state: tmp.path().join("state"),
            dir,
            file,
            workspace,
            private,
            _tmp: tmp,
        }
    }

    /// A workspace whose alerting reads `rules` and sends everything to one webhook at
    /// `hook` (signed with the secret `s3cret`), with fast timers and 500 ms samples.
    pub fn with_alerting(services: &str, rules: &str, hook: &str, repeat: &str) -> Self {
        let env = Self::with_settings(
            services,
            "metrics: { interval: 500ms }\nalerts: { rules: rules.yaml, channels: channels.yaml }\n",
        );
        std::fs::write(env.dir.join("rules.yaml"), rules).expect("rules");
        let channels = format!(
            "channels:\n  hook: {{ type: webhook, url: \"{hook}\", secret: s3cret }}\n\
             route:\n  channels: [hook]\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: {repeat}\n"
        );
        std::fs::write(env.dir.join("channels.yaml"), channels).expect("channels");
        env
    }

    pub fn envs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("UC_STATE_DIR", self.state.display().to_string()),
            ("UC_TMUX_SOCKET", self.private.socket.clone()),
        ]
    }

    /// `uc -f <workspace file> ARGS` with this env's state dir and tmux socket.
    pub fn uc(&self, args: &[&str]) -> Command {
        self.uc_on(&self.file, args)
    }

    /// `uc -f FILE ARGS` with this env's state dir and tmux socket.
    pub fn uc_on(&self, file: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_uc"));
        cmd.arg("-f").arg(file).args(args).current_dir(&self.dir);
        cmd.env_remove("TMUX").env_remove("TMUX_PANE");
        for (k, v) in self.envs() {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.uc(args).output().expect("run uc")
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "uc {args:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["status", "--json"])).expect("status json")
    }

    pub fn service<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
        status["services"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name))
            .unwrap_or_else(|| panic!("no service {name} in {status}"))
    }

    pub fn pid_of(status: &serde_json::Value, name: &str) -> u32 {
        Self::service(status, name)["pid"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} has no pid: {status}")) as u32
    }

    pub fn wait_status(
        &self,
        timeout: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let status = self.status();
            if pred(&status) {
                return status;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out; last status {status:#}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A terminal for the real binary: a pane of a private "user" tmux server, 200x50.
pub struct Screen {
    pub server: TmuxServer,
}

impl Screen {
    /// A shell in a fresh pane, with `env`'s variables, in `dir`.
    pub fn shell(env: &Env) -> Self {
        let server = TmuxServer::new("screen");
        let mut args: Vec<String> = [
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
            "-c",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(env.dir.display().to_string());
        for (k, v) in env.envs() {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.extend(["/bin/sh".into()]);
        let status = Command::new("tmux")
            .arg("-L")
            .arg(&server.socket)
            .args(&args)
            .status()
            .expect("tmux");
        assert!(status.success());
        // A plain prompt makes the screen easy to read. The terminal echoes what is typed
        // at once, and `clear` would wipe a next line typed before it ran: wait for it.
        let screen = Self { server };
        screen.server.tmux(&["send-keys", "-l", "PS1='$ '; "]);
        screen.clear();
        screen
    }

    /// Clear the screen and wait for the bare prompt: a line typed before `clear` has run
    /// would be echoed, then wiped, and its output would land on the prompt's line.
    pub fn clear(&self) {
        self.type_line("clear");
        self.wait("a clear screen", Duration::from_secs(10), |t| {
            t.trim() == "$"
        });
    }

    /// Type a line and press Enter.
    pub fn type_line(&self, line: &str) {
        self.server.tmux(&["send-keys", "-l", line]);
        self.server.tmux(&["send-keys", "Enter"]);
    }

    /// Press keys (tmux key names: `Enter`, `Escape`, `C-b`, or literal characters).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.server.tmux(&args);
    }

    pub fn text(&self) -> String {
        self.server.tmux(&["capture-pane", "-p"])
    }

    /// Wait until the screen satisfies `pred`; panics with the screen otherwise.
    pub fn wait(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if pred(&text) {
                return text;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait(needle, timeout, |t| t.contains(needle))
    }

    /// The screen line that starts a table row for `service`.
    pub fn row(text: &str, service: &str) -> Option<String> {
        text.lines()
            .find(|l| {
                l.trim_start_matches(['│', ' ', '›'])
                    .split_whitespace()
                    .next()
                    == Some(service)
            })
            .map(str::to_string)
    }
}

/// Live processes started for `service` of `workspace` (found by the variables every
/// service process inherits).
pub fn service_processes(workspace: &str, service: &str) -> Vec<u32> {
    let want = [
        format!("UC_WORKSPACE={workspace}"),
        format!("UC_SERVICE={service}"),
    ];
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter(|pid| super::pid_alive(*pid))
                // The runner in the pane carries the service's variables too.
                .filter(|pid| {
                    std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .is_ok_and(|comm| comm.trim_end() != "uc-runner")
                })
                .filter(|pid| {
                    let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
                    let vars: Vec<&[u8]> = env.split(|b| *b == 0).collect();
                    want.iter().all(|w| vars.contains(&w.as_bytes()))
                })
                .collect()
        })
        .unwrap_or_default()
}
