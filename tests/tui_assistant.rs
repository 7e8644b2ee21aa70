//! The assistant pane: a render snapshot of findings ranked with their evidence and actions,
//! `Enter` on an action showing its dry-run (the batch plan, the silence's matchers and end,
//! the logs opened filtered without a question) and a yes sending it through the assistant;
//! the pane diagnosing again every few seconds while it shows; a viewer refused before the
//! question; `:ask …` reading a sentence, asking before a change, acting at once on a look,
//! and doing nothing on nonsense. End to end in tmux: a dependency killed shows in the pane,
//! `Enter` → the plan → `y` restarts it (a new pid), audited `tui (assistant)`; `:ask restart
//! api` → confirm → restarted; `:ask` nonsense → nothing.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use std::time::Duration;

use common::cli::{Env, Screen};
use common::tui::{NOW, Tui, find, running, service, workspace};
use univers_container::assist::Diagnosis;
use univers_container::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use univers_container::heal::playbook::PlaybookReport;
use univers_container::logs::Level;
use univers_container::protocol::{Command, ConfigPlan, Role, ServiceState};
use univers_container::tui::heal::playbook::PlaybookMode;
use univers_container::tui::state::{Pane, Popup};
use univers_container::tui::{App, EngineLink, Keymap, Request, Theme, Update};

fn diagnosis() -> Diagnosis {
    let dependency = Finding {
        analyzer: "dependency_down".into(),
        severity: Severity::Critical,
        rank: 5,
        service: Some("api".into()),
        cause: "api depends on db, which is exited (exit 1)".into(),
        evidence: vec![
            Evidence {
                kind: EvidenceKind::Process,
                text: "db exited 1 at 23:59:40".into(),
                at_ms: Some(NOW - 20_000),
            },
            Evidence {
                kind: EvidenceKind::Log,
                text: "db: panic: disk quota exceeded".into(),
                at_ms: Some(NOW - 21_000),
            },
        ],
        actions: vec![
            Suggestion::Restart {
                service: "db".into(),
            },
            Suggestion::Logs {
                service: Some("db".into()),
                pattern: Some("panic: disk".into()),
            },
        ],
        since_ms: Some(NOW - 20_000),
    };
    let storm = Finding {
        analyzer: "alert_storm".into(),
        severity: Severity::Warning,
        rank: 0,
        service: None,
        cause: "12 alerts fired in 5m, 9 of them HighLatency".into(),
        evidence: vec![],
        actions: vec![
            Suggestion::Silence {
                matchers: vec!["alertname=HighLatency".into()],
                for_secs: 7200,
            },
            Suggestion::RaiseLimit {
                path: "services.api.max_memory".into(),
                from: "256M".into(),
                to: "512M".into(),
            },
        ],
        since_ms: None,
    };
    Diagnosis {
        at_ms: NOW - 2_000,
        service: None,
        findings: vec![dependency, storm],
        analyzers: vec!["dependency_down".into(), "alert_storm".into()],
    }
}

fn shop() -> univers_container::protocol::Snapshot {
    let mut snapshot = workspace();
    let mut api = running("api");
    api.depends_on = vec!["db".into()];
    snapshot.services = vec![service("db", ServiceState::Exited), api];
    snapshot
}

fn opened(tui: &mut Tui) {
    tui.snapshot(shop());
    tui.keys(&["!"]);
    assert_eq!(tui.pane(), Pane::Assistant);
    assert_eq!(tui.sent(), [Request::Doctor]);
    tui.update(Update::Doctor(Ok(diagnosis())));
}

fn assistant() -> Tui {
    let mut tui = Tui::new((120, 24), NOW);
    opened(&mut tui);
    tui
}

fn assisted(request: Request) -> Request {
    Request::Assisted(Box::new(request))
}

