//! The engine process through the real `uc` binary: CLI commands, exit codes, the lock,
//! adoption after `kill -9`, and `down` leaving nothing behind.

mod common;

use std::time::Duration;

use common::cli::{Env, service_processes};
use common::pid_alive;

const T: Duration = Duration::from_secs(20);

fn kill_9(pid: u32) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill -9");
}

const SERVICES: &str = r#"
  db:
    command: "touch ready; exec sleep 3001"
    health: { exec: "test -f ready", interval: 100ms }
  api:
    command: "exec sleep 3002"
    depends_on: { db: healthy }
    tags: [backend]
  worker:
    command: "exec sleep 3003"
"#;

#[test]
fn up_status_restart_down() {
    let env = Env::new(SERVICES);
    let out = env.ok(&["up", "api"]);
    assert!(out.contains("starting db, api"), "{out}");
    assert!(out.contains("api: running (pid"), "{out}");
    let status = env.status();
    assert_eq!(Env::service(&status, "db")["state"], "running");
    assert_eq!(Env::service(&status, "db")["health"], "healthy");
    assert_eq!(Env::service(&status, "api")["state"], "running");
    assert_eq!(Env::service(&status, "worker")["state"], "stopped");
    assert_eq!(status["workspace"], env.workspace.as_str());

    let table = env.ok(&["status"]);
    assert!(table.contains("SERVICE"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("api ") && l.contains("running")),
        "{table}"
    );

    let api = Env::pid_of(&status, "api");
    env.ok(&["restart", "api"]);
    let after = env.status();
    assert_ne!(Env::pid_of(&after, "api"), api);
    // A restart asked for is not one after a crash.
    assert_eq!(Env::service(&after, "api")["restarts"], 0);
    assert_eq!(Env::service(&after, "api")["user_restarts"], 1);
    assert!(!pid_alive(api));

    let db = Env::pid_of(&after, "db");
    env.ok(&["down"]);
    assert!(!pid_alive(db) && !pid_alive(Env::pid_of(&after, "api")));
    let engine = after["engine"]["pid"].as_u64().expect("engine pid") as u32;
    assert!(!pid_alive(engine), "down stops the engine");
    let left = env.private.tmux(&["list-sessions"]);
    assert!(left.is_empty(), "down removes the tmux server: {left}");
}

