//! The audit pane: a render snapshot of records newest first with the chain intact, the
//! first broken line named when it is not, `/` narrowing by actor or action, a new record
//! announced by the engine read again (once per read in flight); and end to end in tmux:
//! actions from the TUI, the CLI and the API appear in the open pane with their actor.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use std::time::Duration;

use common::cli::{Env, Screen};
use common::serve::{Body, Serve, token};
use common::tui::{NOW, Tui, find, running, workspace};
use univers_container::protocol::Event;
use univers_container::store::AuditRecord;
use univers_container::tui::audit::{AuditRead, ChainCheck};
use univers_container::tui::state::Pane;
use univers_container::tui::{Request, Theme, Update};

fn record(minute: u32, actor: &str, via: &str, action: &str, target: &str) -> AuditRecord {
    let mut r = AuditRecord::now(actor, via, action, "ok");
    r.time = format!("2026-12-06T10:{minute:02}:00.000Z");
    r.target = Some(target.into());
    r.workspace = Some("shop".into());
    r
}

/// Oldest first, as the engine answers.
fn records() -> Vec<AuditRecord> {
    let mut denied = record(3, "look", "api", "POST /api/v1/commands stop", "api");
    denied.outcome = "denied".into();
    denied.reason = Some("viewer may not stop".into());
    let mut heal = record(4, "system", "system", "heal restart", "db");
    heal.reason = Some("exited 1".into());
    vec![
        record(1, "ana", "cli", "POST /api/v1/commands stop", "api"),
        record(2, "ops", "api", "POST /api/v1/commands start", "api"),
        denied,
        heal,
    ]
}

fn intact() -> Vec<ChainCheck> {
    vec![
        ChainCheck::Intact {
            file: "/state/.serve/audit.jsonl".into(),
            lines: 2,
        },
        ChainCheck::Intact {
            file: "/state/shop/audit.jsonl".into(),
            lines: 2,
        },
    ]
}

fn opened(checks: Vec<ChainCheck>) -> Tui {
    let mut tui = Tui::new((140, 16), NOW);
    let mut snapshot = workspace();
    snapshot.services = vec![running("api"), running("db")];
    tui.snapshot(snapshot);
    tui.keys(&["u"]);
    assert_eq!(tui.pane(), Pane::Audit);
    assert_eq!(tui.sent(), [Request::Audit]);
    tui.update(Update::Audit(AuditRead {
        records: Ok(records()),
        checks,
    }));
    tui
}

#[test]
fn snapshot_records_newest_first_with_the_chain_intact() {
    let h = opened(intact());
    insta::assert_snapshot!("audit_pane", h.screen());
    let screen = h.screen();
    let rows: Vec<&str> = ["system", "look", "ops", "ana"]
        .iter()
        .map(|actor| {
            screen
                .lines()
                .find(|l| l.contains(&format!(" {actor} ")))
                .unwrap()
        })
        .collect();
    assert!(rows[0].contains("heal restart") && rows[0].contains("exited 1"));
    assert!(rows[1].contains("denied") && rows[1].contains("viewer may not stop"));
    let buffer = h.buffer();
    let theme = Theme::default();
    let (x, y) = find(&buffer, "denied");
    assert_eq!(buffer[(x, y)].fg, theme.warn);
    let (x, y) = find(&buffer, "chain intact");
    assert_eq!(buffer[(x, y)].fg, theme.info);
}

#[test]
fn a_broken_chain_names_its_first_broken_line() {
    let broken = ChainCheck::Broken(
        "/state/shop/audit.jsonl:3: edited: its hash does not match its content".into(),
    );
    let h = opened(vec![intact().remove(0), broken]);
    let screen = h.screen();
    assert!(
        screen.contains("chain broken /state/shop/audit.jsonl:3: edited"),
        "{screen}"
    );
    let buffer = h.buffer();
    let (x, y) = find(&buffer, "chain broken");
    assert_eq!(buffer[(x, y)].fg, Theme::default().danger);
}