#[test]
fn snapshot_findings_ranked_with_evidence_and_actions() {
    let tui = assistant();
    insta::assert_snapshot!("assistant_pane", tui.screen());
    let screen = tui.screen();
    assert!(
        screen.contains("2 findings  1 critical  1 warning"),
        "{screen}"
    );
    assert!(screen.contains("› restart db"), "{screen}");
    assert!(screen.contains("uc restart db"), "{screen}");
    let buffer = tui.buffer();
    let theme = Theme::default();
    let (x, y) = find(&buffer, "CRITICAL");
    assert_eq!(buffer[(x, y)].fg, theme.danger);
    let (x, y) = find(&buffer, "WARNING");
    assert_eq!(buffer[(x, y)].fg, theme.warn);
}

#[test]
fn enter_shows_the_restart_plan_and_a_yes_sends_it_through_the_assistant() {
    let mut tui = assistant();
    tui.keys(&["enter"]);
    let screen = tui.screen();
    assert!(screen.contains("Restart db?"), "{screen}");
    assert!(screen.contains("uc restart db"), "{screen}");
    assert!(tui.sent().is_empty(), "nothing before the yes");
    tui.keys(&["y"]);
    let restart = Command::Restart {
        services: vec!["db".into()],
    };
    assert_eq!(tui.sent(), [assisted(Request::Engine(restart))]);
    assert_eq!(tui.status(), "restarting db…");
}

#[test]
fn logs_open_filtered_at_once_and_a_silence_names_its_matchers_and_end() {
    let mut tui = assistant();
    tui.keys(&["j", "enter"]);
    assert_eq!(tui.pane(), Pane::Logs);
    let state = tui.app.state();
    assert_eq!(state.logs.filter.service.as_deref(), Some("db"));
    let grep = state.logs.filter.grep.as_ref().unwrap();
    assert_eq!(grep.text, "panic: disk");
    assert!(matches!(tui.sent().as_slice(), [Request::Logs(_), ..]));

    let mut tui = assistant();
    tui.keys(&["j", "j", "enter"]);
    let screen = tui.screen();
    assert!(screen.contains("Silence these alerts?"), "{screen}");
    assert!(
        screen.contains("matching alertname=HighLatency"),
        "{screen}"
    );
    assert!(
        screen.contains("for 2h, until 2024-01-01 02:00 UTC"),
        "{screen}"
    );
    tui.keys(&["n"]);
    assert!(tui.sent().is_empty());
    // A limit to raise shows its diff; it is applied by editing, not from here.
    tui.keys(&["j", "enter"]);
    let screen = tui.screen();
    assert!(
        screen.contains("+ services.api.max_memory: 512M"),
        "{screen}"
    );
    assert!(tui.sent().is_empty());
}

#[test]
fn the_open_pane_diagnoses_again_every_few_seconds_and_on_demand() {
    let mut tui = assistant();
    tui.app.on_tick(NOW + 1_000);
    assert!(tui.sent().is_empty());
    tui.app.on_tick(NOW + 3_000);
    assert_eq!(tui.sent(), [Request::Doctor]);
    // One read at a time: the next waits for this one's answer.
    tui.keys(&["f5"]);
    assert!(tui.sent().is_empty());
    let mut fresh = diagnosis();
    fresh.findings.remove(0);
    tui.update(Update::Doctor(Ok(fresh)));
    tui.keys(&["ctrl-r"]);
    assert_eq!(tui.sent(), [Request::Doctor]);
    assert!(tui.screen().contains("› silence alertname=HighLatency"));
    // Closed, it reads nothing.
    tui.update(Update::Doctor(Ok(diagnosis())));
    tui.keys(&["esc"]);
    assert_eq!(tui.pane(), Pane::Services);
    tui.app.on_tick(NOW + 60_000);
    assert!(tui.sent().is_empty());
}

#[test]
fn a_viewer_sees_the_findings_but_is_refused_before_the_question() {
    let (link, _updates, requests) = EngineLink::pair();
    let mut app =
        App::new(link.requests, Keymap::builtin(), Theme::default()).with_role(Role::Viewer);
    app.on_resize(120, 24);
    app.on_tick(NOW);
    let mut tui = Tui {
        app,
        requests,
        size: (120, 24),
    };
    opened(&mut tui);
    assert!(tui.screen().contains("api depends on db"));
    tui.keys(&["enter"]);
    assert!(tui.app.state().popups.is_empty());
    assert!(tui.status().contains("restart"), "{}", tui.status());
    assert!(tui.sent().is_empty());
}

