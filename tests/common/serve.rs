//! The real `uc serve` on a free loopback port over an [`Env`]'s state dir, killed when
//! dropped, and the tokens it accepts.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::cli::Env;
use super::receivers::free_port;

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

/// Every row of `uc serve`'s audit log: the API's and the CLI's token changes.
pub fn serve_audit(env: &Env) -> Vec<univers_container::store::AuditEntry> {
    let file = env.state.join(".serve/audit.db");
    match univers_container::store::AuditLog::open_read_only(&file) {
        Ok(log) => log.since(0).expect("audit rows"),
        Err(_) => Vec::new(),
    }
}

/// Waits until `pred` holds for the API's rows of the audit log; answers them.
pub fn wait_audit(
    env: &Env,
    pred: impl Fn(&[univers_container::store::AuditEntry]) -> bool,
) -> Vec<univers_container::store::AuditEntry> {
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
