//! Shipping the audit log: each record of the workspace — the CLI's, the TUI's, and the
//! API's through `uc serve` — goes through the durable webhooks outbox to a webhook (signed
//! JSON) and to a Loki push URL in Loki's push format, labelled workspace, actor and
//! action. Both receivers are down first (the webhook answers 503, nothing listens on
//! Loki's port); every record arrives once they are up, once, with no token in it.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use common::cli::Env;
use common::receivers::{HttpReceiver, free_port};
use common::serve::{Body, Serve, token};
use serde_json::Value;

const SERVICES: &str = "  idle:\n    command: sleep 1000\n";
const HOOK_SECRET: &str = "whsec_YXVkaXQtaG9vay1rZXktMDE=";
const T: Duration = Duration::from_secs(20);

/// One log line as Loki stored it: its stream's labels, its time and the line.
#[derive(Debug, Clone)]
struct Entry {
    labels: Value,
    ns: String,
    line: Value,
}

/// Stands in for Loki's `POST /loki/api/v1/push`: JSON only, every stream with string
/// labels and `[ns, line]` string pairs (400 otherwise, as Loki answers), 204 when taken.
struct Loki {
    entries: Arc<Mutex<Vec<Entry>>>,
}

impl Loki {
    async fn start_on(addr: SocketAddr) -> Self {
        let entries: Arc<Mutex<Vec<Entry>>> = Arc::default();
        let kept = Arc::clone(&entries);
        let push = move |headers: HeaderMap, Json(body): Json<Value>| {
            let kept = Arc::clone(&kept);
            async move {
                let json = headers
                    .get("content-type")
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
                match (json, parse_push(&body)) {
                    (true, Some(new)) => {
                        kept.lock().unwrap().extend(new);
                        StatusCode::NO_CONTENT
                    }
                    _ => StatusCode::BAD_REQUEST,
                }
            }
        };
        let app = axum::Router::new().route("/loki/api/v1/push", axum::routing::post(push));
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { entries }
    }

    fn entries(&self) -> Vec<Entry> {
        self.entries.lock().unwrap().clone()
    }
}

fn parse_push(body: &Value) -> Option<Vec<Entry>> {
    let mut out = Vec::new();
    for stream in body["streams"].as_array()? {
        let labels = stream["stream"].as_object()?;
        if labels.values().any(|v| !v.is_string()) {
            return None;
        }
        for value in stream["values"].as_array()? {
            let [ns, line] = value.as_array()?.as_slice() else {
                return None;
            };
            ns.as_str()?.parse::<u128>().ok()?;
            out.push(Entry {
                labels: stream["stream"].clone(),
                ns: ns.as_str()?.to_owned(),
                line: serde_json::from_str(line.as_str()?).ok()?,
            });
        }
    }
    Some(out)
}

fn workspace(hook_url: &str, loki_url: &str) -> Env {
    let settings = format!(
        "webhooks:\n  outgoing:\n    \
         audit: {{ url: \"{hook_url}\", events: [audit.record], secret: \"${{secret:hook}}\" }}\n    \
         loki: {{ url: \"{loki_url}\", events: [audit.record], secret: \"${{secret:hook}}\", format: loki }}\n"
    );
    let env = Env::with_settings(SERVICES, &settings);
    let secrets = env.dir.join("configs/secrets.yaml");
    std::fs::create_dir_all(secrets.parent().expect("dir")).expect("configs");
    std::fs::write(&secrets, format!("hook: {HOOK_SECRET}\n")).expect("secrets");
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    env
}

/// `(actor, via, action)` of the workspace's records, as `uc audit` shows them.
fn recorded(env: &Env) -> BTreeSet<(String, String, String)> {
    let out = env.ok(&["audit", "--json", "--workspace", &env.workspace]);
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a record"))
        .map(|r| key(&r))
        .collect()
}

fn key(r: &Value) -> (String, String, String) {
    let field = |k: &str| r[k].as_str().unwrap_or("").to_owned();
    (field("actor"), field("via"), field("action"))
}

