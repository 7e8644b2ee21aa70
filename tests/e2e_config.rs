//! End to end in tmux: the environments pane of the real TUI previews a switch, switches
//! after a confirmation (prod only once its name is typed), the header and the pane frames
//! follow with prod's red, only the service the overlay changes restarts, and an invalid
//! edit of the workspace file shows the error banner while the services keep running.

mod common;

use std::time::{Duration, Instant};

use common::cli::{Env, Screen};

const T: Duration = Duration::from_secs(30);

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3301"
    env: { LOG_LEVEL: info }
  worker:
    command: "exec sleep 3302"
"#;

const ENVIRONMENTS: &str = "environments:\n  dev: {}\n  staging: {}\n  prod: { theme: red }\n";

fn header(screen: &Screen) -> String {
    screen.text().lines().next().unwrap_or_default().to_owned()
}

/// Move the selection of the environments list until the preview is for `name`.
fn select(screen: &Screen, name: &str) {
    let title = format!("Switch to {name} ");
    for _ in 0..4 {
        if screen.text().contains(&title) {
            return;
        }
        screen.keys(&["j"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    screen.wait_for(&title, T);
}

#[test]
fn switch_from_the_environments_pane_then_prod_by_name_then_an_invalid_edit() {
    let env = Env::with_settings(SERVICES, ENVIRONMENTS);
    let overlays = env.dir.join("configs/environments");
    std::fs::create_dir_all(&overlays).expect("overlay dir");
    for (name, level) in [("staging", "warn"), ("prod", "error")] {
        std::fs::write(
            overlays.join(format!("{name}.yaml")),
            format!("services:\n  api:\n    env: {{ LOG_LEVEL: {level} }}\n"),
        )
        .expect("overlay");
    }
    let screen = Screen::shell(&env);
    screen.type_line(&format!(
        "{} -f {}",
        env!("CARGO_BIN_EXE_uc"),
        env.file.display()
    ));
    screen.wait("both services running", T, |t| {
        ["api", "worker"]
            .iter()
            .all(|s| Screen::row(t, s).is_some_and(|r| r.contains("running")))
    });
    assert!(header(&screen).contains("env dev"), "{}", screen.text());
    let before = env.status();
    let (api, worker) = (Env::pid_of(&before, "api"), Env::pid_of(&before, "worker"));

    screen.keys(&["e"]);
    screen.wait_for("Environments", T);
    select(&screen, "staging");
    screen.wait_for("api  env.LOG_LEVEL  ↻ restarts", T);
    screen.keys(&["Enter"]);
    screen.wait_for("Switch to staging?", T);
    let pressed = Instant::now();
    screen.keys(&["y"]);
    let switched = env.wait_status(T, |s| {
        s["environment"] == "staging"
            && Env::service(s, "api")["state"] == "running"
            && Env::service(s, "api")["pid"].as_u64() != Some(u64::from(api))
    });
    eprintln!(
        "switch dev → staging, key press to api running: {} ms",
        pressed.elapsed().as_millis()
    );
    assert_eq!(Env::pid_of(&switched, "worker"), worker, "worker untouched");
    screen.wait("the header to say staging", T, |t| {
        t.lines().next().is_some_and(|l| l.contains("env staging"))
    });

    select(&screen, "prod");
    screen.keys(&["Enter"]);
    screen.wait_for("Type prod to confirm", T);
    screen.keys(&["y", "Enter"]);
    screen.wait_for("type `prod` exactly", T);
    assert_eq!(
        env.status()["environment"],
        "staging",
        "a wrong name switches nothing"
    );
    screen.keys(&["BSpace"]);
    screen.server.tmux(&["send-keys", "-l", "prod"]);
    screen.keys(&["Enter"]);
    screen.wait("the header to say prod", T, |t| {
        t.lines().next().is_some_and(|l| l.contains("env prod"))
    });
    let coloured = screen.server.tmux(&["capture-pane", "-p", "-e"]);
    let first = coloured.lines().next().unwrap_or_default();
    assert!(
        ["[41m", "[101m", "[48;5;1m", "[48;5;9m"]
            .iter()
            .any(|red| first.contains(red)),
        "prod's header is red: {first:?}"
    );
    let frame = coloured.lines().nth(1).unwrap_or_default();
    assert!(
        ["[31m", "[91m", "[38;5;1m", "[38;5;9m"]
            .iter()
            .any(|red| frame.contains(red)),
        "prod's pane frame is red: {frame:?}"
    );
    let prod = env.status();
    assert_eq!(Env::pid_of(&prod, "worker"), worker);

    let text = std::fs::read_to_string(&env.file).expect("read");
    std::fs::write(
        &env.file,
        text.replace("  worker:", "  worker:\n    comand: x"),
    )
    .expect("edit");
    screen.wait_for("config edit not applied", T);
    let text = screen.wait_for("comand", T);
    assert!(text.contains("univers.yaml:"), "{text}");
    let still = env.status();
    assert_eq!(Env::pid_of(&still, "worker"), worker, "nothing restarted");
    assert_eq!(still["environment"], "prod");
    screen.keys(&["Escape", "q"]);
    env.ok(&["down"]);
}
