//! Tokens managed over the API (`/api/v1/tokens`) with the real `uc serve`, a real engine
//! and the real tokens file: an admin for every workspace makes, lists and revokes them;
//! anyone else is refused; a revoked token's open event stream ends; each change is audited.

mod common;

use std::time::Duration;

use common::cli::Env;
use common::serve::{Body, Serve, token, wait_audit};
use serde_json::{Value, json};

const IDLE: &str = "  idle:\n    command: sleep 1000\n";

async fn call(serve: &Serve, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let body = match &body {
        Value::Null => Body::None,
        value => Body::Json(value),
    };
    serve.call_json(method, path, token, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_makes_lists_and_revokes_tokens_and_a_revoked_tokens_stream_ends() {
    let env = Env::new(IDLE);
    env.ok(&["up"]);
    let admin = token(&env, "root", "admin", &[]);
    let viewer = token(&env, "eyes", "viewer", &[]);
    let scoped = token(&env, "shop-admin", "admin", &["--workspace", "shop"]);
    let serve = Serve::start(&env, &[]);
    let ask = json!({"name": "ci", "role": "viewer", "expires": "30d"});

    let (status, answer) = call(&serve, "POST", "/api/v1/tokens", &viewer, ask.clone()).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["hint"], "needs role admin; token eyes is viewer");
    let (status, answer) = call(&serve, "POST", "/api/v1/tokens", &scoped, ask.clone()).await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("for workspace shop only"),
        "{answer}"
    );
    let wrong = json!({"name": "ci", "role": "boss"});
    let (status, answer) = call(&serve, "POST", "/api/v1/tokens", &admin, wrong).await;
    assert_eq!(
        (status, &answer["field"]),
        (400, &json!("role")),
        "{answer}"
    );

    let (status, made) = call(&serve, "POST", "/api/v1/tokens", &admin, ask.clone()).await;
    assert_eq!(status, 201, "{made}");
    let ci = made["token"].as_str().expect("the token").to_owned();
    assert!(ci.starts_with("uc_") && ci.len() == 67, "{made}");
    assert_eq!(made["info"]["role"], "viewer");
    assert!(made["info"]["expires"].is_u64(), "{made}");
    let (status, answer) = call(&serve, "POST", "/api/v1/tokens", &admin, ask).await;
    assert_eq!(
        (status, &answer["field"]),
        (409, &json!("name")),
        "{answer}"
    );

    let (status, listed) = call(&serve, "GET", "/api/v1/tokens", &admin, Value::Null).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["ci", "eyes", "root", "shop-admin"]);
    assert!(
        !listed.to_string().contains("uc_"),
        "no token is shown again"
    );
    let from_cli = env.ok(&["token", "list"]);
    assert!(from_cli.contains("ci "), "{from_cli}");

    // The new token works at once, and its stream ends when it is revoked.
    let mut stream = reqwest::Client::new()
        .get(serve.url("/api/v1/events"))
        .bearer_auth(&ci)
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), 200);
    let first = stream.chunk().await.expect("read").expect("a snapshot");
    assert!(String::from_utf8_lossy(&first).contains("event: snapshot"));
    let (status, _) = call(&serve, "DELETE", "/api/v1/tokens/ci", &admin, Value::Null).await;
    assert_eq!(status, 204);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.chunk().await.ok().flatten().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream outlived its token");
    let (status, answer) = call(&serve, "GET", "/api/v1/services", &ci, Value::Null).await;
    assert_eq!(
        (status, &answer["hint"]),
        (401, &json!("token ci was revoked"))
    );
    let (status, answer) = call(&serve, "DELETE", "/api/v1/tokens/ci", &admin, Value::Null).await;
    assert_eq!(
        (status, &answer["field"]),
        (404, &json!("name")),
        "{answer}"
    );

    let rows = wait_audit(&env, |rows| {
        rows.iter()
            .filter(|r| r.route.starts_with("/api/v1/tokens"))
            .count()
            >= 7
    });
    let seen: Vec<(String, u16, Option<String>)> = rows
        .iter()
        .filter(|r| r.route.starts_with("/api/v1/tokens"))
        .map(|r| (r.method.clone(), r.status, r.target.clone()))
        .collect();
    let ci = Some("ci".to_owned());
    assert_eq!(
        seen,
        [
            ("POST".to_owned(), 403, None),
            ("POST".to_owned(), 403, None),
            ("POST".to_owned(), 400, None),
            ("POST".to_owned(), 201, ci.clone()),
            ("POST".to_owned(), 409, ci.clone()),
            ("DELETE".to_owned(), 204, ci.clone()),
            ("DELETE".to_owned(), 404, ci),
        ]
    );
}
