//! Senders: one notification to one channel, once. Retrying is the delivery worker's job;
//! a sender only says whether the receiver took it, and if not, whether the receiver is
//! unavailable (try later, and hold the channel's other notifications) or rejected this
//! one (try later, but let the others through).

mod alertmanager;
mod email;
mod slack;
pub mod standard;
mod text;
mod webhook;

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};

use super::channels::Target;
use super::route::Notification;

pub use webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// What a message needs besides the notification.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The workspace's name, shown in every message.
    pub workspace: &'a str,
    /// Where the user can see the alerts (`externalURL`, `generatorURL`); may be empty.
    pub external_url: &'a str,
    /// Unix ms at sending (Alertmanager's `endsAt`, the webhook's timestamp).
    pub now_ms: u64,
}

/// The receiver took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// HTTP status or SMTP reply code.
    pub code: Option<u16>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct SendError {
    pub kind: Failure,
    pub code: Option<u16>,
    pub detail: String,
    /// The receiver asked to wait this long (HTTP 429 / 503 `Retry-After`).
    pub retry_after: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Not reachable, timed out, overloaded or failing (5xx, 429, SMTP 4xx).
    Unavailable,
    /// Reached, and refused this notification (4xx, SMTP 5xx).
    Rejected,
}

impl SendError {
    fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            kind: Failure::Unavailable,
            code: None,
            detail: detail.into(),
            retry_after: None,
        }
    }

    fn rejected(detail: impl Into<String>) -> Self {
        Self {
            kind: Failure::Rejected,
            code: None,
            detail: detail.into(),
            retry_after: None,
        }
    }
}

/// Carries the notification's dedup key on every HTTP request.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Longest response text kept in an attempt's record.
const DETAIL_MAX: usize = 300;

/// Sends over one HTTP client (connections are reused) and one SMTP connection per email.
#[derive(Debug, Clone)]
pub struct Sender {
    http: reqwest::Client,
}

/// How every outbound HTTP client starts: redirects are not followed, so a receiver (or
/// whoever took over its address) cannot send a notification, its signature and its
/// headers somewhere else; a redirect is an answer like any other failure.
pub fn http_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("univers-container/", env!("CARGO_PKG_VERSION")))
}

impl Sender {
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = http_client()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self { http })
    }

    pub async fn send(
        &self,
        target: &Target,
        n: &Notification,
        cx: &Context<'_>,
    ) -> Result<Receipt, SendError> {
        // Lets a receiver drop a notification it already has (delivery is at least once).
        let mut headers = vec![(IDEMPOTENCY_HEADER.to_owned(), n.dedup_key.clone())];
        match target {
            Target::Slack { url } => self.post(url.expose(), slack::body(n, cx), &headers).await,
            Target::Webhook(hook) => {
                let body = webhook::body(n, cx);
                headers.extend(webhook::headers(hook, &body, cx.now_ms));
                self.post(&hook.url, body, &headers).await
            }
            Target::Alertmanager { url } => {
                let url = alertmanager::endpoint(url);
                self.post(&url, alertmanager::body(n, cx), &headers).await
            }
            Target::Email(email) => email::send(email, n, cx).await,
            Target::Signed { url, secret } => {
                let Some(key) = standard::key(secret.expose()) else {
                    return Err(SendError::rejected("the secret is not a `whsec_` secret"));
                };
                let body = n.payload.clone().unwrap_or_default().into_bytes();
                headers.extend(standard::headers(&key, &n.dedup_key, cx.now_ms, &body));
                self.post(url, body, &headers).await
            }
        }
    }

    async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        headers: &[(String, String)],
    ) -> Result<Receipt, SendError> {
        let mut request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        // Without the URL: a Slack webhook's URL is its credential.
        let response = request
            .send()
            .await
            .map_err(|e| SendError::unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        if status.is_redirection() {
            return Err(redirected(status, response.headers()));
        }
        let text = response.text().await.unwrap_or_default();
        classify(status, retry_after, &text)
    }
}

/// A redirect is not followed: the attempt fails, naming where the receiver pointed.
fn redirected(status: StatusCode, headers: &HeaderMap) -> SendError {
    let location = headers
        .get(LOCATION)
        .map(|l| {
            String::from_utf8_lossy(l.as_bytes())
                .chars()
                .take(DETAIL_MAX)
                .collect()
        })
        .unwrap_or_else(|| "nowhere (no Location)".to_owned());
    SendError {
        code: Some(status.as_u16()),
        ..SendError::rejected(format!(
            "HTTP {}: redirected to {location}; redirects are not followed, \
             set the channel's URL to the final address",
            status.as_u16()
        ))
    }
}

fn classify(
    status: StatusCode,
    retry_after: Option<Duration>,
    text: &str,
) -> Result<Receipt, SendError> {
    let detail = describe(status, text);
    let code = Some(status.as_u16());
    if status.is_success() {
        return Ok(Receipt { code, detail });
    }
    let busy = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT
    );
    let kind = if busy || status.is_server_error() {
        Failure::Unavailable
    } else {
        Failure::Rejected
    };
    Err(SendError {
        kind,
        code,
        detail,
        retry_after,
    })
}

/// `HTTP 500: upstream failed`, the body shortened to one line.
fn describe(status: StatusCode, text: &str) -> String {
    let text: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(DETAIL_MAX)
        .collect();
    if text.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!("HTTP {}: {text}", status.as_u16())
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Slack or Alertmanager).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        let ok = classify(StatusCode::OK, None, "ok").unwrap();
        assert_eq!(ok.detail, "HTTP 200: ok");
        let e = classify(StatusCode::INTERNAL_SERVER_ERROR, None, "boom\n  at x").unwrap_err();
        assert_eq!((e.kind, e.code), (Failure::Unavailable, Some(500)));
        assert_eq!(e.detail, "HTTP 500: boom at x");
        let wait = Some(Duration::from_secs(30));
        let e = classify(StatusCode::TOO_MANY_REQUESTS, wait, "").unwrap_err();
        assert_eq!(
            (e.kind, e.retry_after, e.detail.as_str()),
            (Failure::Unavailable, wait, "HTTP 429")
        );
        let e = classify(StatusCode::NOT_FOUND, None, "no_service").unwrap_err();
        assert_eq!(e.kind, Failure::Rejected);
    }

    #[test]
    fn a_redirect_fails_naming_its_location() {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, "https://elsewhere.example/hook".parse().unwrap());
        let e = redirected(StatusCode::FOUND, &headers);
        assert_eq!((e.kind, e.code), (Failure::Rejected, Some(302)));
        assert!(
            e.detail
                .starts_with("HTTP 302: redirected to https://elsewhere.example/hook;"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn retry_after_in_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "12".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(12)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
