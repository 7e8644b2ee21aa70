//! The optional model end to end: a chat-completions server written here (axum on
//! 127.0.0.1) stands in for llama.cpp / Ollama / a hosted API, and the real `uc` binary
//! talks to it. What it receives is anonymized (asserted on the request bodies), the key
//! travels only in `Authorization`, an allowlisted proposal runs only once confirmed, one
//! outside the allowlist is refused and never run, and with no model configured nothing
//! is sent at all.

mod common;

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::cli::Env;
use serde_json::{Value, json};

const T: Duration = Duration::from_secs(20);
const KEY_VAR: &str = "UC_TEST_LLM_KEY";
const KEY: &str = "sk-test-9f8e7d6c5b4a39281706";

/// Distinct names, so finding one in a request body can only mean it leaked.
const SERVICES: &str = r#"
  ledgerd:
    command: "exec sleep 3401"
    restart: "no"
  paymentsvc:
    command: "exec sleep 3402"
    depends_on: [ledgerd]
"#;

/// One request as the server got it.
#[derive(Debug, Clone)]
struct Seen {
    authorization: Option<String>,
    body: Value,
}

impl Seen {
    /// Everything sent, as one text: the messages' contents and the model's name.
    fn text(&self) -> String {
        self.body.to_string()
    }
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// What the model answers, chosen by the model's name in the request: `good` proposes one
/// allowlisted command and three that are not; the others fail as their names say.
async fn chat(State(log): State<Log>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    log.lock().expect("log").push(Seen {
        authorization,
        body: body.clone(),
    });
    let content = match body["model"].as_str() {
        Some("unauthorized") => {
            let message = format!("Incorrect API key provided: {KEY}");
            let error = json!({ "error": { "message": message, "type": "invalid_request_error" } });
            return (StatusCode::UNAUTHORIZED, Json(error)).into_response();
        }
        Some("garbage") => return (StatusCode::OK, "<html>hello</html>").into_response(),
        Some("slow") => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            String::new()
        }
        _ => {
            let marker = body["messages"][1]["content"]
                .as_str()
                .unwrap_or_default()
                .contains("findings of `uc doctor`");
            let first = if marker {
                "<service-2> waits for <service-1>, which is down."
            } else {
                "<service-2> cannot reach <ip-2> (v4; <ip-1> is v6); <path-1> shows the timeouts."
            };
            format!(
                "{first}\nRestarting it should help.\n\
                 COMMAND: uc restart <service-2>\n\
                 COMMAND: rm -rf /\n\
                 COMMAND: uc shell <service-2>\n\
                 ```sh\ntouch {PWNED}\n```"
            )
        }
    };
    let answer = json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": content },
                      "finish_reason": "stop" }],
    });
    Json(answer).into_response()
}

/// A file a refused proposal would create if it were ever run.
const PWNED: &str = "/tmp/uc-llm-test-pwned";

/// The server, on its own runtime; dropped with the test.
struct Model {
    log: Log,
    url: String,
    _rt: tokio::runtime::Runtime,
}

