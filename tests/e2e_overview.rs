//! Several workspaces side by side: `uc project` keeps the projects file, `uc ps` sums up
//! every listed workspace from its running engine (starting none), and `uc` with no
//! workspace in the current directory opens the overview, where `enter`, `:ctx NAME` and
//! `W` switch between workspaces while every engine keeps running. Real binary, real
//! engines, each workspace on its own private tmux server, the TUI in a private tmux pane.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::pid_alive;
use common::projects::{T, Two, engine_pid, file_of, row_shows, running_count};

#[test]
fn project_add_list_remove_and_a_broken_file_named_at_its_line() {
    let two = Two::new();
    let dir = two.a.dir.display().to_string();
    assert!(two.ok(&["project", "add", &dir]).contains(&two.a.workspace));
    two.ok(&["project", "add", &file_of(&two.b), "--name", "bee"]);
    let mode = std::fs::metadata(two.projects_file())
        .expect("file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let list = two.ok(&["project", "list"]);
    assert!(
        list.contains(&two.a.workspace) && list.contains("bee"),
        "{list}"
    );
    let again = two.uc(&["project", "add", &dir]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("listed already"));

    let unknown = two.uc(&["project", "remove", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    two.ok(&["project", "remove", "bee"]);
    assert!(!two.ok(&["project", "list"]).contains("bee"));

    std::fs::write(
        two.projects_file(),
        "workspaces:\n  - path: /x\n    nmae: y\n",
    )
    .expect("w");
    let broken = two.uc(&["ps"]);
    assert_eq!(broken.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&broken.stderr);
    let at = format!(
        "{}:3:5: unknown field `nmae`",
        two.projects_file().display()
    );
    assert!(stderr.contains(&at), "{stderr}");
}

/// `uc ps` starts nothing: a stopped workspace stays stopped and says so; a running one's
/// row counts what `uc status` counts.
#[test]
fn ps_reads_running_engines_and_starts_none() {
    let two = Two::new();
    two.ok(&["project", "add", &file_of(&two.a)]);
    two.ok(&["project", "add", &file_of(&two.b)]);
    two.ok(&["-f", &file_of(&two.a), "up"]);

    let rows = two.ps();
    let status = two.status(&two.a);
    assert_eq!(rows[0]["state"], "running");
    assert_eq!(rows[0]["running"], running_count(&status));
    assert_eq!(rows[0]["services"], 2);
    assert_eq!(rows[1]["state"], "stopped");
    let b_socket = format!("uc-{}", two.b.workspace);
    let listed = Command::new("tmux")
        .args(["-L", &b_socket, "ls"])
        .output()
        .expect("tmux");
    assert!(!listed.status.success(), "uc ps started b's tmux server");
    let table = two.ok(&["ps"]);
    assert!(table.contains("stopped"), "{table}");
}

/// The flow: two workspaces in one TUI; the overview's counts match `uc status` of
/// each; opening one, switching to the other with `:ctx` and coming back with `W` keeps
/// both engines running (same PIDs).
#[test]
fn overview_counts_match_status_and_switching_keeps_both_engines() {
    let two = Two::new();
    two.ok(&["project", "add", &file_of(&two.a)]);
    two.ok(&["project", "add", &file_of(&two.b)]);
    two.ok(&["-f", &file_of(&two.a), "up"]);
    two.ok(&["-f", &file_of(&two.b), "up", "web"]);
    let (a, b) = (two.status(&two.a), two.status(&two.b));
    let a_counts = format!("{}/2", running_count(&a));
    let b_counts = format!("{}/2", running_count(&b));
    assert_eq!((a_counts.as_str(), b_counts.as_str()), ("2/2", "1/2"));
    let (a_engine, b_engine) = (engine_pid(&a), engine_pid(&b));

    let screen = two.screen();
    screen.type_line(&format!("{}; echo UC-EXITED", env!("CARGO_BIN_EXE_uc")));
    screen.wait("both rows", T, |t| {
        row_shows(t, &two.a.workspace, &a_counts) && row_shows(t, &two.b.workspace, &b_counts)
    });

    // The first row is a: open it, then switch to b by name.
    screen.keys(&["Enter"]);
    screen.wait("a's services", T, |t| {
        t.lines()
            .next()
            .is_some_and(|h| h.contains(&two.a.workspace))
            && row_shows(t, "one", "running")
            && row_shows(t, "two", "running")
    });
    screen.keys(&[":"]);
    screen.type_line(&format!("ctx {}", two.b.workspace));
    screen.wait("b's services", T, |t| {
        t.lines()
            .next()
            .is_some_and(|h| h.contains(&two.b.workspace))
            && row_shows(t, "web", "running")
            && row_shows(t, "jobs", "stopped")
    });
    screen.keys(&["W"]);
    screen.wait("the overview again", T, |t| {
        t.contains("Workspaces")
            && row_shows(t, &two.a.workspace, &a_counts)
            && row_shows(t, &two.b.workspace, &b_counts)
    });

    let (a, b) = (two.status(&two.a), two.status(&two.b));
    assert_eq!((engine_pid(&a), engine_pid(&b)), (a_engine, b_engine));
    assert!(pid_alive(a_engine) && pid_alive(b_engine));
    assert_eq!((running_count(&a), running_count(&b)), (2, 1));

    screen.keys(&["q"]);
    screen.wait("uc to exit", T, |t| {
        t.lines().any(|l| l.trim() == "UC-EXITED")
    });
    assert!(pid_alive(a_engine) && pid_alive(b_engine));
}
