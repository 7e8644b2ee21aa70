//! The real `uc serve` on a free loopback port over an [`Env`]'s state dir, killed when
//! dropped, and the tokens it accepts.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cli::Env;
use super::receivers::free_port;

/// What a request sends besides its bearer token.
pub enum Body<'a> {
    None,
    Json(&'a Value),
    /// A content type and the text.
    Text(&'a str, &'a str),
}

pub struct Serve {
    child: Child,
    pub port: u16,
    pub scheme: &'static str,
}

impl Serve {
    /// `uc serve --listen 127.0.0.1:<free port> ARGS`, answering `/api/v1/health`.
    pub fn start(env: &Env, args: &[&str]) -> Self {
        let port = free_port();
        let scheme = if args.contains(&"--tls-cert") {
            "https"
        } else {
            "http"
        };
        let child = Self::command(env, &format!("127.0.0.1:{port}"), args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start uc serve");
        let serve = Self {
            child,
            port,
            scheme,
        };
        serve.wait_listening();
        serve
    }

    /// `uc serve` over HTTPS with a fresh self-signed certificate for 127.0.0.1, and a client
    /// that trusts it.
    pub fn start_tls(env: &Env) -> (Self, reqwest::Client) {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("cert");
        let (cert_file, key_file) = (env.dir.join("cert.pem"), env.dir.join("key.pem"));
        std::fs::write(&cert_file, cert.cert.pem()).expect("cert file");
        std::fs::write(&key_file, cert.signing_key.serialize_pem()).expect("key file");
        let (cert_arg, key_arg) = (
            cert_file.display().to_string(),
            key_file.display().to_string(),
        );
        let serve = Self::start(env, &["--tls-cert", &cert_arg, "--tls-key", &key_arg]);
        let trusted = reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).expect("pem");
        let https = reqwest::Client::builder()
            .add_root_certificate(trusted)
            .build()
            .expect("client");
        (serve, https)
    }

    pub fn command(env: &Env, listen: &str, args: &[&str]) -> Command {
        let mut cmd = env.uc(&["serve", "--listen", listen]);
        cmd.args(args);
        cmd
    }

    /// `METHOD path` with `token` as its bearer: the status and the answer's text.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Body<'_>,
    ) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(token)
            .timeout(Duration::from_secs(10));
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Text(kind, text) => request.header("content-type", kind).body(text.to_owned()),
        };
        let response = request.send().await.expect("answer");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// Like [`Serve::call`], the answer read as JSON (null when it is not).
    pub async fn call_json(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Body<'_>,
    ) -> (u16, Value) {
        let (status, text) = self.call(method, path, token, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    fn wait_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "uc serve did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `uc token create --name NAME --role ROLE EXTRA`: the token it printed.
pub fn token(env: &Env, name: &str, role: &str, extra: &[&str]) -> String {
    let mut args = vec!["token", "create", "--name", name, "--role", role];
    args.extend_from_slice(extra);
    let token = env.ok(&args).trim().to_owned();
    assert!(token.starts_with("uc_") && token.len() == 67, "{token}");
    token
}

/// One line of `uc serve`'s `audit.jsonl`, in the fields these tests check.
#[derive(Debug, Clone)]
pub struct Row {
    pub actor: String,
    /// The token's name, when one was used.
    pub token: Option<String>,
    /// The client's address; `cli` for `uc token`'s own lines.
    pub source: String,
    pub via: String,
    pub workspace: Option<String>,
    /// `CLI` for `uc token`'s own lines.
    pub method: String,
    pub route: String,
    pub target: Option<String>,
    pub status: u16,
    /// `ok`, or `denied: why`.
    pub outcome: String,
}

impl From<univers_container::store::AuditRecord> for Row {
    fn from(r: univers_container::store::AuditRecord) -> Self {
        let (method, route) = match (&r.source, r.action.split_once(' ')) {
            (Some(_), Some((method, rest))) => {
                let route = rest.split(' ').next().unwrap_or(rest);
                (method.to_owned(), route.to_owned())
            }
            _ => ("CLI".to_owned(), r.action.clone()),
        };
        let token = (r.actor != "-" && r.source.is_some()).then(|| r.actor.clone());
        let outcome = match &r.reason {
            Some(why) => format!("{}: {why}", r.outcome),
            None => r.outcome.clone(),
        };
        Self {
            token,
            source: r.source.clone().unwrap_or_else(|| r.via.clone()),
            via: r.via,
            actor: r.actor,
            workspace: r.workspace,
            method,
            route,
            target: r.target,
            status: r.status.unwrap_or(200),
            outcome,
        }
    }
}

/// Every line of `uc serve`'s audit log: the API's and the CLI's token changes.
pub fn serve_audit(env: &Env) -> Vec<Row> {
    let file = env.state.join(".serve/audit.jsonl");
    match univers_container::store::audit::chain::read(&file) {
        Ok(records) => records.into_iter().map(Row::from).collect(),
        Err(_) => Vec::new(),
    }
}

/// Waits until `pred` holds for the API's rows of the audit log; answers them.
pub fn wait_audit(env: &Env, pred: impl Fn(&[Row]) -> bool) -> Vec<Row> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut rows = serve_audit(env);
        rows.retain(|r| r.source != "cli");
        if pred(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "audit never matched: {rows:#?}");
        std::thread::sleep(Duration::from_millis(25));
    }
}
