//! The hash-chained audit log: what the CLI, the TUI and the API did appears with the right
//! actor and frontend; `uc audit verify` names the line that was edited, removed or cut
//! short; appenders in several threads and processes keep the chain whole.

mod common;

use std::path::Path;
use std::time::Duration;

use common::cli::{Env, Screen};
use common::serve::{Body, Serve, token};
use serde_json::Value;
use univers_container::store::AuditRecord;
use univers_container::store::audit::chain::{self, Chain};

const IDLE: &str = "  idle:\n    command: sleep 1000\n  other:\n    command: sleep 1001\n";
const T: Duration = Duration::from_secs(20);

fn me() -> String {
    univers_container::api::user_name(nix::unistd::getuid().as_raw())
}

/// `uc audit --json ARGS`, one record a line.
fn audit(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    env.ok(&all)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Waits until `uc audit` shows a record for which `pred` holds.
fn wait_record(env: &Env, pred: impl Fn(&Value) -> bool) -> Value {
    let mut last = Vec::new();
    let found = common::eventually(T, || {
        last = audit(env, &[]);
        last.iter().any(&pred)
    });
    assert!(found, "no such record in {last:#?}");
    last.into_iter().find(|r| pred(r)).expect("found")
}

fn verify(env: &Env) -> (bool, String, String) {
    let out = env.run(&["audit", "verify"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lines(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("audit.jsonl");
    text.lines().map(str::to_owned).collect()
}

fn write_lines(file: &Path, lines: &[String]) {
    std::fs::write(file, lines.join("\n") + "\n").expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_from_the_cli_the_tui_and_the_api_appear_with_their_actor_and_frontend() {
    let env = Env::new(IDLE);
    env.ok(&["up"]);
    env.ok(&["down", "idle"]);
    let by_cli = wait_record(&env, |r| {
        r["via"] == "cli" && r["action"] == "POST /api/v1/commands stop" && r["target"] == "idle"
    });
    assert_eq!(by_cli["actor"], me().as_str(), "{by_cli}");
    assert_eq!(by_cli["workspace"], env.workspace.as_str());
    assert_eq!(by_cli["outcome"], "ok");

    let screen = Screen::shell(&env);
    let uc = env!("CARGO_BIN_EXE_uc");
    screen.type_line(&format!("{uc} -f {}", env.file.display()));
    screen.wait("other running", T, |t| {
        Screen::row(t, "other").is_some_and(|r| r.contains("running"))
    });
    // other is the second row.
    screen.keys(&["j", "x"]);
    let by_tui = wait_record(&env, |r| r["via"] == "tui" && r["target"] == "other");
    assert_eq!(by_tui["actor"], me().as_str(), "{by_tui}");

    let ops = token(&env, "ops", "admin", &[]);
    let serve = Serve::start(&env, &[]);
    let start = serde_json::json!({"command": "start", "services": ["idle"]});
    let (status, answer) = serve
        .call_json("POST", "/api/v1/commands", &ops, Body::Json(&start))
        .await;
    assert_eq!(status, 200, "{answer}");
    // Recorded before the answer: no waiting.
    let by_api = audit(&env, &["--actor", "ops"]);
    let actions: Vec<(&str, &str, &str)> = by_api
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().unwrap_or("");
            (field("via"), field("action"), field("target"))
        })
        .collect();
    assert_eq!(actions, [("api", "POST /api/v1/commands start", "idle")]);

    // The workspace's record over the API: the engine's lines and serve's, for admins only.
    let (status, listed) = serve
        .call_json("GET", "/api/v1/audit?since=3600", &ops, Body::None)
        .await;
    assert_eq!(status, 200, "{listed}");
    let vias: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|r| r["via"].as_str())
        .collect();
    for via in ["cli", "tui", "api"] {
        assert!(vias.contains(&via), "{via} missing: {listed:#}");
    }
    let viewer = token(&env, "look", "viewer", &[]);
    let (status, refused) = serve
        .call_json("GET", "/api/v1/audit", &viewer, Body::None)
        .await;
    assert_eq!(status, 403);
    assert!(
        refused["hint"]
            .as_str()
            .is_some_and(|h| h.contains("needs role admin")),
        "{refused}"
    );

    // The token change by the CLI is on record too, and every file's chain holds.
    let made = audit(&env, &["--actor", &me()]);
    assert!(
        made.iter()
            .any(|r| r["action"] == "token create" && r["target"] == "ops")
    );
    let (ok, out, err) = verify(&env);
    assert!(ok, "{out}{err}");
    // Two tokens made, the start, and the viewer's refusal.
    assert!(
        out.contains(".serve/audit.jsonl: 4 lines, chain intact"),
        "{out}"
    );
}

/// Five token changes in `uc serve`'s file, each synced by the CLI before it ends.
fn five_lines(env: &Env) -> std::path::PathBuf {
    for name in ["a", "b", "c", "d"] {
        token(env, name, "viewer", &[]);
    }
    env.ok(&["token", "revoke", "a"]);
    let file = env.state.join(".serve/audit.jsonl");
    assert_eq!(lines(&file).len(), 5);
    file
}

#[test]
fn verify_names_the_line_that_was_edited_removed_or_cut_short() {
    let env = Env::new(IDLE);
    let file = five_lines(&env);
    let (ok, out, err) = verify(&env);
    assert!(ok && out.contains("5 lines, chain intact"), "{out}{err}");
    let original = lines(&file);
    let at = |line: usize| format!("{}:{line}: ", file.display());

    let mut edited = original.clone();
    edited[2] = edited[2].replace("\"target\":\"c\"", "\"target\":\"x\"");
    write_lines(&file, &edited);
    let (ok, _, err) = verify(&env);
    assert!(!ok, "an edit passed");
    assert!(err.starts_with(&at(3)) && err.contains("edited"), "{err}");

    let mut removed = original.clone();
    removed.remove(1);
    write_lines(&file, &removed);
    let (ok, _, err) = verify(&env);
    assert!(!ok, "a removal passed");
    assert!(err.starts_with(&at(2)) && err.contains("removed"), "{err}");

    // An edit resealed with a correct hash of its own still breaks the next line's link.
    let mut resealed = original.clone();
    let record: AuditRecord = serde_json::from_str(&original[3]).expect("record");
    let prev: Value = serde_json::from_str(&original[2]).expect("line 3");
    let forged = AuditRecord {
        actor: "someone-else".into(),
        ..record
    };
    let (line, _) = chain::seal(&forged, prev["hash"].as_str().expect("hash"));
    resealed[3] = String::from_utf8(line)
        .expect("utf-8")
        .trim_end()
        .to_owned();
    write_lines(&file, &resealed);
    let (ok, _, err) = verify(&env);
    assert!(!ok && err.starts_with(&at(5)), "{err}");

    let mut cut = original.join("\n");
    cut.truncate(cut.len() - 10);
    std::fs::write(&file, cut).expect("write");
    let (ok, _, err) = verify(&env);
    assert!(
        !ok && err.starts_with(&at(5)) && err.contains("truncated tail"),
        "{err}"
    );

    // The next append drops the cut line (never answered) and goes on from line 4.
    token(&env, "e", "viewer", &[]);
    let (ok, out, err) = verify(&env);
    assert!(ok && out.contains("5 lines, chain intact"), "{out}{err}");
}

#[test]
fn concurrent_appenders_keep_the_chain_whole() {
    let env = Env::new(IDLE);
    let file = env.state.join("shared/audit.jsonl");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let file = file.clone();
            std::thread::spawn(move || {
                let mut chain = Chain::open(&file).expect("open");
                for i in 0..50 {
                    let mut record = AuditRecord::now("t", "system", "test append", "ok");
                    record.target = Some(format!("{t}-{i}"));
                    chain.append(&[record]).expect("append");
                }
            })
        })
        .collect();
    // Processes too: each `uc token create` appends to `uc serve`'s file under its lock.
    let serve_file = env.state.join(".serve/audit.jsonl");
    let children: Vec<_> = (0..4)
        .map(|i| {
            let name = format!("p{i}");
            env.uc(&["token", "create", "--name", &name, "--role", "viewer"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("uc token create")
        })
        .collect();
    for thread in threads {
        thread.join().expect("appender");
    }
    for mut child in children {
        assert!(child.wait().expect("wait").success());
    }
    assert_eq!(chain::verify(&file).expect("read"), Ok(200));
    assert_eq!(chain::verify(&serve_file).expect("read"), Ok(4));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&file).expect("meta").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn the_engines_own_restarts_are_on_record_as_system() {
    let crasher = "  crasher:\n    command: 'exit 3'\n    restart: { policy: on-failure, backoff: 100ms..200ms, max: 1 within 1m }\n";
    let env = Env::new(crasher);
    env.ok(&["up"]);
    let restart = wait_record(&env, |r| r["action"] == "heal restart");
    assert_eq!(
        (&restart["actor"], &restart["via"], &restart["target"]),
        (
            &Value::from("system"),
            &Value::from("system"),
            &Value::from("crasher")
        ),
        "{restart}"
    );
    assert!(restart["reason"].as_str().is_some_and(|r| !r.is_empty()));
    let gave_up = wait_record(&env, |r| r["action"] == "heal gave-up");
    assert_eq!(gave_up["actor"], "system", "{gave_up}");
    let by_system = audit(&env, &["--actor", "system"]);
    assert!(by_system.iter().all(|r| r["actor"] == "system"));
    let (ok, out, err) = verify(&env);
    assert!(ok, "{out}{err}");
}

/// A full disk holds an append until there is room, and the record is then written whole:
/// the chain stays valid and nothing is dropped.
#[test]
fn a_full_disk_delays_appends_and_drops_none() {
    let tmp = tempfile::tempdir().expect("tmp");
    let Some(disk) = common::disk::SmallDisk::mount(&tmp.path().join("disk"), "1m") else {
        return;
    };
    let file = disk.dir.join("state/audit.jsonl");
    let (full_tx, full_rx) = std::sync::mpsc::channel();
    let mut chain = Chain::open(&file)
        .expect("open")
        .on_full(move |full| full_tx.send(full).expect("told"));
    chain
        .append(&[AuditRecord::now("a", "cli", "first", "ok")])
        .expect("append");
    disk.fill();
    let writer = std::thread::spawn(move || {
        for i in 0..20 {
            let record = AuditRecord::now("a", "cli", &format!("held {i}"), "ok");
            chain.append(&[record]).expect("append");
        }
    });
    assert_eq!(
        full_rx.recv_timeout(T),
        Ok(true),
        "the append waits for space"
    );
    assert!(!writer.is_finished(), "an append returned on a full disk");
    disk.free();
    writer.join().expect("writer");
    assert_eq!(full_rx.recv_timeout(T), Ok(false), "told it went through");
    assert_eq!(chain::verify(&file).expect("read"), Ok(21));
}
