//! The control-mode client against a real tmux server on a private socket.

mod common;

use common::TmuxServer;
use tmux_interface::{DisplayMessage, ListClients, ListPanes, SetOption, ShowOptions};
use univers_container::supervisor::tmux::{Tmux, TmuxError};

const SESSION: &str = "ws";

fn server(tag: &str) -> TmuxServer {
    let server = TmuxServer::new(tag);
    server.tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        SESSION,
        "sleep 300",
    ]);
    server
}

/// Whether the command ran through the control client: it lists itself among the clients.
async fn through_control(tmux: &Tmux) -> bool {
    let list = ListClients::new().format("#{client_control_mode}").build();
    let out = tmux.run_all(&[list]).await.pop().expect("one answer");
    out.expect("list-clients").lines().any(|l| l == "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_arguments_arrive_unchanged() {
    let server = server("ctl-quote");
    let tmux = Tmux::new(server.socket.clone()).with_control(SESSION);
    assert!(through_control(&tmux).await);
    let values = [
        "it's \"quoted\"",
        "a ; b \\; c",
        "$HOME ~ ${X}",
        "#{session_name} #(echo no)",
        "two\nlines\tand a tab",
        "",
        "{ braces }",
    ];
    for value in values {
        let set = SetOption::new()
            .global()
            .option("@uc_test")
            .value(value)
            .build();
        let answers = tmux.run_all(&[set]).await;
        assert!(answers[0].is_ok(), "{value:?}: {:?}", answers[0]);
        // Read back through a plain `tmux` process, which takes argv as is.
        let show = ShowOptions::new()
            .global()
            .value()
            .option("@uc_test")
            .build();
        let stored = Tmux::new(server.socket.clone()).run(show).await;
        assert_eq!(stored.expect("show-options"), format!("{value}\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_come_back_and_later_commands_still_run() {
    let server = server("ctl-error");
    let tmux = Tmux::new(server.socket.clone()).with_control(SESSION);
    assert!(through_control(&tmux).await);
    let missing = ListPanes::new().target("%999").build();
    let next = DisplayMessage::new().print().message("after").build();
    let answers = tmux.run_all(&[missing, next]).await;
    match &answers[0] {
        Err(e @ TmuxError::Failed { stderr, .. }) => {
            assert!(stderr.contains("can't find pane"), "{stderr}");
            assert!(e.is_missing());
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(answers[1].as_deref().ok(), Some("after\n"));
    assert_eq!(tmux.pane("%999").await.expect("query"), None);
    // The control client changes no window's size.
    let size = server.tmux(&["display", "-p", "-t", SESSION, "#{window_width}"]);
    assert_eq!(size.trim(), "80");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_session_is_recreated() {
    let server = server("ctl-reconnect");
    let tmux = Tmux::new(server.socket.clone()).with_control(SESSION);
    assert!(through_control(&tmux).await);
    // Another session keeps the server up while ours is gone.
    server.tmux(&["new-session", "-d", "-s", "other", "sleep 300"]);
    server.tmux(&["kill-session", "-t", SESSION]);
    server.tmux(&["new-session", "-d", "-s", SESSION, "sleep 300"]);
    let pane = server.tmux(&["display", "-p", "-t", SESSION, "#{pane_id}"]);
    let found = tmux.pane(pane.trim()).await.expect("query");
    assert_eq!(found.map(|p| p.pane_id), Some(pane.trim().to_string()));
    assert!(through_control(&tmux).await, "a new control client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_each_command_runs_as_a_process() {
    let server = server("ctl-fallback");
    let tmux = Tmux::new(server.socket.clone()).with_control("nosuch");
    assert!(!through_control(&tmux).await);
    let hello = DisplayMessage::new().print().message("hello").build();
    let answers = tmux.run_all(&[hello]).await;
    assert_eq!(answers[0].as_deref().ok(), Some("hello\n"));
}

/// The control client only ever attaches: had it started a server of its own (as a plain
/// `attach-session` does), that server would hold no session and exit a moment later, under
/// the feet of the `new-session` that launches the first service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_server_the_control_client_starts_none() {
    let server = TmuxServer::new("ctl-noserver");
    let tmux = Tmux::new(server.socket.clone()).with_control(SESSION);
    let query = DisplayMessage::new().print().message("#{pid}").build();
    let answers = tmux.run_all(&[query]).await;
    assert!(
        matches!(&answers[0], Err(e) if e.is_missing()),
        "{answers:?}"
    );
    // A server, even one gone again, leaves its socket behind.
    let dir =
        std::env::var_os("TMUX_TMPDIR").map_or_else(|| "/tmp".into(), std::path::PathBuf::from);
    let socket = dir
        .join(format!("tmux-{}", nix::unistd::getuid()))
        .join(&server.socket);
    assert!(
        !socket.exists(),
        "a server was started at {}",
        socket.display()
    );
}
