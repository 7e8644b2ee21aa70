//! What a new user hits on the command line: output into a closed pipe, read-only commands
//! on a workspace that is down, bad regexes and durations. The real `uc` binary each time.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use common::cli::Env;

/// A pipe whose reader is already gone, for a command's standard output: its first write
/// fails with EPIPE, as under `| true`.
fn closed_pipe() -> Stdio {
    let (reader, writer) = nix::unistd::pipe().expect("pipe");
    drop(reader);
    Stdio::from(writer)
}

/// Run with standard output into a closed pipe.
fn into_closed_pipe(mut cmd: Command) -> Output {
    cmd.stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .expect("run uc")
}

fn wait_exit(child: &mut Child, timeout: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("uc did not exit within {timeout:?} after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_quiet(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}\n{stderr}",
        out.status
    );
    assert!(stderr.is_empty(), "{what} printed: {stderr}");
}

fn uc_plain(env: &Env, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_uc"));
    cmd.args(args).current_dir(&env.dir);
    for (k, v) in env.envs() {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn every_command_ends_quietly_when_its_reader_goes_away() {
    let env =
        Env::new("  chatty:\n    command: for i in 1 2 3; do echo line $i; done; sleep 1000\n");
    for args in [&["config", "schema"][..], &["completions", "bash"]] {
        let out = into_closed_pipe(uc_plain(&env, args));
        assert_quiet(&args.join(" "), &out);
    }
    env.ok(&["up"]);
    common::eventually(Duration::from_secs(10), || {
        env.ok(&["logs", "chatty"]).contains("line 3")
    });
    for args in [
        &["alerts", "history"][..],
        &["logs", "chatty"],
        &["logs", "-f", "chatty"],
        &["status"],
    ] {
        let out = into_closed_pipe(env.uc(args));
        assert_quiet(&args.join(" "), &out);
    }

    // `uc logs -f | head -1` on a service that says nothing more: uc leaves with its
    // reader, not at a next line that never comes.
    let mut child = env
        .uc(&["logs", "-f", "chatty"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("first line");
    assert!(first.contains("line 1"), "{first}");
    drop(reader);
    let status = wait_exit(&mut child, Duration::from_secs(5));
    assert_eq!(status.code(), Some(0), "{status}");
    env.ok(&["down"]);
}

/// `uc down` then every command that only reads: each says the workspace is not running
/// (exit 3) and none brings back a tmux server (where an engine would run).
#[test]
fn read_only_commands_start_nothing_after_down() {
    let env = Env::new("  idle:\n    command: sleep 1000\n");
    env.ok(&["up"]);
    env.ok(&["down"]);
    let server_up = || {
        Command::new("tmux")
            .args(["-L", &env.private.socket, "list-sessions"])
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    assert!(!server_up(), "uc down left the tmux server");
    let read_only: [&[&str]; 17] = [
        &["status"],
        &["status", "--json"],
        &["metrics"],
        &["alerts"],
        &["alerts", "silences"],
        &["alerts", "history"],
        &["logs"],
        &["logs", "idle", "-f"],
        &["logs", "stats"],
        &["heal", "history"],
        &["heal", "playbooks"],
        &["heal", "run", "cleanup", "--dry-run"],
        &["env"],
        &["env", "use", "x", "--dry-run"],
        &["config", "history"],
        &["config", "diff", "1"],
        &["config", "apply", "--dry-run"],
    ];
    for args in read_only {
        let out = env.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "uc {args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("workspace `{}` is not running", env.workspace)),
            "uc {args:?}: {stderr}"
        );
        assert!(!server_up(), "uc {args:?} started a tmux server");
    }
    // Stopping what is stopped is done already.
    let out = env.run(&["down"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("is not running; nothing to stop"));
    assert!(!server_up(), "uc down started a tmux server");
}

#[test]
fn a_bad_regex_is_bad_input_in_the_users_words_everywhere() {
    let env = Env::new("  idle:\n    command: sleep 1000\n");
    let file = env.dir.join("app.log");
    std::fs::write(&file, "one\ntwo\n").expect("log");
    let path = file.display().to_string();
    for args in [
        &["logs", "-g", "("][..],
        &["logs", "--path", &path, "-g", "("],
        &["logs", "--path", &path, "--count", "-g", "("],
    ] {
        let out = env.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "uc {args:?}: {stderr}");
        assert_eq!(
            stderr.trim_end(),
            "uc: invalid regex `(`: unclosed group",
            "uc {args:?}"
        );
    }
}

#[test]
fn durations_take_one_grammar_and_one_error_text() {
    let env = Env::new("  idle:\n    command: sleep 1000\n");
    let file = env.dir.join("app.log");
    std::fs::write(&file, "one\n").expect("log");
    let path = file.display().to_string();
    for since in ["1.5", "90s", "1h30m", "1.5h", "2 days"] {
        let out = env.run(&["logs", "--path", &path, "--since", since]);
        assert!(
            out.status.success(),
            "--since {since}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for since in ["-5m", "5x", "1.5.2"] {
        let out = env.run(&["logs", "--path", &path, "--since", since]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--since {since}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "invalid duration `{since}` (e.g. `90s`, `1.5h`, `1h30m`, or a number of seconds)"
            )),
            "--since {since}: {stderr}"
        );
        assert!(!stderr.contains("-- -5"), "{stderr}");
    }
    // Durations are written back in the same grammar: `1d`, not `1day`.
    env.ok(&["up"]);
    let metrics = env.ok(&["metrics", "--since", "1d"]);
    assert!(metrics.contains("history: last 1d in "), "{metrics}");
    let heal = env.ok(&["heal", "history", "--since", "1.5d"]);
    assert_eq!(heal.trim(), "nothing in the last 1d 12h");
    env.ok(&["down"]);
}