#[test]
fn slash_narrows_by_actor_or_action_and_esc_clears() {
    let mut h = opened(intact());
    h.keys(&["/"]).type_text("OPS");
    let screen = h.screen();
    assert!(
        screen.contains(" ops ") && !screen.contains(" ana "),
        "{screen}"
    );
    assert!(screen.contains("Audit /ops"), "{screen}");
    // The services' filter is left alone, and the pane stays.
    assert_eq!(h.app.state().filter, "");
    h.keys(&["enter"]);
    assert_eq!(h.pane(), Pane::Audit);
    // The input opens with the filter kept.
    h.keys(&["/", "backspace", "backspace", "backspace"])
        .type_text("heal");
    assert!(h.screen().contains(" system "));
    assert!(!h.screen().contains(" ops "));
    h.keys(&["esc"]);
    assert!(h.screen().contains(" ana "));
    h.keys(&["esc"]);
    assert_eq!(h.pane(), Pane::Services);
}

#[test]
fn new_records_are_read_again_one_read_at_a_time() {
    let mut h = opened(intact());
    h.event(Event::Audit);
    assert_eq!(h.sent(), [Request::Audit]);
    // Two more while that read is out: one more read, when it lands.
    h.event(Event::Audit).event(Event::Audit);
    assert!(h.sent().is_empty());
    let mut newer = records();
    newer.push(record(
        5,
        "ana",
        "tui",
        "POST /api/v1/commands restart",
        "db",
    ));
    h.update(Update::Audit(AuditRead {
        records: Ok(newer),
        checks: intact(),
    }));
    assert_eq!(h.sent(), [Request::Audit]);
    assert!(h.screen().contains("commands restart"));
    // Closed, the pane reads nothing.
    h.update(Update::Audit(AuditRead {
        records: Ok(records()),
        checks: intact(),
    }));
    h.keys(&["u"]);
    h.sent();
    h.event(Event::Audit);
    assert!(h.sent().is_empty());
}

const IDLE: &str = "  idle:\n    command: sleep 1000\n  other:\n    command: sleep 1001\n";
const T: Duration = Duration::from_secs(20);

/// The row of the pane that has all of `words`.
fn has_row(text: &str, words: &[&str]) -> bool {
    text.lines().any(|l| words.iter().all(|w| l.contains(w)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_from_the_tui_the_cli_and_the_api_appear_live_with_their_actor() {
    let env = Env::new(IDLE);
    env.ok(&["up"]);
    let me = univers_container::api::user_name(nix::unistd::getuid().as_raw());
    let ops = token(&env, "ops", "admin", &[]);
    let serve = Serve::start(&env, &[]);

    let screen = Screen::shell(&env);
    let uc = env!("CARGO_BIN_EXE_uc");
    screen.type_line(&format!("{uc} -f {}", env.file.display()));
    screen.wait("other running", T, |t| {
        Screen::row(t, "other").is_some_and(|r| r.contains("running"))
    });
    // From the TUI: other is the second row.
    screen.keys(&["j", "x"]);
    screen.wait("other stopped", T, |t| {
        Screen::row(t, "other").is_some_and(|r| !r.contains("running"))
    });
    screen.keys(&["u"]);
    screen.wait("the TUI's stop in the pane", T, |t| {
        has_row(t, &[&me, "tui", "commands stop", "other", "ok"]) && t.contains("chain intact")
    });

    // The pane stays open while the CLI and the API act.
    env.ok(&["down", "idle"]);
    screen.wait("the CLI's stop in the pane", T, |t| {
        has_row(t, &[&me, "cli", "commands stop", "idle", "ok"])
    });
    let start = serde_json::json!({"command": "start", "services": ["idle"]});
    let (status, answer) = serve
        .call_json("POST", "/api/v1/commands", &ops, Body::Json(&start))
        .await;
    assert_eq!(status, 200, "{answer}");
    let text = screen.wait("the API's start in the pane", T, |t| {
        has_row(t, &["ops", "api", "commands start", "idle", "ok"])
    });
    // Newest first: the API's start above the CLI's stop above the TUI's.
    let at = |words: &[&str]| {
        text.lines()
            .position(|l| words.iter().all(|w| l.contains(w)))
            .unwrap()
    };
    let api = at(&["ops", "commands start"]);
    let cli = at(&["cli", "commands stop"]);
    let tui = at(&["tui", "commands stop"]);
    assert!(api < cli && cli < tui, "{text}");
    screen.keys(&["/"]);
    screen.keys(&["-l", "ops"]);
    screen.wait("only the token's records", T, |t| {
        has_row(t, &["ops", "commands start"]) && !has_row(t, &["cli", "commands stop"])
    });
}