#[test]
fn ask_confirms_a_change_acts_on_a_look_and_refuses_nonsense() {
    let mut tui = Tui::new((120, 24), NOW);
    tui.snapshot(shop());
    tui.command("ask restart api");
    let screen = tui.screen();
    assert!(
        screen.contains("I understood: restart service api — confirm?"),
        "{screen}"
    );
    assert!(tui.sent().is_empty());
    tui.keys(&["y"]);
    let restart = Command::Restart {
        services: vec!["api".into()],
    };
    assert_eq!(tui.sent(), [assisted(Request::Engine(restart))]);

    // "If it keeps crashing": api runs, so nothing is asked or done.
    tui.command("ask restart the api if it keeps crashing");
    assert_eq!(tui.status(), "api is not crash-looping: nothing done");
    assert!(tui.app.state().popups.is_empty());
    assert!(tui.sent().is_empty());

    tui.command("ask 重启 api");
    assert!(matches!(
        tui.app.state().popups.last(),
        Some(Popup::Confirm(c)) if c.message.contains("重启服务 api")
    ));
    tui.keys(&["n"]);
    assert!(tui.sent().is_empty());

    tui.command("ask show errors from db in the last 10 minutes");
    assert_eq!(tui.pane(), Pane::Logs);
    assert!(tui.app.state().popups.is_empty());
    assert!(
        tui.status()
            .starts_with("I understood: show error logs of service db")
    );
    let Some(Request::Logs(query)) = tui.sent().pop() else {
        panic!("no logs asked for");
    };
    assert_eq!(query.sources, ["db"]);
    assert_eq!(query.level, Some(Level::Error));
    assert_eq!(query.since, Some(NOW - 600_000));

    tui.command("ask why is api slow");
    assert_eq!(tui.pane(), Pane::Assistant);
    assert_eq!(tui.sent(), [Request::Doctor]);

    tui.command("ask make me a sandwich");
    assert!(tui.status().contains("nothing done"), "{}", tui.status());
    assert!(tui.app.state().popups.is_empty());
    assert!(tui.sent().is_empty());
}

#[test]
fn a_playbook_shows_its_plan_and_its_run_is_sent_through_the_assistant() {
    let mut tui = Tui::new((120, 24), NOW);
    tui.snapshot(shop());
    tui.keys(&["!"]);
    tui.sent();
    let mut d = diagnosis();
    d.findings[0].actions = vec![Suggestion::RunPlaybook {
        playbook: "tidy".into(),
    }];
    tui.update(Update::Doctor(Ok(d)));
    tui.keys(&["enter"]);
    let plan = Request::RunPlaybook {
        name: "tidy".into(),
        mode: PlaybookMode::Plan,
    };
    assert_eq!(tui.sent(), [plan]);
    let report = PlaybookReport::new("tidy", true, NOW, vec![]);
    tui.update(Update::PlaybookRun {
        name: "tidy".into(),
        mode: PlaybookMode::Plan,
        result: Ok(report.clone()),
    });
    assert!(
        tui.screen().contains("Run playbook tidy?"),
        "{}",
        tui.screen()
    );
    tui.keys(&["y"]);
    let run = Request::RunPlaybook {
        name: "tidy".into(),
        mode: PlaybookMode::Run,
    };
    assert_eq!(tui.sent(), [assisted(run.clone())]);
    // The same playbook from the command line is the user's own.
    tui.command("playbook tidy");
    tui.sent();
    tui.update(Update::PlaybookRun {
        name: "tidy".into(),
        mode: PlaybookMode::Plan,
        result: Ok(report),
    });
    tui.keys(&["y"]);
    assert_eq!(tui.sent(), [run]);
}

