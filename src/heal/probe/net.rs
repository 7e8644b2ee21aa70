//! The network checks: a TCP connect and an HTTP GET. Health checks run them, and so do the
//! alert rules' `port_open` and `http_ok`, so a port or URL is up or down by one definition.

use std::sync::LazyLock;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::config::HttpProbe;

/// The longest response body an HTTP probe reads to look for `body`; a longer one fails it.
const BODY_LIMIT: usize = 64 * 1024;

/// One client for every HTTP probe. A redirect is not followed (it is an answer, checked
/// against the status range), no proxy from the environment stands between the probe and
/// the endpoint it checks, and every check opens its own connection, so a server that
/// stopped accepting new ones fails it.
static CLIENT: LazyLock<Result<reqwest::Client, String>> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(0)
        .user_agent("uc-probe")
        .build()
        .map_err(|e| format!("cannot make HTTP requests: {}", root_cause(&e)))
});

/// `addr` (`host:port`) accepts a TCP connection within `timeout`.
pub async fn tcp(addr: &str, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("{addr}: {e}")),
        Err(_) => Err(timed_out(timeout)),
    }
}

/// A GET of the probe's URL answers, within `timeout`, with a status in its range and,
/// when it names one, a body (at most 64 KiB) containing its text.
pub async fn http(probe: &HttpProbe, timeout: Duration) -> Result<(), String> {
    let client = CLIENT.as_ref().map_err(Clone::clone)?;
    tokio::time::timeout(timeout, get(client, probe))
        .await
        .unwrap_or_else(|_| Err(timed_out(timeout)))
}

async fn get(client: &reqwest::Client, probe: &HttpProbe) -> Result<(), String> {
    let url = &probe.url;
    let failed = |e: reqwest::Error| format!("{url}: {}", root_cause(&e));
    let mut response = client.get(url).send().await.map_err(failed)?;
    let status = response.status().as_u16();
    let (low, high) = probe.status;
    if !(low..=high).contains(&status) {
        let want = if low == high {
            low.to_string()
        } else {
            format!("{low}..{high}")
        };
        return Err(format!("{url}: HTTP {status} (expected {want})"));
    }
    let Some(needle) = &probe.body else {
        return Ok(());
    };
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        body.extend_from_slice(&chunk);
        if body.len() > BODY_LIMIT {
            return Err(format!(
                "{url}: reading the body: longer than {BODY_LIMIT} bytes"
            ));
        }
    }
    if memchr::memmem::find(&body, needle.as_bytes()).is_some() {
        Ok(())
    } else {
        Err(format!("{url}: body does not contain {needle:?}"))
    }
}

fn timed_out(timeout: Duration) -> String {
    format!("timed out after {}", humantime::format_duration(timeout))
}

/// What the user can act on: reqwest's outer errors only say that a request failed, the
/// innermost says why (`Connection refused (os error 111)`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}
