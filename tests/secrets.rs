//! Secrets are never shown: a secret from the secrets file (`${secret:name}`) and one from an
//! env file (`${NAME}`), both used in a service's env, its command and its exec probes, reach
//! the service, and appear nowhere else: not in `uc status --json`, the snapshot, the TUI's
//! details, `uc.log` at debug level, any file under the state dir (every `.db` included),
//! error messages, nor the command line of any process while it all runs. And values are
//! data: a value holding shell syntax is never run as shell.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::cli::{Env, Screen};
use common::{eventually, unique};

const T: Duration = Duration::from_secs(30);
const FROM_FILE: &str = "sk-test-9f8e7d6c5b4a3f21";
const FROM_ENV_FILE: &str = "pw-Zx81q9Lm-0c7dE5";

const SERVICES: &str = r#"
  api:
    command: "test ${secret:api_key} = \"$$API_KEY\" && test \"${DB_PASSWORD}\" = \"$$DB_PASS\" && touch delivered && exec sleep 300"
    env: { API_KEY: "${secret:api_key}", DB_PASS: "${DB_PASSWORD}" }
    readiness: { exec: "test \"$$API_KEY\" = ${secret:api_key} && test ${DB_PASSWORD} = \"$$DB_PASS\" && test -e delivered", interval: 100ms }
    liveness:
      exec: "echo \"denied for ${DB_PASSWORD} and ${secret:api_key}\"; exit 1"
      interval: 100ms
      failure_threshold: 100000
  leaky:
    command: exec sleep 300
    env: { URL: "postgres://app:${DB_PASSWORD}@db/app" }
    liveness: { exec: "echo \"$$URL\"; exit 1", interval: 100ms, failure_threshold: 1 }
    restart: { policy: "no" }
"#;

/// A workspace whose secrets come from `configs/secrets.yaml` and from `.env`.
fn workspace() -> Env {
    let env = Env::with_settings(SERVICES, "environments:\n  dev: { env_files: [.env] }\n");
    let secrets = env.dir.join("configs/secrets.yaml");
    std::fs::create_dir_all(secrets.parent().expect("dir")).expect("configs");
    std::fs::write(&secrets, format!("api_key: {FROM_FILE}\n")).expect("secrets");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::write(
        env.dir.join(".env"),
        format!("DB_PASSWORD={FROM_ENV_FILE}\n"),
    )
    .expect(".env");
    env
}

/// Where either secret shows up in `text`.
fn leaks(place: &str, text: &str) -> Vec<String> {
    [FROM_FILE, FROM_ENV_FILE]
        .iter()
        .filter(|s| text.contains(*s))
        .map(|s| format!("{place}: {s}"))
        .collect()
}

/// Every command line seen in `/proc` until `stop` is set that holds a secret.
fn watch_command_lines(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(Vec<String>, usize)> {
    std::thread::spawn(move || {
        let mut found = Vec::new();
        let mut rounds = 0;
        while !stop.load(Ordering::Relaxed) {
            rounds += 1;
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                    continue;
                };
                let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                for leak in leaks("cmdline", &text) {
                    found.push(format!("{leak} in `{text}`"));
                }
            }
        }
        (found, rounds)
    })
}

/// `GET path` on the engine's socket: the body.
fn engine_get(env: &Env, path: &str) -> String {
    let socket = env.state.join(&env.workspace).join("engine.sock");
    let mut stream = std::os::unix::net::UnixStream::connect(socket).expect("engine socket");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: uc\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    answer
}

/// Every file under `dir`, as text (SQLite files and their `-wal` included).
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                stack.push(entry.path());
            }
        } else if meta.is_file() {
            let bytes = std::fs::read(&path).unwrap_or_default();
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    out
}

