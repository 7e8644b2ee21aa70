//! `uc serve`'s access control with real tokens, a real engine and its audit log: each
//! role against each mutating route, expired, revoked and out-of-scope tokens, tokens made
//! while it runs, and the limit on failed attempts.

mod common;

use std::time::{Duration, Instant};

use common::cli::Env;
use common::serve::{Body, Serve, serve_audit, token, wait_audit};
use serde_json::{Value, json};
use univers_container::protocol::Role;

const IDLE: &str = "  idle:\n    command: sleep 1000\n";

/// The engine's mutating routes: the ones it has today and the seed's.
const MUTATING: &[(&str, &str, &str)] = &[
    (
        "/api/v1/commands",
        "/api/v1/commands",
        r#"{"command":"start","services":["idle"]}"#,
    ),
    (
        "/api/v1/services/start",
        "/api/v1/services/start",
        r#"{"names":["idle"]}"#,
    ),
    (
        "/api/v1/services/idle/restart",
        "/api/v1/services/idle/restart",
        "{}",
    ),
    ("/api/v1/config", "/api/v1/config", "{}"),
    (
        "/api/v1/heal/playbooks/none/run?dry_run=true",
        "/api/v1/heal/playbooks/none/run",
        "{}",
    ),
];

const ROLES: [Role; 4] = [Role::Viewer, Role::Operator, Role::Deployer, Role::Admin];

async fn call(serve: &Serve, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    let body = Body::Text("application/json", body);
    serve.call_json(method, path, token, body).await
}

/// Polls `path` with `token` until it answers `status`; how long that took.
async fn until_status(serve: &Serve, token: &str, path: &str, status: u16) -> Duration {
    let started = Instant::now();
    loop {
        if call(serve, "GET", path, token, "").await.0 == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} never {status}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_do_what_its_permission_allows_and_every_call_is_audited() {
    let env = Env::new(IDLE);
    env.ok(&["up"]);
    let tokens: Vec<(Role, String)> = ROLES
        .iter()
        .map(|r| (*r, token(&env, r.name(), r.name(), &[])))
        .collect();
    let serve = Serve::start(&env, &[]);
    let ws = env.workspace.clone();
    let mut expected = Vec::new();
    for (role, token) in &tokens {
        for (path, route, body) in MUTATING {
            let scoped = format!("/api/v1/workspaces/{ws}{}", &path["/api/v1".len()..]);
            let (status, answer) = call(&serve, "POST", &scoped, token, body).await;
            let allowed = univers_container::api::permission("POST", path).allows(Some(*role));
            if allowed {
                assert!(
                    ![401, 403].contains(&status),
                    "{role:?} {path}: {status} {answer}"
                );
            } else {
                assert_eq!(status, 403, "{role:?} {path}: {answer}");
                let hint = answer["hint"].as_str().unwrap_or_default();
                assert!(
                    hint.starts_with("needs role ") && hint.contains(role.name()),
                    "{answer}"
                );
            }
            expected.push((role.name().to_owned(), route.to_string(), status));
        }
    }
    let rows = wait_audit(&env, |rows| rows.len() >= expected.len());
    let seen: Vec<(String, String, u16)> = rows
        .iter()
        .map(|r| {
            (
                r.token.clone().unwrap_or_default(),
                r.route.clone(),
                r.status,
            )
        })
        .collect();
    assert_eq!(seen, expected);
    assert!(
        rows.iter()
            .all(|r| r.workspace.as_deref() == Some(ws.as_str()))
    );
    assert!(
        rows.iter()
            .filter(|r| r.status == 403)
            .all(|r| r.outcome.starts_with("denied"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_revoked_and_out_of_scope_tokens_are_refused_and_new_ones_work_at_once() {
    let env = Env::new(IDLE);
    env.ok(&["up"]);
    let brief = token(&env, "brief", "viewer", &["--expires", "1s"]);
    let elsewhere = token(&env, "elsewhere", "admin", &["--workspace", "other"]);
    let serve = Serve::start(&env, &[]);
    let snapshot = format!("/api/v1/workspaces/{}/snapshot", env.workspace);

    until_status(&serve, &brief, &snapshot, 401).await;
    let (_, answer) = call(&serve, "GET", &snapshot, &brief, "").await;
    assert_eq!(answer["hint"], "token brief has expired; create a new one");

    let (status, answer) = call(&serve, "GET", &snapshot, &elsewhere, "").await;
    assert_eq!(
        (status, &answer["hint"]),
        (403, &json!("token elsewhere is for workspace other only"))
    );
    let (status, listed) = call(&serve, "GET", "/api/v1/workspaces", &elsewhere, "").await;
    assert_eq!((status, listed), (200, json!([])));

    let late = token(&env, "late", "viewer", &[]);
    let picked_up = until_status(&serve, &late, &snapshot, 200).await;
    assert!(
        picked_up < Duration::from_secs(1),
        "a new token worked after {picked_up:?}"
    );
    env.ok(&["token", "revoke", "late"]);
    let revoked = until_status(&serve, &late, &snapshot, 401).await;
    assert!(
        revoked < Duration::from_secs(1),
        "a revoked token worked for {revoked:?}"
    );
    let (_, answer) = call(&serve, "GET", &snapshot, &late, "").await;
    assert_eq!(answer["hint"], "token late was revoked");

    let rows = wait_audit(&env, |rows| {
        rows.iter().filter(|r| r.status == 401).count() >= 3
    });
    assert!(
        rows.iter()
            .any(|r| r.status == 403 && r.token.as_deref() == Some("elsewhere"))
    );
    let list: Vec<Value> =
        serde_json::from_str(&env.ok(&["token", "list", "--json"])).expect("list");
    let late = list
        .iter()
        .find(|t| t["name"] == "late")
        .expect("late listed");
    assert!(
        late["last_used"].is_u64() && late["revoked"].is_u64(),
        "{late}"
    );
    let changes: Vec<(String, Option<String>)> = serve_audit(&env)
        .into_iter()
        .filter(|r| r.source == "cli")
        .map(|r| (r.route, r.target))
        .collect();
    assert_eq!(
        changes.last(),
        Some(&("token revoke".to_owned(), Some("late".to_owned())))
    );
    assert_eq!(changes.len(), 4, "three made, one revoked: {changes:?}");
    let shown = env.ok(&["token", "list"]);
    assert!(
        !shown.contains("uc_") && shown.contains("revoked"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_limited_per_address() {
    let env = Env::new(IDLE);
    let good = token(&env, "good", "admin", &[]);
    let serve = Serve::start(&env, &[]);
    // Forgetting the token is no guess: never limited.
    for _ in 0..20 {
        let (status, _) = call(&serve, "GET", "/api/v1/workspaces", "", "").await;
        assert_eq!(status, 401);
    }
    for _ in 0..10 {
        let (status, _) = call(&serve, "GET", "/api/v1/workspaces", "uc_guess", "").await;
        assert_eq!(status, 401);
    }
    let response = reqwest::Client::new()
        .get(serve.url("/api/v1/workspaces"))
        .bearer_auth(&good)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        response.status(),
        429,
        "even a good token, from this address"
    );
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let rows = wait_audit(&env, |rows| rows.len() >= 31);
    assert_eq!(rows.iter().filter(|r| r.status == 401).count(), 30);
    assert_eq!(rows.last().map(|r| r.status), Some(429));
}