impl Model {
    fn start() -> Self {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let log: Log = Arc::default();
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(log.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        rt.spawn(async move { axum::serve(listener, app).await });
        Self { log, url, _rt: rt }
    }

    fn seen(&self) -> Vec<Seen> {
        self.log.lock().expect("log").clone()
    }

    /// The `assistant:` section pointing at this server, asking for `model`.
    fn settings(&self, model: &str) -> String {
        format!(
            "assistant:\n  llm:\n    url: {}\n    model: {model}\n    api_key: \"${{{KEY_VAR}}}\"\n    timeout: 10s\n",
            self.url
        )
    }
}

/// `uc ARGS` with the key in the environment, as a user would export it.
fn run(env: &Env, file: &Path, args: &[&str]) -> Output {
    (env.uc_on(file, args).env(KEY_VAR, KEY))
        .output()
        .expect("run uc")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Nothing private in what the server got; the key only in the header.
fn assert_anonymized(seen: &Seen, env: &Env, private: &[&str]) {
    let sent = seen.text();
    assert_eq!(
        seen.authorization.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    for word in ["ledgerd", "paymentsvc", &env.workspace, KEY]
        .iter()
        .chain(private)
    {
        assert!(!sent.contains(word), "{word:?} was sent: {sent}");
    }
    for placeholder in ["<workspace-1>", "<service-1>", "<service-2>"] {
        assert!(sent.contains(placeholder), "{placeholder} not in {sent}");
    }
    assert!(
        sent.contains("COMMAND: "),
        "the system prompt states the format"
    );
    assert!(
        sent.contains("uc restart <service>"),
        "and the allowlist: {sent}"
    );
}

#[test]
fn ask_explain_sends_placeholders_runs_the_allowlisted_proposal_once_confirmed() {
    let _ = std::fs::remove_file(PWNED);
    let model = Model::start();
    let env = Env::with_settings(SERVICES, &model.settings("good"));
    let file = env.file.clone();
    let up = run(&env, &file, &["up"]);
    assert!(up.status.success(), "{:?}", text(&up));
    let before = env.wait_status(T, |s| Env::service(s, "paymentsvc")["state"] == "running");
    let pid = Env::pid_of(&before, "paymentsvc");

    let log = env.dir.join("data/pay.txt");
    let phrase = format!(
        "paymentsvc keeps timing out on 10.20.30.40 and fe80::1ff:fe23:4567:890a, see {} — my key is {KEY}",
        log.display()
    );
    // No terminal and no --yes: explained, proposals shown, nothing run.
    let out = run(&env, &file, &["ask", "--explain", &phrase]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout
            .contains("paymentsvc cannot reach 10.20.30.40 (v4; fe80::1ff:fe23:4567:890a is v6);"),
        "restored: {stdout}"
    );
    assert!(
        stdout.contains(&format!("{} shows the timeouts", log.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("  uc restart paymentsvc  (restart paymentsvc)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  rm -rf /  REFUSED, never run: not in the allowlist"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  uc shell paymentsvc  REFUSED, never run"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  touch {PWNED}  REFUSED")),
        "{stdout}"
    );
    assert!(
        stdout.contains("I understood: restart service paymentsvc — confirm?"),
        "{stdout}"
    );
    assert!(
        stderr.contains("confirm on a terminal or pass --yes"),
        "{stderr}"
    );
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
    assert_eq!(Env::pid_of(&env.status(), "paymentsvc"), pid, "nothing ran");

    let seen = model.seen();
    assert_eq!(seen.len(), 1);
    assert_anonymized(
        &seen[0],
        &env,
        &[
            "10.20.30.40",
            "fe80::",
            "/data/pay.txt",
            &env.dir.display().to_string(),
        ],
    );
    let sent = seen[0].text();
    assert!(
        sent.contains("Services now: <service-1>: running; <service-2>: running."),
        "the states: {sent}"
    );
    for placeholder in ["<ip-1>", "<ip-2>", "<path-1>", "<secret-1>"] {
        assert!(sent.contains(placeholder), "{placeholder} not in {sent}");
    }
    assert_eq!(seen[0].body["model"], "good");

    // --yes: the allowlisted proposal runs through `uc restart`; the others never do.
    let out = run(&env, &file, &["ask", "--explain", "--yes", &phrase]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let after = env.wait_status(T, |s| {
        Env::service(s, "paymentsvc")["state"] == "running" && Env::pid_of(s, "paymentsvc") != pid
    });
    assert_eq!(
        Env::pid_of(&after, "ledgerd"),
        Env::pid_of(&before, "ledgerd"),
        "only the proposed service restarted"
    );
    assert!(!Path::new(PWNED).exists(), "a refused proposal ran");
    assert_eq!(model.seen().len(), 2);

    // --json: the parser's answer and the model's reply, nothing run.
    let out = run(&env, &file, &["ask", "--explain", "--json", &phrase]);
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let proposals = json["model"]["proposals"].as_array().expect("proposals");
    assert_eq!(proposals[0]["verdict"], "allowed");
    assert_eq!(proposals[0]["intent"]["intent"], "restart");
    assert_eq!(proposals[0]["intent"]["service"], "paymentsvc");
    assert_eq!(proposals[1]["verdict"], "refused");
    assert_eq!(proposals[1]["command"], "rm -rf /");
    assert_eq!(model.seen().len(), 3);

    // `--json` alone only reads, even a sentence the parser does not understand.
    let out = run(&env, &file, &["ask", "--json", "make me a sandwich"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(model.seen().len(), 3, "nothing sent");
    // Understood offline: no need to ask.
    let out = run(&env, &file, &["ask", "paymentsvc 的状态"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(model.seen().len(), 3, "nothing sent");
    // Not understood, with a model configured: the model is asked without --explain.
    let out = run(&env, &file, &["ask", "make me a sandwich"]);
    assert!(text(&out).0.contains("The model says:"), "{:?}", text(&out));
    assert_eq!(model.seen().len(), 4);

    // The key is shown by its reference, and stored nowhere in the state dir.
    let render = run(&env, &file, &["config", "render"]);
    let (rendered, _) = text(&render);
    assert!(
        rendered.contains(&format!("api_key: \"${{{KEY_VAR}}}\"")),
        "{rendered}"
    );
    assert!(!rendered.contains(KEY));
    for stored in files_under(&env.state) {
        let bytes = std::fs::read(&stored).unwrap_or_default();
        let found = bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes());
        assert!(!found, "the key is stored in {}", stored.display());
    }
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => files.extend(files_under(&path)),
            Ok(t) if t.is_file() => files.push(path),
            _ => {}
        }
    }
    files
}

#[test]
fn doctor_explain_sends_the_findings_anonymized() {
    let model = Model::start();
    let env = Env::with_settings(SERVICES, &model.settings("good"));
    let file = env.file.clone();
    assert!(run(&env, &file, &["up"]).status.success());
    let status = env.wait_status(T, |s| Env::service(s, "paymentsvc")["state"] == "running");
    let ledgerd = Env::pid_of(&status, "ledgerd");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(ledgerd as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill ledgerd");
    env.wait_status(T, |s| Env::service(s, "ledgerd")["state"] != "running");
    // Wait for the finding itself, with no model involved.
    let start = std::time::Instant::now();
    while !String::from_utf8_lossy(&run(&env, &file, &["doctor"]).stdout).contains("ledgerd") {
        assert!(start.elapsed() < T, "no finding about ledgerd");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(model.seen().is_empty(), "plain `uc doctor` sends nothing");

    let out = run(&env, &file, &["doctor", "--explain"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "critical, as uc doctor: {stdout}{stderr}"
    );
    assert!(
        stdout.contains("paymentsvc depends on ledgerd"),
        "the findings: {stdout}"
    );
    assert!(
        stdout.contains("paymentsvc waits for ledgerd, which is down."),
        "the model's words, restored: {stdout}"
    );
    assert!(stdout.contains("  rm -rf /  REFUSED"), "{stdout}");
    let seen = model.seen();
    assert_eq!(seen.len(), 1);
    assert_anonymized(&seen[0], &env, &[&env.dir.display().to_string()]);
    assert!(
        seen[0].text().contains("dependency_down"),
        "the findings were sent"
    );
    assert_eq!(
        Env::pid_of(&env.status(), "paymentsvc"),
        Env::pid_of(&status, "paymentsvc"),
        "doctor --explain shows proposals, never runs them"
    );
}

#[test]
fn without_a_model_nothing_is_sent() {
    let model = Model::start();
    let env = Env::new(SERVICES);
    let file = env.file.clone();
    let out = run(&env, &file, &["ask", "make me a sandwich"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).0.contains("I did not understand"));
    for args in [
        &["ask", "--explain", "restart paymentsvc"][..],
        &["doctor", "--explain"],
    ] {
        let out = run(&env, &file, args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("no model is configured, and nothing was sent"),
            "{stderr}"
        );
        assert!(
            stderr.contains("assistant:\n    llm:"),
            "how to configure one: {stderr}"
        );
    }
    assert_eq!(model.seen().len(), 0, "the server saw no request");
}

#[test]
fn the_models_failures_are_told_plainly_without_the_key() {
    let model = Model::start();
    let env = Env::new(SERVICES);
    let cases = [
        (
            "unauthorized",
            model.settings("unauthorized"),
            "answered HTTP 401: Incorrect API key provided: ***",
        ),
        (
            "garbage",
            model.settings("garbage"),
            "the model's answer is not a chat completion",
        ),
        (
            "slow",
            model
                .settings("slow")
                .replace("timeout: 10s", "timeout: 1s"),
            "the model at {URL}/chat/completions did not answer within 1s",
        ),
        (
            "closed",
            model
                .settings("good")
                .replace(&model.url, "http://127.0.0.1:9/v1"),
            "cannot reach the model at http://127.0.0.1:9/v1/chat/completions",
        ),
    ];
    for (name, settings, expected) in cases {
        let file = env.dir.join(format!("{name}.yaml"));
        let yaml = format!("workspace: {name}\nservices:\n{SERVICES}\n{settings}");
        std::fs::write(&file, yaml).expect("write");
        let out = run(&env, &file, &["ask", "--explain", "restart paymentsvc"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {stdout}{stderr}");
        let expected = expected.replace("{URL}", &model.url);
        assert!(stderr.contains(&expected), "{name}: {stderr}");
        assert!(
            !stderr.contains(KEY) && !stdout.contains(KEY),
            "{name}: the key was shown"
        );
    }
    assert_eq!(model.seen().len(), 3);
}

#[test]
fn a_key_written_in_the_file_and_bad_values_are_refused_where_they_are() {
    let env = Env::with_settings(
        SERVICES,
        "assistant:\n  llm:\n    url: ftp://models\n    model: \"\"\n    api_key: sk-written-in-the-file\n    timeout: 0s\n",
    );
    let out = env.run(&["config", "check"]);
    let (stdout, stderr) = text(&out);
    let all = stdout + &stderr;
    assert_eq!(out.status.code(), Some(2), "{all}");
    for expected in [
        "univers.yaml:13:10: invalid LLM URL `ftp://models`",
        "univers.yaml:14:12: the model is empty",
        "univers.yaml:15:14: an API key must not be written in the file",
        "univers.yaml:16:14: a timeout of 0 never waits",
    ] {
        assert!(all.contains(expected), "{expected:?} not in:\n{all}");
    }
}

#[test]
fn a_key_from_an_unset_variable_with_an_empty_default_sends_none() {
    let model = Model::start();
    let settings = model
        .settings("good")
        .replace(&format!("${{{KEY_VAR}}}"), "${UC_TEST_LLM_UNSET:-}");
    let env = Env::with_settings(SERVICES, &settings);
    let out = env.run(&["ask", "--explain", "--json", "restart paymentsvc"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let seen = model.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].authorization, None, "no key, no header");
}

#[test]
fn an_understood_sentence_runs_as_read_and_the_proposals_are_advice() {
    let model = Model::start();
    let env = Env::with_settings(SERVICES, &model.settings("good"));
    let file = env.file.clone();
    assert!(run(&env, &file, &["up"]).status.success());
    let before = env.wait_status(T, |s| Env::service(s, "ledgerd")["state"] == "running");
    // The parser reads "restart ledgerd"; the model proposes restarting paymentsvc.
    let out = run(
        &env,
        &file,
        &["ask", "--explain", "--yes", "restart ledgerd"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("  uc restart paymentsvc  (restart paymentsvc)"),
        "{stdout}"
    );
    let after = env.wait_status(T, |s| {
        Env::service(s, "ledgerd")["state"] == "running"
            && Env::pid_of(s, "ledgerd") != Env::pid_of(&before, "ledgerd")
    });
    assert_eq!(
        Env::pid_of(&after, "paymentsvc"),
        Env::pid_of(&before, "paymentsvc"),
        "the model's proposal did not run: {stdout}"
    );
    assert_eq!(model.seen().len(), 1);
}