fn stdout_and_stderr(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_secret_reaches_the_service_and_is_shown_nowhere() {
    let env = workspace();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_command_lines(stop.clone());
    let mut found = Vec::new();

    let out = env
        .uc(&["up"])
        .env("UC_LOG", "debug")
        .output()
        .expect("uc up");
    assert!(out.status.success(), "{}", stdout_and_stderr(&out));
    found.extend(leaks("uc up", &stdout_and_stderr(&out)));
    // Delivered: the command and the readiness probe compared what they read (the probe
    // passes only once the command has said so, else it could pass first).
    let status = env.wait_status(T, |s| Env::service(s, "api")["health"] == "healthy");
    assert!(env.dir.join("delivered").exists());
    let api_output = |s: &serde_json::Value| {
        Env::service(s, "api")["probes"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["kind"] == "liveness"))
            .and_then(|p| p["output"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let status = if api_output(&status).is_empty() {
        env.wait_status(T, |s| !api_output(s).is_empty())
    } else {
        status
    };
    // Redacted, not just missing: the probe's output names what it printed.
    assert_eq!(
        api_output(&status),
        "failed (exit status: 1): denied for ${DB_PASSWORD} and ${secret:api_key}"
    );
    let mut heal = String::new();
    assert!(
        eventually(T, || {
            heal = env.ok(&["heal", "history", "--json"]);
            heal.contains("liveness") && heal.contains("leaky")
        }),
        "leaky's liveness failure was never recorded"
    );
    assert!(
        heal.contains("postgres://app:${DB_PASSWORD}@db/app"),
        "{heal}"
    );
    found.extend(leaks("uc heal history", &heal));
    found.extend(leaks("uc status --json", &env.ok(&["status", "--json"])));
    found.extend(leaks("uc status", &env.ok(&["status"])));
    found.extend(leaks("snapshot", &engine_get(&env, "/api/v1/snapshot")));
    found.extend(leaks("uc config render", &env.ok(&["config", "render"])));
    found.extend(leaks(
        "uc config history",
        &env.ok(&["config", "history", "--json"]),
    ));

    // The TUI's details of `api`: its probes, their targets and outputs.
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "UC_LOG=debug {} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    screen.wait_for("api", T);
    screen.keys(&["i"]);
    let text = screen.wait("api's probe output in its details", T, |t| {
        t.contains("denied for ${DB_PASSWORD}")
    });
    found.extend(leaks("TUI details", &text));
    screen.keys(&["q"]);

    // Errors quote the value as written.
    let broken = env.dir.join("broken.yaml");
    let text = std::fs::read_to_string(&env.file).expect("workspace");
    std::fs::write(
        &broken,
        text.replace(
            "exec sleep 300\n",
            "exec sleep 300\n    readiness: { tcp: \"${DB_PASSWORD}\" }\n",
        ),
    )
    .expect("broken");
    let out = env
        .uc_on(&broken, &["config", "check"])
        .output()
        .expect("check");
    let said = stdout_and_stderr(&out);
    assert!(
        said.contains("invalid TCP address `${DB_PASSWORD}`"),
        "{said}"
    );
    found.extend(leaks("uc config check", &said));
    std::fs::write(
        env.dir.join(".env"),
        format!("DB_PASSWORD={FROM_ENV_FILE}\nAPI=\"{FROM_ENV_FILE}\n"),
    )
    .expect(".env");
    let out = env.uc(&["config", "check"]).output().expect("check");
    let said = stdout_and_stderr(&out);
    assert!(said.contains("line 2 is not `NAME=value`"), "{said}");
    found.extend(leaks("a broken .env", &said));

    env.ok(&["down"]);
    stop.store(true, Ordering::Relaxed);
    let (in_command_lines, rounds) = watcher.join().expect("watcher");
    assert!(rounds > 10, "/proc was read {rounds} times");
    found.extend(in_command_lines);
    let files = files_under(&env.state);
    assert!(
        files.iter().any(|(p, _)| p.ends_with("heal.db")),
        "{files:?}"
    );
    for (path, text) in &files {
        found.extend(leaks(path, text));
    }
    let log =
        std::fs::read_to_string(env.state.join(&env.workspace).join("uc.log")).expect("uc.log");
    assert!(log.contains("DEBUG"), "uc.log is at debug level");
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn a_value_holding_shell_syntax_is_data_not_shell() {
    let pwned = std::env::temp_dir().join(unique("pwned"));
    let _ = std::fs::remove_file(&pwned);
    let services = r#"
  echo:
    command: "echo said: ${NAME} && echo \"quoted: ${NAME}\" && echo 'single: ${NAME}' && exec sleep 300"
    readiness: { exec: "test -n ${NAME} && test '${NAME}' = \"$$(printf %s ${NAME})\"", interval: 100ms }
"#;
    let env = Env::with_settings(
        services,
        "environments:\n  dev: { env_files: [.env] }\nlogs:\n  commands:\n    said: echo ${NAME}; sleep 300\n",
    );
    let value = format!(
        "x; touch {0}; $(touch {0}) `touch {0}` ' \" \\",
        pwned.display()
    );
    let quoted = value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('$', "\\$");
    std::fs::write(env.dir.join(".env"), format!("NAME=\"{quoted}\"\n")).expect(".env");
    env.ok(&["up"]);
    env.wait_status(T, |s| Env::service(s, "echo")["health"] == "healthy");
    let capture = env.state.join(&env.workspace).join("logs/echo.log");
    assert!(
        eventually(T, || std::fs::read_to_string(&capture)
            .is_ok_and(|t| t.contains("single: "))),
        "echo printed nothing"
    );
    let printed = std::fs::read_to_string(&capture).expect("capture");
    for line in [
        format!("said: {value}"),
        format!("quoted: {value}"),
        format!("single: {value}"),
    ] {
        assert!(printed.contains(&line), "{line:?} not in {printed:?}");
    }
    let logs = env.ok(&["logs", "said", "--since", "1h"]);
    assert!(logs.contains(&value), "{logs}");
    env.ok(&["down"]);
    assert!(!pwned.exists(), "a value ran as shell: {}", pwned.display());
}