#[test]
fn applying_the_edit_shows_what_changes_and_a_yes_applies_that_edit_through_the_assistant() {
    let mut tui = Tui::new((120, 30), NOW);
    let mut snapshot = shop();
    snapshot.config.pending = Some(ConfigPlan {
        environment: None,
        from: None,
        hash: "e1e1".into(),
        changes: vec![],
        diff: "--- running\n+++ edited\n-      PORT: \"8080\"\n+      PORT: \"8081\"".into(),
        confirm: false,
    });
    tui.snapshot(snapshot);
    tui.keys(&["!"]);
    tui.sent();
    let mut d = diagnosis();
    d.findings[0].actions = vec![Suggestion::ApplyConfig];
    tui.update(Update::Doctor(Ok(d)));
    tui.keys(&["enter"]);
    let screen = tui.screen();
    assert!(screen.contains("Apply the edited config?"), "{screen}");
    assert!(screen.contains("No service changes"), "{screen}");
    tui.keys(&["y"]);
    let apply = Command::ApplyConfig {
        hash: Some("e1e1".into()),
        by: "uc".into(),
    };
    assert_eq!(tui.sent(), [assisted(Request::Engine(apply))]);
}

const T: Duration = Duration::from_secs(20);

fn audit_lines(env: &Env) -> Vec<String> {
    let file = env.state.join(&env.workspace).join("audit.jsonl");
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines().map(str::to_owned).collect()
}

/// Waits for the engine's record of a restart of `service` through the TUI's assistant;
/// answers every line.
fn wait_audited(env: &Env, service: &str) -> Vec<String> {
    let start = std::time::Instant::now();
    let target = format!("\"target\":\"{service}\"");
    loop {
        let lines = audit_lines(env);
        let done = lines.iter().any(|l| {
            l.contains("\"via\":\"tui (assistant)\"")
                && l.contains("commands restart")
                && l.contains(&target)
        });
        if done {
            return lines;
        }
        assert!(
            start.elapsed() < T,
            "no assisted restart of {service}: {lines:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pid(env: &Env, name: &str) -> Option<u64> {
    Env::service(&env.status(), name)["pid"].as_u64()
}

#[test]
fn end_to_end_a_fault_in_the_pane_is_fixed_through_the_assistant_and_audited() {
    let env = Env::new(
        r#"
  db:
    command: "exec sleep 3402"
    restart: "no"
  api:
    command: "exec sleep 3403"
    depends_on: [db]
"#,
    );
    env.ok(&["up"]);
    let status = env.wait_status(T, |s| Env::service(s, "api")["state"] == "running");
    let db = u64::from(Env::pid_of(&status, "db"));
    let screen = Screen::shell(&env);
    let uc = env!("CARGO_BIN_EXE_uc");
    screen.type_line(&format!("{uc} -f {}", env.file.display()));
    screen.wait("api running", T, |t| {
        Screen::row(t, "api").is_some_and(|r| r.contains("running"))
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(db as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    screen.keys(&["!"]);
    screen.wait("the dependency down in the pane", T, |t| {
        t.contains("api depends on db") && t.contains("› restart db")
    });
    screen.keys(&["Enter"]);
    screen.wait("the plan", T, |t| {
        t.contains("Restart db?") && t.contains("restart db")
    });
    screen.keys(&["y"]);
    env.wait_status(T, |s| {
        let now = Env::service(s, "db");
        now["state"] == "running" && now["pid"].as_u64().is_some_and(|p| p != db)
    });
    // The record is written before the engine answers, which may be after db runs.
    wait_audited(&env, "db");

    // `:ask` reads a sentence, asks, and restarts after the yes.
    let api = pid(&env, "api").unwrap();
    screen.keys(&[":"]);
    screen.keys(&["-l", "ask restart api"]);
    screen.keys(&["Enter"]);
    screen.wait("the reading", T, |t| {
        t.contains("I understood: restart service api — confirm?")
    });
    screen.keys(&["y"]);
    env.wait_status(T, |s| {
        let api_now = Env::service(s, "api");
        api_now["state"] == "running" && api_now["pid"].as_u64().is_some_and(|p| p != api)
    });

    // Nonsense: not understood, nothing done.
    let before = wait_audited(&env, "api").len();
    screen.keys(&[":"]);
    screen.keys(&["-l", "ask make me a sandwich"]);
    screen.keys(&["Enter"]);
    screen.wait("not understood", T, |t| t.contains("nothing done"));
    assert!(!screen.text().contains("confirm?"));
    assert_eq!(audit_lines(&env).len(), before);
}
