//! Webhooks against real loopback receivers: one that checks the signature and the
//! timestamp the way the README tells receivers to, and one that answers with a redirect.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use common::receivers::HttpReceiver;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use univers_container::alerts::channels::{ChannelsConfig, parse_channels};
use univers_container::alerts::deliver::{Backoff, Delivery, DeliveryOptions};
use univers_container::alerts::outbox::Outcome;
use univers_container::alerts::route::Router;
use univers_container::alerts::send::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use univers_container::alerts::{Alert, AlertState, Labels, Severity};
use univers_container::clock::now_ms;

const WAIT: Duration = Duration::from_secs(15);
const SECRET: &str = "s3cret";
/// How old a timestamp the verifying receiver still takes, in seconds.
const TOLERANCE: u64 = 1;

fn channels(yaml: &str) -> ChannelsConfig {
    let env = |name: &str| (name == "HOOK_SECRET").then(|| SECRET.to_owned());
    parse_channels(yaml, Path::new("channels.yaml"), &env).expect("valid channels")
}

fn alert() -> Alert {
    let now = now_ms();
    let labels: Labels = [("alertname", "HighCpu"), ("service", "api")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Alert {
        id: "HighCpu-api".to_owned(),
        rule: "HighCpu".to_owned(),
        state: AlertState::Firing,
        severity: Severity::Critical,
        labels,
        annotations: Default::default(),
        value: 97.5,
        active_since: now - 90_000,
        fired_at: Some(now - 60_000),
        resolved_at: None,
        ack: None,
        silenced_by: None,
    }
}

/// A delivery worker on a fresh outbox, with one notification for `config` queued.
fn deliver(config: &ChannelsConfig, outbox: &Path) -> Delivery {
    let options = DeliveryOptions {
        backoff: Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(200),
            jitter: 0.0,
            ..Backoff::default()
        },
        external_url: String::new(),
    };
    let delivery = Delivery::spawn_with(outbox, config.clone(), "hvac".into(), options, |_| {})
        .expect("spawn the delivery worker");
    let notifications = Router::new(config).update(now_ms(), &[alert()], &|_| Vec::new());
    assert_eq!(delivery.enqueue(notifications), 1);
    delivery
}

fn outbox() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("outbox.db");
    (dir, path)
}

/// What a receiver does with `X-UC-Timestamp` and `X-UC-Signature` (the README's recipe):
/// the HMAC of `"{timestamp}.{body}"` must match, and the timestamp must be recent.
fn verify(headers: &HeaderMap, body: &[u8], now_secs: u64) -> Result<(), &'static str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let stamp = header(TIMESTAMP_HEADER).ok_or("no timestamp")?;
    let signature = header(SIGNATURE_HEADER).ok_or("no signature")?;
    let hex = signature.strip_prefix("sha256=").ok_or("not sha256")?;
    let given = hex::decode(hex).map_err(|_| "not hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(stamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| "bad signature")?;
    let stamp: u64 = stamp.parse().map_err(|_| "bad timestamp")?;
    if now_secs.abs_diff(stamp) > TOLERANCE {
        return Err("stale");
    }
    Ok(())
}

/// A request as the verifying receiver got it, and its verdict.
type Seen = (HeaderMap, Bytes, Result<(), &'static str>);

/// A receiver that answers 204 to a verified request and 401 to any other, keeping each
/// request and its verdict.
struct Verifier {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Verifier {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let log = Arc::clone(&log);
            async move {
                let verdict = verify(&headers, &body, now_ms() / 1000);
                log.lock().expect("lock").push((headers, body, verdict));
                match verdict {
                    Ok(()) => StatusCode::NO_CONTENT,
                    Err(_) => StatusCode::UNAUTHORIZED,
                }
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// Sends a request as an attacker who captured one would: same body, these headers.
    async fn replay(&self, headers: &HeaderMap, body: &Bytes) -> StatusCode {
        let mut request = reqwest::Client::new().post(&self.url).body(body.clone());
        for name in [TIMESTAMP_HEADER, SIGNATURE_HEADER] {
            if let Some(value) = headers.get(name) {
                request = request.header(name, value.as_bytes());
            }
        }
        let response = request.send().await.expect("replay");
        StatusCode::from_u16(response.status().as_u16()).expect("status")
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_is_verified_and_cannot_be_replayed() {
    let receiver = Verifier::start().await;
    let config = channels(&format!(
        "channels:\n  hook: {{ type: webhook, url: '{}', secret: '${{HOOK_SECRET}}' }}\n",
        receiver.url
    ));
    let (_dir, path) = outbox();
    let delivery = deliver(&config, &path);
    eventually("the signed webhook", || !receiver.seen().is_empty()).await;
    let (headers, body, verdict) = receiver.seen().remove(0);
    assert_eq!(verdict, Ok(()), "the receiver verified the first request");
    eventually("the delivery on record", || {
        let history = delivery.history(0).expect("history");
        history.iter().any(|a| a.outcome == Outcome::Delivered)
    })
    .await;

    let stamp: u64 = headers[TIMESTAMP_HEADER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    // Another timestamp, as fresh, on the captured body: the signature no longer matches.
    let mut restamped = headers.clone();
    let other = (stamp + 1).to_string();
    restamped.insert(TIMESTAMP_HEADER, other.parse().expect("header"));
    assert_eq!(
        receiver.replay(&restamped, &body).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(receiver.seen()[1].2, Err("bad signature"));

    // The captured request as it was, once its timestamp is past the receiver's tolerance.
    eventually("the timestamp to go stale", || {
        now_ms() / 1000 > stamp + TOLERANCE
    })
    .await;
    assert_eq!(
        receiver.replay(&headers, &body).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(receiver.seen()[2].2, Err("stale"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_and_the_attempt_names_its_location() {
    let elsewhere = HttpReceiver::start().await;
    let location = elsewhere.url("/stolen");
    let moved = location.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let app = axum::Router::new().fallback(move || {
        let moved = moved.clone();
        async move { (StatusCode::FOUND, [("location", moved)]) }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });

    let config = channels(&format!(
        "channels:\n  hook: {{ type: webhook, url: '{url}', secret: '${{HOOK_SECRET}}' }}\n"
    ));
    let (_dir, path) = outbox();
    let delivery = deliver(&config, &path);
    eventually("a failed attempt", || {
        !delivery.history(0).expect("history").is_empty()
    })
    .await;
    let attempt = &delivery.history(0).expect("history")[0];
    assert_eq!((attempt.outcome, attempt.code), (Outcome::Retry, Some(302)));
    assert!(
        attempt
            .detail
            .starts_with(&format!("HTTP 302: redirected to {location};")),
        "{}",
        attempt.detail
    );
    assert!(
        delivery
            .history(0)
            .expect("history")
            .iter()
            .all(|a| a.outcome != Outcome::Delivered)
    );
    assert!(
        elsewhere.requests().is_empty(),
        "nothing went to the Location"
    );
}
