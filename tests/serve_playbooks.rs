//! Editing clean-up playbooks over the API with the real `uc serve` and a real engine: an
//! admin writes one (checked first: a text that does not load is refused at its line and
//! column and nothing is written), reads it back, runs it dry with the new text, deletes
//! it; an operator may not; each change is audited.

mod common;

use common::cli::Env;
use common::serve::{Body, Serve, token, wait_audit};
use serde_json::{Value, json};

const IDLE: &str = "  idle:\n    command: sleep 1000\n";

const FIRST: &str = "description: Clear scratch logs\nroots: [./tmp]\nsteps:\n  \
    - delete: { under: ./tmp, match: \"**/*.log\", older_than: 7d }\n";
const SECOND: &str = "description: Clear scratch files\nroots: [./tmp]\nsteps:\n  \
    - delete: { under: ./tmp, match: \"**/*.tmp\", older_than: 1d }\n";
const BROKEN: &str = "roots: [./tmp]\nsteps:\n  - delete: { under: ./tmp, older_than: soon }\n";

async fn call(serve: &Serve, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    let body = Body::Text("application/yaml", body);
    serve.call_json(method, path, token, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_a_playbook_over_the_api_and_a_broken_one_is_never_written() {
    let env = Env::new(IDLE);
    env.ok(&["up"]);
    let admin = token(&env, "root", "admin", &[]);
    let operator = token(&env, "ops", "operator", &[]);
    let serve = Serve::start(&env, &[]);
    let path = format!(
        "/api/v1/workspaces/{}/heal/playbooks/scratch",
        env.workspace
    );
    let file = env.dir.join("configs/playbooks/scratch.yaml");

    let (status, answer) = call(&serve, "PUT", &path, &operator, FIRST).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["hint"], "needs role admin; token ops is operator");
    let (status, answer) = call(&serve, "PUT", &path, &admin, BROKEN).await;
    assert_eq!(
        (status, &answer["field"]),
        (400, &json!("body")),
        "{answer}"
    );
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("scratch.yaml:3:"),
        "line and column: {error}"
    );
    assert!(!file.exists(), "a broken playbook was written");

    let (status, made) = call(&serve, "PUT", &path, &admin, FIRST).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["name"], "scratch");
    assert_eq!(made["description"], "Clear scratch logs");
    let (status, read) = call(&serve, "GET", &path, &operator, "").await;
    assert_eq!((status, &read["source"]), (200, &json!(FIRST)), "{read}");
    assert_eq!(read["problems"], Value::Null);

    let (status, _) = call(&serve, "PUT", &path, &admin, SECOND).await;
    assert_eq!(status, 200, "replaced");
    let (status, answer) = call(&serve, "PUT", &path, &admin, BROKEN).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(std::fs::read_to_string(&file).expect("file"), SECOND);
    let plan = format!("{path}/run?dry_run=true");
    let (status, report) = call(&serve, "POST", &plan, &operator, "").await;
    assert_eq!(status, 200, "{report}");
    assert!(
        report.to_string().contains("*.tmp"),
        "the new text: {report}"
    );

    let (status, _) = call(&serve, "DELETE", &path, &operator, "").await;
    assert_eq!(status, 403);
    let (status, _) = call(&serve, "DELETE", &path, &admin, "").await;
    assert_eq!(status, 204);
    assert!(!file.exists());
    let (status, answer) = call(&serve, "GET", &path, &admin, "").await;
    assert_eq!(
        (status, &answer["field"]),
        (404, &json!("name")),
        "{answer}"
    );

    let rows = wait_audit(&env, |rows| rows.len() >= 8);
    let seen: Vec<(String, String, u16)> = rows
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.token.clone().unwrap_or_default(),
                r.status,
            )
        })
        .collect();
    let row = |m: &str, t: &str, s| (m.to_owned(), t.to_owned(), s);
    assert_eq!(
        seen,
        [
            row("PUT", "ops", 403),
            row("PUT", "root", 400),
            row("PUT", "root", 201),
            row("PUT", "root", 200),
            row("PUT", "root", 400),
            row("POST", "ops", 200),
            row("DELETE", "ops", 403),
            row("DELETE", "root", 204),
        ]
    );
}
