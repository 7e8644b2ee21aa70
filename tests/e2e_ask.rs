//! `uc ask` end to end: the real binary reads a sentence against a real workspace, and a
//! mutating reading acts only when confirmed.

mod common;

use std::time::Duration;

use common::cli::Env;

const T: Duration = Duration::from_secs(20);

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3201"
  worker:
    command: "exec sleep 3202"
"#;

#[test]
fn ask_restarts_with_yes_and_refuses_without_a_terminal() {
    let env = Env::new(SERVICES);
    env.ok(&["up"]);
    let before = env.wait_status(T, |s| Env::service(s, "api")["state"] == "running");
    let api = Env::pid_of(&before, "api");
    let worker = Env::pid_of(&before, "worker");

    // No terminal, no --yes: the reading is shown, nothing changes.
    let refused = env.run(&["ask", "restrat the api"]);
    let stdout = String::from_utf8_lossy(&refused.stdout);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("I understood: restart service api — confirm?"),
        "{stdout}"
    );
    assert!(
        stderr.contains("confirm on a terminal or pass --yes"),
        "{stderr}"
    );
    assert_eq!(
        Env::pid_of(&env.status(), "api"),
        api,
        "a refused ask changes nothing"
    );

    // Nonsense is not understood and exits 2.
    let unknown = env.run(&["ask", "make me a sandwich"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stdout).contains("I did not understand"));

    // The same sentence with --yes restarts api, and only api, through `uc restart`.
    let out = env.ok(&["ask", "restart api", "--yes"]);
    assert!(out.contains("I understood: restart service api"), "{out}");
    let after = env.wait_status(T, |s| {
        Env::service(s, "api")["state"] == "running" && Env::pid_of(s, "api") != api
    });
    assert_eq!(Env::pid_of(&after, "worker"), worker);
    let audit = std::fs::read_to_string(env.state.join(&env.workspace).join("audit.jsonl"))
        .expect("audit.jsonl");
    assert!(
        audit
            .lines()
            .any(|l| l.contains(r#""via":"cli (assistant)""#) && l.contains("restart")),
        "{audit}"
    );

    // "if it keeps crashing" checks first: a running api is left alone.
    let out = env.ok(&["ask", "restart the api if it keeps crashing", "--yes"]);
    assert!(
        out.contains("api is not crash-looping: nothing done"),
        "{out}"
    );
    let now = env.status();
    assert_eq!(Env::pid_of(&now, "api"), Env::pid_of(&after, "api"));

    // Chinese, read-only: runs directly (no confirmation) and answers in Chinese.
    let out = env.ok(&["ask", "api 的状态"]);
    assert!(out.starts_with("我理解为：查看服务 api的状态"), "{out}");
    assert!(out.contains("worker"), "the status table follows: {out}");

    // "why": the doctor's diagnosis of the service, read-only, at once.
    let out = env.ok(&["ask", "why is the api so slow"]);
    assert!(out.contains("no problems found in api"), "{out}");

    // --json: the parsed intent, nothing done.
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["ask", "--json", "停止 worker"])).expect("json");
    assert_eq!(json["intent"]["intent"], "stop");
    assert_eq!(json["intent"]["service"], "worker");
    assert_eq!(Env::pid_of(&env.status(), "worker"), worker);
}
