//! End to end: the built `uc` binary in a real terminal (a tmux pane), driven with
//! `send-keys` and read with `capture-pane`.

mod common;

use std::time::Duration;

use common::cli::{Env, Screen};
use common::{TmuxServer, pid_alive};

const T: Duration = Duration::from_secs(20);

const SERVICES: &str = r#"
  db:
    command: "echo db says hello; touch ready; exec sleep 3001"
    health: { exec: "test -f ready", interval: 100ms }
  api:
    command: "echo api up; exec sleep 3002"
    depends_on: { db: healthy }
  worker:
    command: "exec sleep 3003"
"#;

fn row_has(text: &str, service: &str, word: &str) -> bool {
    Screen::row(text, service).is_some_and(|r| r.contains(word))
}

/// The shell printed the marker on a line of its own: `uc` returned. (The typed command
/// line contains the marker too, so a substring match would not wait.)
fn exited(text: &str) -> bool {
    text.lines().any(|l| l.trim() == "UC-EXITED")
}

fn all_running(text: &str) -> bool {
    ["db", "api", "worker"]
        .iter()
        .all(|s| row_has(text, s, "running"))
}

/// The issue's main flow, in the user's own tmux: start all, stop one, quit (services keep
/// running), kill -9 the engine, relaunch: adopted with the same PIDs.
#[test]
fn start_stop_quit_kill_engine_relaunch() {
    let env = Env::new(SERVICES);
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "{} -f {}; echo UC-EXITED",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    // A workspace that is not up yet comes up with its services.
    screen.wait("all running", T, all_running);

    // worker is the third row.
    screen.keys(&["j", "j", "x"]);
    screen.wait("worker stopped", T, |t| row_has(t, "worker", "stopped"));
    let text = screen.text();
    assert!(row_has(&text, "db", "running") && row_has(&text, "api", "running"));

    screen.keys(&["q"]);
    screen.wait("uc to exit", T, exited);
    let status = env.status();
    assert_eq!(Env::service(&status, "db")["state"], "running");
    assert_eq!(Env::service(&status, "api")["state"], "running");
    assert_eq!(Env::service(&status, "worker")["state"], "stopped");
    let db = Env::pid_of(&status, "db");
    let api = Env::pid_of(&status, "api");

    let engine = status["engine"]["pid"].as_u64().expect("engine pid") as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(engine),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill -9");
    assert!(common::eventually(T, || !pid_alive(engine as u32)));
    assert!(pid_alive(db) && pid_alive(api));

    screen.clear();
    screen.type_line(&format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    let text = screen.wait("adopted services", T, |t| {
        row_has(t, "db", "running")
            && row_has(t, "api", "running")
            && t.contains("engine connected")
    });
    assert!(
        row_has(&text, "db", &db.to_string()),
        "db keeps pid {db}:\n{text}"
    );
    assert!(
        row_has(&text, "api", &api.to_string()),
        "api keeps pid {api}:\n{text}"
    );
    let status = env.status();
    assert_ne!(status["engine"]["pid"].as_u64(), Some(engine as u64));
    assert_eq!(Env::pid_of(&status, "db"), db);
    assert_eq!(Env::pid_of(&status, "api"), api);

    // No client is attached to this "user" server, so there is nowhere to draw a popup:
    // the service's window opens as a new window of the user's session instead.
    screen.keys(&["Enter"]);
    assert!(
        common::eventually(T, || screen
            .server
            .tmux(&["list-windows", "-F", "#{window_name}"])
            .contains("uc:db")),
        "a window holding db's nested client"
    );
    screen.keys(&["q"]);
}

/// Outside tmux, `uc` attaches to the workspace's own session with the TUI in window 0;
/// `Enter` shows a service's window and `prefix 0` comes back; `q` hands the terminal back.
#[test]
fn outside_tmux_enter_shows_the_window_and_prefix_0_returns() {
    let env = Env::new(SERVICES);
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "env -u TMUX {} -f {}; echo UC-EXITED",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    screen.wait_for("engine connected", T);
    let windows = env
        .private
        .tmux(&["list-windows", "-F", "#{window_index}:#{window_name}"]);
    assert!(windows.starts_with("0:ui"), "TUI in window 0: {windows}");
    screen.keys(&["a"]);
    screen.wait("all running", T, all_running);

    screen.keys(&["Enter"]);
    screen.wait_for("db says hello", T);
    screen.keys(&["C-b", "0"]);
    screen.wait_for("engine connected", T);

    screen.keys(&[":"]);
    screen.type_line("stop worker");
    screen.wait("worker stopped", T, |t| row_has(t, "worker", "stopped"));

    screen.keys(&["q"]);
    let text = screen.wait("uc to exit", T, exited);
    assert!(text.contains("services keep running"), "{text}");
    let status = env.status();
    assert_eq!(Env::service(&status, "db")["state"], "running");

    // Back in, the workspace is shown as it is (worker stays stopped); `:down` ends it all.
    screen.clear();
    screen.type_line(&format!(
        "env -u TMUX {} -f {}; echo UC-EXITED",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    let text = screen.wait("TUI again", T, |t| row_has(t, "db", "running"));
    assert!(row_has(&text, "worker", "stopped"), "{text}");
    screen.keys(&[":"]);
    screen.type_line("down");
    screen.wait_for("Shut the workspace down?", T);
    screen.keys(&["y"]);
    let text = screen.wait("uc to exit", T, exited);
    assert!(text.contains("is down"), "{text}");
    assert!(!pid_alive(Env::pid_of(&status, "db")));
    assert!(env.private.tmux(&["list-sessions"]).is_empty());
}

/// Inside the user's tmux, `Enter` opens the service's window in a popup; detaching the
/// nested client (`prefix d`) closes it. A second tmux server plays the user's terminal so
/// the popup, drawn by a client, is on screen.
#[test]
fn inside_tmux_enter_opens_a_popup() {
    let env = Env::new(SERVICES);
    let user = TmuxServer::new("user");
    let mut new_session: Vec<String> = [
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "45",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (k, v) in env.envs() {
        new_session.extend(["-e".into(), format!("{k}={v}")]);
    }
    new_session.push(format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    let args: Vec<&str> = new_session.iter().map(String::as_str).collect();
    user.tmux(&args);
    // The terminal: a pane whose program is a client attached to the user's server.
    let terminal = TmuxServer::new("term");
    terminal.tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-x",
        "170",
        "-y",
        "50",
        &format!("tmux -L {} attach", user.socket),
    ]);
    let screen = Screen { server: terminal };
    screen.wait_for("engine connected", T);
    screen.keys(&["a"]);
    screen.wait("all running", T, all_running);
    screen.keys(&["Enter"]);
    let text = screen.wait_for("db says hello", T);
    assert!(text.contains("db — prefix d to return"), "{text}");
    screen.keys(&["C-b", "d"]);
    screen.wait("popup closed", T, |t| {
        !t.contains("db says hello") && t.contains("engine connected")
    });
}

/// The `uc` process running in the screen's shell.
fn tui_pid(screen: &Screen) -> u32 {
    let shell: u32 = screen
        .server
        .tmux(&["display", "-p", "#{pane_pid}"])
        .trim()
        .parse()
        .expect("pane pid");
    let mut found = None;
    common::eventually(T, || {
        found = std::fs::read_dir("/proc").ok().and_then(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .find(|pid| {
                    let stat =
                        std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                    let ppid = stat
                        .rfind(')')
                        .and_then(|i| stat[i + 2..].split_whitespace().nth(1)?.parse::<u32>().ok());
                    ppid == Some(shell) && stat.contains("(uc)")
                })
        });
        found.is_some()
    });
    found.expect("the uc process")
}

/// SIGTERM restores the terminal; `kill -9` of the TUI stops nothing else.
#[test]
fn sigterm_restores_the_terminal_and_a_killed_tui_stops_nothing() {
    let env = Env::new(SERVICES);
    let screen = Screen::shell(&env);
    let uc = format!("{} -f {}", env!("CARGO_BIN_EXE_uc"), env.file.display());
    screen.type_line(&format!("{uc} --no-start; echo UC-EXITED"));
    screen.wait_for("0/3 running", T);
    screen.keys(&["a"]);
    screen.wait("all running", T, all_running);
    let pid = tui_pid(&screen) as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    screen.wait("uc to exit", T, exited);
    screen.type_line("stty -a | tr ' ' '\\n' | grep -x -e -icanon -e icanon -e -echo -e echo");
    let text = screen.wait("stty output", T, |t| {
        t.lines().any(|l| l.trim() == "icanon")
    });
    assert!(
        !text.lines().any(|l| l.trim() == "-icanon"),
        "raw mode left on:\n{text}"
    );
    assert!(
        text.lines().any(|l| l.trim() == "echo"),
        "echo left off:\n{text}"
    );

    screen.clear();
    screen.type_line(&uc);
    screen.wait("all running", T, all_running);
    let before = env.status();
    let pid = tui_pid(&screen) as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("SIGKILL");
    assert!(common::eventually(T, || !pid_alive(pid as u32)));
    let after = env.status();
    for name in ["db", "api", "worker"] {
        assert_eq!(Env::service(&after, name)["state"], "running");
        assert_eq!(Env::pid_of(&after, name), Env::pid_of(&before, name));
    }
    assert_eq!(
        after["engine"]["pid"], before["engine"]["pid"],
        "the engine lives on"
    );
}

/// Metrics in the TUI: CPU / RSS columns, the host view, and the time window.
#[test]
fn metrics_columns_host_view_and_time_window() {
    let env = Env::with_settings(SERVICES, "metrics:\n  interval: 250ms\n");
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    let text = screen.wait("services with RSS", T, |t| {
        all_running(t) && Screen::row(t, "db").is_some_and(|r| r.contains('M') || r.contains('K'))
    });
    assert!(text.contains("CPU") && text.contains("RSS"), "{text}");
    assert!(
        text.contains("db · cpu"),
        "graphs of the selected service:\n{text}"
    );
    screen.keys(&["m"]);
    // Disks and interfaces come with the first full sample after the host view opens.
    screen.wait("cores, memory and network interfaces", T, |t| {
        t.contains("cores") && t.contains("mem ") && t.contains("lo ")
    });
    screen.keys(&["w"]);
    screen.wait_for("1h", T);
    screen.keys(&["Escape"]);
    screen.wait("back to the services", T, |t| t.contains("db · cpu"));
    screen.keys(&["q"]);
}
