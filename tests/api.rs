//! The engine's REST routes over its Unix socket, against a real engine in tmux: status
//! codes, shapes, actions visible in `uc status`, errors naming the field, unknown names
//! (404) and names that could climb out of a directory (400).

mod common;

use std::time::Duration;

use common::cli::Env;
use common::http::Socket;

const T: Duration = Duration::from_secs(20);

const SERVICES: &str = r#"
  api:
    command: "exec sleep 3101"
  web:
    command: "exec sleep 3102"
    tags: [front]
  talker:
    command: "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.05; done"
"#;

fn up(env: &Env) -> Socket {
    env.ok(&["up", "api"]);
    Socket::of(&env.state, &env.workspace)
}

fn state_of(env: &Env, name: &str) -> String {
    Env::service(&env.status(), name)["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn wait_state(env: &Env, name: &str, state: &str) {
    env.wait_status(T, |s| Env::service(s, name)["state"] == state);
}

#[test]
fn services_start_stop_restart_and_read() {
    let env = Env::new(SERVICES);
    let api = up(&env);

    let all = api.get("/api/v1/services");
    assert_eq!(all.status, 200, "{:?}", all.body);
    let names: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api", "web", "talker"]);
    let one = api.get("/api/v1/services/api");
    assert_eq!((one.status, one.body["name"].as_str()), (200, Some("api")));
    assert_eq!(one.body["state"], "running");

    // The seed's bulk routes, by tag and by name; the effect shows in `uc status`.
    let started = api.post("/api/v1/services/start", r#"{"tags":["front"]}"#);
    assert_eq!(started.status, 200, "{:?}", started.body);
    assert_eq!(started.body["services"], serde_json::json!(["web"]));
    wait_state(&env, "web", "running");
    let stopped = api.post("/api/v1/services/stop", r#"{"names":["web"]}"#);
    assert_eq!(stopped.status, 200, "{:?}", stopped.body);
    wait_state(&env, "web", "stopped");

    // One service's routes.
    let pid = Env::pid_of(&env.status(), "api");
    assert_eq!(api.post("/api/v1/services/api/restart", "").status, 200);
    env.wait_status(T, |s| {
        Env::service(s, "api")["pid"]
            .as_u64()
            .is_some_and(|p| p != u64::from(pid))
    });
    assert_eq!(api.post("/api/v1/services/api/stop", "").status, 200);
    wait_state(&env, "api", "stopped");
    assert_eq!(api.post("/api/v1/services/api/start", "").status, 200);
    wait_state(&env, "api", "running");
}

#[test]
fn bad_requests_name_the_field_and_unknown_names_are_404() {
    let env = Env::new(SERVICES);
    let api = up(&env);
    let cases = [
        ("/api/v1/services/stop", r#"{"names":[]}"#, 400, "names"),
        ("/api/v1/services/stop", "{}", 400, "names"),
        ("/api/v1/services/stop", r#"{"tags":[]}"#, 400, "tags"),
        (
            "/api/v1/services/start",
            r#"{"names":["api"],"tags":["front"]}"#,
            400,
            "tags",
        ),
        (
            "/api/v1/services/start",
            r#"{"names":["api",7]}"#,
            400,
            "names[1]",
        ),
        (
            "/api/v1/services/start",
            r#"{"names":["api","nope"]}"#,
            404,
            "names[1]",
        ),
        (
            "/api/v1/services/start",
            r#"{"names":["../etc"]}"#,
            400,
            "names[0]",
        ),
        (
            "/api/v1/services/start",
            r#"{"tags":["none"]}"#,
            404,
            "tags[0]",
        ),
        ("/api/v1/services/start", "not json", 400, "body"),
        ("/api/v1/services/nope/restart", "", 404, "name"),
        ("/api/v1/services/..%2F..%2Fetc/start", "", 400, "name"),
        ("/api/v1/services/a%00b/stop", "", 400, "name"),
        (
            "/api/v1/commands",
            r#"{"command":"start","services":["a",7]}"#,
            400,
            "services[1]",
        ),
    ];
    for (path, body, status, field) in cases {
        let answer = api.post(path, body);
        assert_eq!(answer.status, status, "{path} {body}: {:?}", answer.body);
        assert_eq!(
            answer.field(),
            Some(field),
            "{path} {body}: {:?}",
            answer.body
        );
        assert!(answer.body["error"].is_string(), "{:?}", answer.body);
        assert!(answer.body.get("message").is_none(), "{:?}", answer.body);
    }
    let unknown = api.post("/api/v1/services/start", r#"{"names":["nope"]}"#);
    assert!(unknown.body["error"].as_str().unwrap().contains("nope"));
    assert!(
        unknown.body["hint"]
            .as_str()
            .unwrap()
            .contains("api, web, talker")
    );
    let one = api.get("/api/v1/services/nope");
    assert_eq!((one.status, one.field()), (404, Some("name")));
    let traversal = api.get("/api/v1/services/..");
    assert_eq!((traversal.status, traversal.field()), (400, Some("name")));
    let huge = api.post("/api/v1/config/validate", &"#".repeat(3 << 20));
    assert_eq!(
        (huge.status, huge.field()),
        (413, Some("body")),
        "{:?}",
        huge.body
    );
    let route = api.get("/api/v1/nothing");
    assert_eq!(route.status, 404);
    assert_eq!(route.body["error"], "no such route");
    assert_eq!(state_of(&env, "web"), "stopped", "nothing was started");
}

#[test]
fn metrics_logs_alerts_silences_and_heal() {
    let env = Env::with_settings(SERVICES, "metrics: { interval: 200ms }\n");
    env.tidy_playbook();
    let api = up(&env);
    assert!(
        common::eventually(T, || api.get("/api/v1/metrics").status == 200),
        "a first sample"
    );
    let sample = api.get("/api/v1/metrics").body;
    assert!(sample["host"].is_object(), "{sample}");
    assert_eq!(api.get("/api/v1/metrics/history?since=60").status, 200);
    let bad = api.get("/api/v1/metrics/history?since=60&series=nope");
    assert_eq!((bad.status, bad.field()), (400, Some("series")));

    assert_eq!(api.post("/api/v1/services/talker/start", "").status, 200);
    assert!(common::eventually(T, || {
        let lines = api.get("/api/v1/logs?sources=talker&limit=5").body;
        lines.as_array().is_some_and(|l| l.len() == 5)
    }));
    let level = api.get("/api/v1/logs?level=loud");
    assert_eq!((level.status, level.field()), (400, Some("level")));
    assert_eq!(api.get("/api/v1/logs/patterns").status, 200);
    assert_eq!(api.get("/api/v1/logs/stats?since=60").status, 200);

    let alerts = api.get("/api/v1/alerts");
    assert!(alerts.body.is_array(), "{:?}", alerts.body);
    assert_eq!(api.get("/api/v1/alerts/history?since=60").status, 200);
    let created = api.post(
        "/api/v1/silences",
        r#"{"matchers":["service=api"],"for":"1h","comment":"deploy"}"#,
    );
    assert_eq!(created.status, 200, "{:?}", created.body);
    let silences = api.get("/api/v1/silences").body;
    let id = silences[0]["id"].as_str().expect("a silence").to_owned();
    assert_eq!(silences[0]["created_by"], "api");
    let expired = api.request("DELETE", &format!("/api/v1/silences/{id}"), "");
    assert_eq!(expired.status, 200, "{:?}", expired.body);
    assert!(common::eventually(T, || api.get("/api/v1/silences").body
        == serde_json::json!([])));
    let bad = api.post(
        "/api/v1/silences",
        r#"{"matchers":["service=api","oops"],"for":"1h"}"#,
    );
    assert_eq!((bad.status, bad.field()), (400, Some("matchers[1]")));
    let bad = api.post("/api/v1/silences", r#"{"matchers":["a=b"],"for":"soon"}"#);
    assert_eq!((bad.status, bad.field()), (400, Some("for")));
    let ack = api.post("/api/v1/alerts/abc123/ack", "");
    assert_eq!(ack.status, 404, "{:?}", ack.body);

    assert_eq!(api.get("/api/v1/heal/events").status, 200);
    let playbooks = api.get("/api/v1/heal/playbooks");
    assert_eq!(playbooks.status, 200);
    assert!(
        playbooks.body.to_string().contains("tidy"),
        "{:?}",
        playbooks.body
    );
    let dry = api.post("/api/v1/heal/playbooks/tidy/run?dry_run=true", "");
    assert_eq!(dry.status, 200, "{:?}", dry.body);
    let climb = api.post("/api/v1/heal/playbooks/..%2Ftidy/run", "");
    assert_eq!((climb.status, climb.field()), (400, Some("name")));
}

#[test]
fn environments_and_config_routes() {
    let env = Env::with_settings(SERVICES, "environments: [dev, prod]\n");
    let api = up(&env);
    let envs = api.get("/api/v1/environments").body;
    assert_eq!(
        envs["environments"].as_array().map(Vec::len),
        Some(2),
        "{envs}"
    );
    assert_eq!(api.get("/api/v1/environments/prod/plan").status, 200);
    let unknown = api.get("/api/v1/environments/nope/plan");
    assert_eq!(unknown.status, 404, "{:?}", unknown.body);
    let switched = api.post("/api/v1/environments/prod/switch", "");
    assert_eq!(switched.status, 200, "{:?}", switched.body);
    assert!(common::eventually(T, || env.status()["environment"] == "prod"));

    let text = std::fs::read_to_string(&env.file).unwrap();
    let with = |service: &str| text.replacen("services:\n", &format!("services:\n{service}"), 1);
    let broken = with("  extra:\n    comand: x\n");
    let refused = api.post("/api/v1/config/validate", &broken);
    assert_eq!((refused.status, refused.field()), (400, Some("body")));
    let hint = refused.body["hint"].as_str().unwrap();
    assert!(
        hint.contains("univers.yaml:") && hint.contains("comand"),
        "{hint}"
    );
    assert_eq!(
        api.post("/api/v1/config/validate", &text).body["valid"],
        true
    );

    // A text that does not load never replaces the running config, nor the file.
    let refused = api.post("/api/v1/config", &broken);
    assert_eq!((refused.status, refused.field()), (400, Some("body")));
    assert_eq!(std::fs::read_to_string(&env.file).unwrap(), text);
    let grown = with("  extra:\n    command: \"exec sleep 3103\"\n");
    let applied = api.post("/api/v1/config", &grown);
    assert_eq!(applied.status, 200, "{:?}", applied.body);
    assert_eq!(std::fs::read_to_string(&env.file).unwrap(), grown);
    env.wait_status(T, |s| {
        s["services"]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["name"] == "extra"))
    });

    let history = api.get("/api/v1/config/history").body;
    let first = history
        .as_array()
        .and_then(|h| h.last())
        .expect("revisions")["id"]
        .as_u64()
        .unwrap();
    assert_eq!(
        api.get(&format!("/api/v1/config/revisions/{first}")).status,
        200
    );
    assert_eq!(
        api.get(&format!("/api/v1/config/diff?from={first}")).status,
        200
    );
    assert_eq!(api.get("/api/v1/config/plan?environment=dev").status, 200);
    let rendered = api.get("/api/v1/config/render?environment=dev").body;
    assert_eq!(rendered["environment"], "dev", "{rendered}");
    assert!(
        rendered["text"].as_str().unwrap().contains("extra:"),
        "{rendered}"
    );
    let unknown = api.get("/api/v1/config/render?environment=nope");
    assert_eq!(unknown.status, 404, "{:?}", unknown.body);
    let reverted = api.post(&format!("/api/v1/config/revisions/{first}/revert"), "");
    assert_eq!(reverted.status, 200, "{:?}", reverted.body);
    let missing = api.post("/api/v1/config/revisions/999/revert", "");
    assert_eq!(missing.status, 404, "{:?}", missing.body);
    let nothing = api.post("/api/v1/config/apply", r#"{"hash":"nope"}"#);
    assert_eq!((nothing.status, nothing.field()), (400, Some("hash")));
}