async fn eventually_async(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_reach_a_webhook_and_loki_after_both_were_down() {
    let hook = HttpReceiver::start().await;
    hook.set_down(true);
    let loki_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let loki_url = format!("http://{loki_addr}/loki/api/v1/push");
    let env = workspace(&hook.url("/audit"), &loki_url);
    env.ok(&["up"]);
    env.ok(&["down", "idle"]);
    let ops = token(&env, "ops", "admin", &[]);
    let serve = Serve::start(&env, &[]);
    let start = serde_json::json!({"command": "start", "services": ["idle"]});
    let (status, answer) = serve
        .call_json("POST", "/api/v1/commands", &ops, Body::Json(&start))
        .await;
    assert_eq!(status, 200, "{answer}");
    let want = recorded(&env);
    let api = (
        "ops".into(),
        "api".into(),
        "POST /api/v1/commands start".into(),
    );
    assert!(want.contains(&api), "{want:?}");

    // Down: tried, refused, retried.
    let retried = eventually_async(T, || hook.requests().len() >= 2).await;
    assert!(retried, "no retry while the webhook was down");
    assert!(hook.accepted().is_empty());
    hook.set_down(false);
    let loki = Loki::start_on(loki_addr).await;

    let all_there = eventually_async(Duration::from_secs(90), || {
        let hooked: BTreeSet<_> = hook
            .accepted()
            .iter()
            .map(|r| key(&r.json()["data"]))
            .collect();
        let pushed: BTreeSet<_> = loki.entries().iter().map(|e| key(&e.line)).collect();
        hooked == want && pushed == want
    })
    .await;
    let hooked: Vec<Value> = hook.accepted().iter().map(|r| r.json()).collect();
    let entries = loki.entries();
    assert!(
        all_there,
        "want {want:#?}\nwebhook got {hooked:#?}\nloki got {entries:#?}"
    );

    // Each once: a record is one delivery, sent until taken.
    assert_eq!(hooked.len(), want.len(), "{hooked:#?}");
    assert_eq!(entries.len(), want.len(), "{entries:#?}");
    for payload in &hooked {
        assert_eq!(payload["type"], "audit.record");
        assert_eq!(payload["workspace"], env.workspace.as_str());
    }
    let by_api = entries
        .iter()
        .find(|e| key(&e.line) == api)
        .expect("the API's");
    assert_eq!(
        by_api.labels,
        serde_json::json!({
            "workspace": env.workspace,
            "actor": "ops",
            "action": "POST /api/v1/commands start",
        })
    );
    let at_ms = by_api.ns.parse::<u128>().unwrap() / 1_000_000;
    let time = by_api.line["time"].as_str().unwrap();
    let stamped = chrono::DateTime::parse_from_rfc3339(time)
        .unwrap()
        .timestamp_millis();
    assert_eq!(at_ms, stamped as u128);

    // Signed like every outgoing delivery, and no token anywhere.
    let signed = hook
        .accepted()
        .iter()
        .all(|r| r.header("webhook-signature").is_some());
    assert!(signed);
    for request in hook.requests() {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        assert!(
            !body.contains(&ops) && !body.contains(HOOK_SECRET),
            "{body}"
        );
    }
    for entry in &entries {
        let line = entry.line.to_string();
        assert!(
            !line.contains(&ops) && !line.contains(HOOK_SECRET),
            "{line}"
        );
    }

    // A new record goes out at once, the receivers being up.
    env.ok(&["restart", "idle"]);
    let restart = |v: &Value| v["action"] == "POST /api/v1/commands restart";
    let live = eventually_async(T, || {
        hook.accepted().iter().any(|r| restart(&r.json()["data"]))
            && loki.entries().iter().any(|e| restart(&e.line))
    })
    .await;
    assert!(live, "the restart was not shipped");
}

#[test]
fn a_loki_subscription_takes_audit_records_only_and_names_the_place() {
    let env = workspace(
        "http://127.0.0.1:1/hook",
        "http://127.0.0.1:1/loki/api/v1/push",
    );
    let bad = "webhooks:\n  outgoing:\n    loki:\n      url: http://127.0.0.1:1/loki/api/v1/push\n      \
               events: [audit.record, service.state]\n      secret: \"${secret:hook}\"\n      \
               format: loki\n    other:\n      url: http://127.0.0.1:1/x\n      events: [audit.*]\n      \
               secret: \"${secret:hook}\"\n      format: graylog\n";
    let file = std::fs::read_to_string(&env.file).expect("univers.yaml");
    let cut = file.find("webhooks:").expect("the webhooks section");
    std::fs::write(&env.file, format!("{}{bad}", &file[..cut])).expect("write");
    let out = env.run(&["config", "check"]);
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let line_of = |needle: &str| {
        let text = std::fs::read_to_string(&env.file).unwrap();
        text.lines().position(|l| l.contains(needle)).unwrap() + 1
    };
    for expected in [
        format!(
            "univers.yaml:{}:30: a `loki` subscription ships audit records, not `service.state`",
            line_of("events: [audit.record, service.state]")
        ),
        format!(
            "univers.yaml:{}:15: unknown delivery format `graylog`",
            line_of("format: graylog")
        ),
    ] {
        assert!(text.contains(&expected), "{expected:?} not in:\n{text}");
    }
}
