//! Real receivers for notification tests, all on 127.0.0.1: an HTTP server standing in for
//! Slack and webhooks, an SMTP server, and Prometheus' own Alertmanager.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One request as the HTTP receiver got it, and what it answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    /// The exact bytes, for signature checks.
    pub body: Vec<u8>,
    pub status: u16,
    pub at: Instant,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// How the HTTP receiver answers.
#[derive(Debug, Default)]
struct Plan {
    /// Answer `fail_status` to this many more requests.
    failures_left: u32,
    fail_status: u16,
    retry_after: Option<u64>,
    /// Answer 503 to everything.
    down: bool,
}

#[derive(Default)]
struct HttpState {
    requests: Mutex<Vec<Received>>,
    plan: Mutex<Plan>,
}

/// An HTTP server that records every request and answers 200, or fails as told.
pub struct HttpReceiver {
    pub addr: SocketAddr,
    state: Arc<HttpState>,
    task: JoinHandle<()>,
}

impl HttpReceiver {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Listening on `port` of 127.0.0.1 (0: any free port).
    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(HttpState::default());
        let handler_state = Arc::clone(&state);
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = Arc::clone(&handler_state);
                async move { answer(&state, method, uri, headers, body) }
            },
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answer HTTP 500 to the next `n` requests.
    pub fn fail_first(&self, n: u32) {
        self.fail_with(n, 500, None);
    }

    /// Answer `status` (with `Retry-After: retry_after` seconds) to the next `n` requests.
    pub fn fail_with(&self, n: u32, status: u16, retry_after: Option<u64>) {
        let mut plan = self.state.plan.lock().expect("lock");
        plan.failures_left = n;
        plan.fail_status = status;
        plan.retry_after = retry_after;
    }

    /// While down, every request gets HTTP 503.
    pub fn set_down(&self, down: bool) {
        self.state.plan.lock().expect("lock").down = down;
    }

    /// Every request so far, failed ones included.
    pub fn requests(&self) -> Vec<Received> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// The requests answered with a 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.requests()
            .into_iter()
            .filter(Received::accepted)
            .collect()
    }

    /// Waits until `n` requests were accepted; panics after `timeout`.
    pub async fn wait_accepted(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let accepted = self.accepted();
            if accepted.len() >= n {
                return accepted;
            }
            assert!(
                start.elapsed() < timeout,
                "{} of {n} requests accepted after {timeout:?}: {:?}",
                accepted.len(),
                self.requests().iter().map(|r| r.status).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(
    state: &HttpState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (status, retry_after) = {
        let mut plan = state.plan.lock().expect("lock");
        if plan.down {
            (503, None)
        } else if plan.failures_left > 0 {
            plan.failures_left -= 1;
            (plan.fail_status, plan.retry_after)
        } else {
            (200, None)
        }
    };
    state.requests.lock().expect("lock").push(Received {
        method,
        path: uri.path().to_owned(),
        headers,
        body: body.to_vec(),
        status,
        at: Instant::now(),
    });
    let code = StatusCode::from_u16(status).expect("status");
    let mut response = (
        code,
        if status == 200 {
            "ok"
        } else {
            "failing on purpose"
        },
    )
        .into_response();
    if let Some(secs) = retry_after {
        let value = HeaderValue::from_str(&secs.to_string()).expect("header");
        response.headers_mut().insert("retry-after", value);
    }
    response
}

/// One message as the SMTP receiver got it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA (headers, blank line, body), dot-unstuffed.
    pub data: String,
    /// The `AUTH PLAIN` token (base64), if the client authenticated.
    pub auth: Option<String>,
}

impl Mail {
    /// A header's value, unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    pub fn body(&self) -> String {
        self.data
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.replace("\r\n", "\n"))
            .unwrap_or_default()
    }
}

/// A minimal SMTP server (no TLS; `tls: none` channels): EHLO, AUTH PLAIN, MAIL, RCPT,
/// DATA, RSET, NOOP, QUIT.
pub struct SmtpReceiver {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    task: JoinHandle<()>,
}

impl SmtpReceiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&mails);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, Arc::clone(&sink)));
            }
        });
        Self { addr, mails, task }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("lock").clone()
    }

    pub async fn wait_mails(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        let start = Instant::now();
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                start.elapsed() < timeout,
                "{} of {n} mails after {timeout:?}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn smtp_session(stream: TcpStream, sink: Arc<Mutex<Vec<Mail>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut mail = Mail {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
        auth: None,
    };
    let reply = |text: &'static str| format!("{text}\r\n");
    let _ = write.write_all(reply("220 uc-test ESMTP").as_bytes()).await;
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") {
            "250-uc-test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n".to_owned()
        } else if upper.starts_with("HELO")
            || upper.starts_with("RSET")
            || upper.starts_with("NOOP")
        {
            reply("250 OK")
        } else if let Some(token) = line.strip_prefix("AUTH PLAIN ") {
            mail.auth = Some(token.trim().to_owned());
            reply("235 2.7.0 Authentication successful")
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = address(&line);
            reply("250 OK")
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(address(&line));
            reply("250 OK")
        } else if upper == "DATA" {
            let _ = write
                .write_all(reply("354 End data with <CR><LF>.<CR><LF>").as_bytes())
                .await;
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                let line = line
                    .strip_prefix('.')
                    .filter(|_| line.starts_with(".."))
                    .unwrap_or(&line);
                data.push_str(line);
                data.push_str("\r\n");
            }
            mail.data = data;
            sink.lock().expect("lock").push(mail.clone());
            mail.to.clear();
            reply("250 2.0.0 OK queued")
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(reply("221 Bye").as_bytes()).await;
            return;
        } else {
            reply("502 Command not implemented")
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `MAIL FROM:<a@b>` → `a@b`.
fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line.rfind('>').unwrap_or(line.len());
    line[start..end].to_owned()
}

/// Where Debian installs Prometheus' Alertmanager.
pub const ALERTMANAGER_BIN: &str = "/usr/bin/prometheus-alertmanager";

/// A real Alertmanager on a free loopback port with a minimal config and its own storage,
/// killed when dropped.
pub struct Alertmanager {
    pub url: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    /// `None` (with the reason printed) when the binary is not installed.
    pub async fn start() -> Option<Self> {
        if !std::path::Path::new(ALERTMANAGER_BIN).exists() {
            eprintln!("skipped: {ALERTMANAGER_BIN} is not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let config: PathBuf = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
        )
        .expect("config");
        let port = free_port();
        let child = std::process::Command::new(ALERTMANAGER_BIN)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .arg("--log.level=warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start alertmanager");
        let am = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        };
        am.wait_ready().await;
        Some(am)
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            let ready = client.get(format!("{}/-/ready", self.url)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("alertmanager at {} not ready after 30 s", self.url);
    }

    /// `GET /api/v2/alerts`: the alerts Alertmanager holds as active.
    pub async fn alerts(&self) -> Vec<serde_json::Value> {
        let response = reqwest::get(format!("{}/api/v2/alerts", self.url))
            .await
            .expect("get alerts");
        response.json().await.expect("alerts JSON")
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}