#[test]
fn bad_input_exits_2_and_names_the_problem() {
    let env = Env::new(SERVICES);
    let out = env.run(&["up", "apii"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown service `apii` (did you mean `api`?)"),
        "{err}"
    );

    let broken = env.dir.join("broken.yaml");
    std::fs::write(&broken, "workspace: x\nservices:\n  a:\n    comand: true\n").expect("write");
    let out = env
        .uc_on(&broken, &["config", "check"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.yaml:4:5: unknown field `comand`"),
        "{err}"
    );
    assert!(err.contains("did you mean `command`?"), "{err}");

    assert!(env.ok(&["config", "check"]).contains("ok"));
}

#[test]
fn a_second_engine_names_the_one_running() {
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    let status = env.status();
    let engine = status["engine"]["pid"].as_u64().expect("pid");
    let out = env.run(&["engine"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("another engine (pid {engine})")),
        "{err}"
    );
}

#[test]
fn services_survive_an_engine_kill_and_are_adopted_with_the_same_pids() {
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    let before = env.status();
    let engine = before["engine"]["pid"].as_u64().expect("pid") as u32;
    let pids: Vec<u32> = ["db", "api", "worker"]
        .iter()
        .map(|s| Env::pid_of(&before, s))
        .collect();

    kill_9(engine);
    assert!(common::eventually(T, || !pid_alive(engine)));
    assert!(
        pids.iter().all(|p| pid_alive(*p)),
        "services outlive the engine"
    );

    let after = env.status();
    let new_engine = after["engine"]["pid"].as_u64().expect("pid") as u32;
    assert_ne!(new_engine, engine, "a new engine answered");
    for (name, pid) in ["db", "api", "worker"].iter().zip(&pids) {
        let s = Env::service(&after, name);
        assert_eq!(s["state"], "running", "{name}: {s}");
        assert_eq!(
            Env::pid_of(&after, name),
            *pid,
            "{name} adopted with its pid"
        );
        assert_eq!(
            s["started_at"],
            Env::service(&before, name)["started_at"],
            "{name} keeps its start time"
        );
    }
    // Starting again must not launch duplicates of adopted services.
    env.ok(&["up"]);
    for (name, pid) in ["db", "api", "worker"].iter().zip(&pids) {
        assert_eq!(
            service_processes(&env.workspace, name),
            [*pid],
            "exactly one process for {name}"
        );
    }
    let windows = env
        .private
        .tmux(&["list-windows", "-a", "-F", "#{window_name}"]);
    for name in ["db", "api", "worker"] {
        assert_eq!(
            windows.lines().filter(|w| *w == name).count(),
            1,
            "{windows}"
        );
    }
    // Adopted services are still stopped completely.
    env.ok(&["down"]);
    assert!(pids.iter().all(|p| !pid_alive(*p)));
}

/// The runner in the service's pane keeps healing while no engine runs: armed by the engine
/// before it was killed, it restarts a `kill -9`ed service by itself, and the next engine
/// adopts the new process from it.
#[test]
fn a_service_killed_while_no_engine_runs_comes_back_and_is_adopted() {
    let env = Env::new("  api:\n    command: exec sleep 1000\n    restart: always\n");
    env.ok(&["up"]);
    let before = env.status();
    let engine = before["engine"]["pid"].as_u64().expect("pid") as u32;
    let pid = Env::pid_of(&before, "api");
    kill_9(engine);
    assert!(common::eventually(T, || !pid_alive(engine)));
    kill_9(pid);
    let mut now = Vec::new();
    assert!(
        common::eventually(T, || {
            now = service_processes(&env.workspace, "api");
            now.len() == 1 && now[0] != pid
        }),
        "restarted without an engine: {now:?}"
    );
    let after = env.status();
    let api = Env::service(&after, "api");
    assert_eq!(api["state"], "running", "{api}");
    assert_eq!(
        Env::pid_of(&after, "api"),
        now[0],
        "adopted with its new pid"
    );
    env.ok(&["down"]);
    assert!(service_processes(&env.workspace, "api").is_empty());
}

#[test]
fn exits_are_seen_at_once() {
    let env = Env::new("  quick:\n    command: \"sleep 0.5; exit 4\"\n");
    env.ok(&["up", "quick"]);
    let start = std::time::Instant::now();
    // The engine's fallback poll runs every 5 s; the pidfd watch is immediate.
    let status = env.wait_status(T, |s| Env::service(s, "quick")["state"] == "exited");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "exit noticed after {:?}",
        start.elapsed()
    );
    assert_eq!(Env::service(&status, "quick")["exit_code"], 4);
}

#[test]
fn import_writes_a_workspace_that_loads_and_completions_print() {
    let env = Env::new(SERVICES);
    let procfile = env.dir.join("Procfile");
    std::fs::write(
        &procfile,
        "web: python3 -m http.server $PORT\nworker: sleep 100\n",
    )
    .expect("write");
    let out_file = env.dir.join("imported.yaml");
    let out = env
        .uc(&["import"])
        .arg(&procfile)
        .arg("-o")
        .arg(&out_file)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let check = env
        .uc_on(&out_file, &["config", "check"])
        .output()
        .expect("run");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("2 services"));

    let again = env
        .uc(&["import"])
        .arg(&procfile)
        .arg("-o")
        .arg(&out_file)
        .output()
        .expect("run");
    assert_eq!(
        again.status.code(),
        Some(2),
        "refuses to overwrite without --force"
    );

    let completions = env.ok(&["completions", "bash"]);
    assert!(
        completions.contains("_uc()"),
        "{}",
        &completions[..200.min(completions.len())]
    );
}

#[test]
fn commands_racing_to_start_the_engine_share_one() {
    let env = Env::new(SERVICES);
    // Commands that act start the engine (those that only read start nothing).
    let children: Vec<_> = (0..4)
        .map(|_| {
            env.uc(&["up", "--no-wait"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn uc")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let windows = env.private.tmux(&["list-windows", "-F", "#{window_name}"]);
    assert_eq!(
        windows.lines().filter(|w| *w == "engine").count(),
        1,
        "{windows}"
    );
}

#[test]
fn metrics_cli_reports_current_values_and_history() {
    let env = Env::with_settings(
        "  api:\n    command: \"exec sleep 3001\"\n",
        "metrics:\n  interval: 200ms\n",
    );
    env.ok(&["up"]);
    env.wait_status(T, |s| {
        s["metrics"]["services"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["name"] == "api"))
    });
    // Once there are samples enough for a history line.
    let mut text = String::new();
    assert!(
        common::eventually(T, || {
            text = env.ok(&["metrics"]);
            text.contains("host_cpu ")
        }),
        "{text}"
    );
    assert!(text.starts_with("host  cpu "), "{text}");
    assert!(text.lines().any(|l| l.starts_with("api ")), "{text}");
    assert!(text.contains("host_cpu "), "{text}");
    let text = env.ok(&["metrics", "api", "--since", "1m"]);
    assert!(text.contains("service_rss:api"), "{text}");
    assert!(!text.contains("host  cpu"), "one service only: {text}");

    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["metrics", "api", "--json"])).expect("json");
    assert_eq!(json["services"][0]["name"], "api");
    assert!(json["services"][0]["rss"].as_u64().is_some_and(|r| r > 0));
    assert_eq!(json["history"]["tier"], "memory");
    assert!(
        !json["history"]["series"]
            .as_array()
            .expect("series")
            .is_empty()
    );

    let out = env.run(&["metrics", "apu"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `api`"));
}

/// `cargo run` and `cargo install` give `uc` alone: it is its services' runner too, and a
/// killed service comes back through that runner.
#[test]
fn a_lone_uc_is_its_services_runner() {
    let env = Env::new("  api:\n    command: exec sleep 1000\n    restart: always\n");
    let alone = env.dir.join("bin").join("uc");
    std::fs::create_dir_all(env.dir.join("bin")).expect("bin dir");
    std::fs::copy(env!("CARGO_BIN_EXE_uc"), &alone).expect("copy uc");
    let uc = |args: &[&str]| {
        let out = std::process::Command::new(&alone)
            .arg("-f")
            .arg(&env.file)
            .args(args)
            .current_dir(&env.dir)
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .envs(env.envs())
            .output()
            .expect("run the lone uc");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let pid_of_api = |status: &str| {
        let status: serde_json::Value = serde_json::from_str(status).expect("status json");
        Env::pid_of(&status, "api")
    };
    uc(&["up"]);
    let pid = pid_of_api(&uc(&["status", "--json"]));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let parent: u32 = stat
        .rsplit(')')
        .next()
        .and_then(|r| r.split_whitespace().nth(1))
        .and_then(|p| p.parse().ok())
        .expect("ppid");
    let comm = std::fs::read_to_string(format!("/proc/{parent}/comm")).expect("comm");
    assert_eq!(comm.trim(), "uc-runner", "the service runs under a runner");
    let exe = std::fs::read_link(format!("/proc/{parent}/exe")).expect("exe");
    assert_eq!(exe, alone, "the runner is the uc binary itself");
    kill_9(pid);
    let mut now = Vec::new();
    assert!(
        common::eventually(T, || {
            now = service_processes(&env.workspace, "api");
            now.len() == 1 && now[0] != pid
        }),
        "restarted: {now:?}"
    );
    assert_eq!(pid_of_api(&uc(&["status", "--json"])), now[0]);
    uc(&["down"]);
}
