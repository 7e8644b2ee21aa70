//! Notifications end to end: the router's notifications go through the durable outbox and
//! the delivery worker to real receivers on 127.0.0.1 (HTTP for Slack and webhooks, SMTP,
//! Prometheus' Alertmanager), including receivers that fail and workers that restart.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::receivers::{Alertmanager, HttpReceiver, SmtpReceiver};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use univers_container::alerts::channels::{ChannelsConfig, parse_channels};
use univers_container::alerts::deliver::{Backoff, Delivery, DeliveryEvent, DeliveryOptions};
use univers_container::alerts::outbox::{Outbox, Outcome, RowState};
use univers_container::alerts::route::{Notification, Router};
use univers_container::alerts::send::{IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use univers_container::alerts::{Alert, AlertState, Labels, Severity};
use univers_container::clock::now_ms;

const WAIT: Duration = Duration::from_secs(15);

fn env(name: &str) -> Option<String> {
    match name {
        "HOOK_SECRET" => Some("s3cret".to_owned()),
        "SMTP_PASSWORD" => Some("hunter2".to_owned()),
        _ => None,
    }
}

fn channels(yaml: &str) -> ChannelsConfig {
    parse_channels(yaml, Path::new("channels.yaml"), &env).expect("valid channels")
}

fn alert(rule: &str, service: &str, state: AlertState) -> Alert {
    let now = now_ms();
    let labels: Labels = [
        ("alertname", rule),
        ("service", service),
        ("severity", "critical"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    Alert {
        id: format!("{rule}-{service}"),
        rule: rule.to_owned(),
        state,
        severity: Severity::Critical,
        labels,
        annotations: [("summary".to_owned(), format!("CPU of {service} above 90%"))].into(),
        value: 97.5,
        active_since: now - 90_000,
        fired_at: Some(now - 60_000),
        resolved_at: (state == AlertState::Resolved).then_some(now - 1_000),
        ack: None,
        silenced_by: None,
    }
}

/// What the router makes of these alerts on its first tick.
fn notify(config: &ChannelsConfig, alerts: &[Alert]) -> Vec<Notification> {
    Router::new(config).update(now_ms(), alerts, &|_| Vec::new())
}

/// Every event the worker reports.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<DeliveryEvent>>>);

impl Events {
    fn sink(&self) -> impl Fn(DeliveryEvent) + Send + Sync + 'static {
        let events = Arc::clone(&self.0);
        move |e| events.lock().expect("lock").push(e)
    }

    fn all(&self) -> Vec<DeliveryEvent> {
        self.0.lock().expect("lock").clone()
    }

    fn count(&self, pick: impl Fn(&DeliveryEvent) -> bool) -> usize {
        self.all().iter().filter(|e| pick(e)).count()
    }
}

fn fast() -> DeliveryOptions {
    DeliveryOptions {
        backoff: Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(200),
            jitter: 0.0,
            ..Backoff::default()
        },
        external_url: "http://127.0.0.1:7000".to_owned(),
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    outbox: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = dir.path().join("state/outbox.db");
    Setup { _dir: dir, outbox }
}

fn spawn(s: &Setup, config: &ChannelsConfig, events: &Events) -> Delivery {
    Delivery::spawn_with(
        &s.outbox,
        config.clone(),
        "hvac".into(),
        fast(),
        events.sink(),
    )
    .expect("spawn the delivery worker")
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_gets_text_and_blocks() {
    let slack = HttpReceiver::start().await;
    let config = channels(&format!(
        "channels:\n  slack: {{ type: slack, url: '{}' }}\nroute:\n  group_by: [alertname, service]\n",
        slack.url("/services/T0/B0/x")
    ));
    let s = setup();
    let events = Events::default();
    let delivery = spawn(&s, &config, &events);
    let notifications = notify(&config, &[alert("HighCpu", "api", AlertState::Firing)]);
    assert_eq!(delivery.enqueue(notifications.clone()), 1);

    let got = slack.wait_accepted(1, WAIT).await;
    assert_eq!(got[0].path, "/services/T0/B0/x");
    assert_eq!(got[0].header("content-type"), Some("application/json"));
    assert_eq!(
        got[0].header(IDEMPOTENCY_HEADER),
        Some(notifications[0].dedup_key.as_str())
    );
    let body = got[0].json();
    assert_eq!(body["text"], "[FIRING:1] HighCpu (service=api) — hvac");
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(
        blocks[0]["text"]["text"],
        "🔴 [FIRING:1] HighCpu (service=api)"
    );
    let section = blocks[1]["text"]["text"].as_str().unwrap();
    assert!(section.starts_with("*HighCpu* · `critical` · firing\nservice=api\nvalue: *97.5*\nsummary: CPU of api above 90%"), "{section}");
    assert_eq!(
        blocks[2]["elements"][0]["text"],
        "uc · workspace *hvac* · 1 firing · 0 resolved"
    );

    eventually("the delivered event", || {
        events.count(|e| matches!(e, DeliveryEvent::Delivered { attempts: 1, .. })) == 1
    })
    .await;
    let status = delivery.status();
    assert_eq!((status[0].name.as_str(), status[0].queued), ("slack", 0));
    assert!(status[0].last_delivered_at.is_some() && status[0].last_error.is_none());
    let history = delivery.history(0).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].outcome, history[0].code),
        (Outcome::Delivered, Some(200))
    );
    // Computed again (say, after a restart), the same notification is not queued twice.
    assert_eq!(delivery.enqueue(notifications), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_gets_at_most_one_message_a_second_and_429_waits_for_retry_after() {
    let slack = HttpReceiver::start().await;
    slack.fail_with(1, 429, Some(2));
    let config = channels(&format!(
        "channels:\n  slack: {{ type: slack, url: '{}' }}\nroute:\n  group_by: [alertname, service]\n",
        slack.url("/hook")
    ));
    let s = setup();
    let events = Events::default();
    let delivery = spawn(&s, &config, &events);
    let alerts: Vec<Alert> = ["a", "b", "c"]
        .iter()
        .map(|svc| alert("HighCpu", svc, AlertState::Firing))
        .collect();
    assert_eq!(delivery.enqueue(notify(&config, &alerts)), 3);
    slack.wait_accepted(3, WAIT).await;
    let requests = slack.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 200, 200, 200]
    );
    let gaps: Vec<Duration> = requests.windows(2).map(|w| w[1].at - w[0].at).collect();
    // The backoff alone would retry after 50 ms; Slack asked for 2 s.
    assert!(gaps[0] >= Duration::from_millis(1950), "{gaps:?}");
    assert!(
        gaps[1..].iter().all(|g| *g >= Duration::from_millis(950)),
        "{gaps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_get_the_alertmanager_v4_payload_signed() {
    let hook = HttpReceiver::start().await;
    let config = channels(&format!(
        "channels:\n  hook: {{ type: webhook, url: '{}', secret: '${{HOOK_SECRET}}', headers: {{ X-Team: web }} }}\n\
         route:\n  group_by: [alertname]\n",
        hook.url("/alerts")
    ));
    let s = setup();
    let delivery = spawn(&s, &config, &Events::default());
    let alerts = [
        alert("HighCpu", "api", AlertState::Firing),
        alert("HighCpu", "web", AlertState::Firing),
    ];
    delivery.enqueue(notify(&config, &alerts));
    let got = hook.wait_accepted(1, WAIT).await;
    let request = &got[0];

    let stamp = request.header(TIMESTAMP_HEADER).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(format!("{stamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(request.header(SIGNATURE_HEADER), Some(expected.as_str()));
    let stamp: u64 = stamp.parse().unwrap();
    assert!(stamp.abs_diff(now_ms() / 1000) < 60);
    assert_eq!(request.header("x-team"), Some("web"));

    let p = request.json();
    assert_eq!(p["version"], "4");
    assert_eq!(p["groupKey"], "hook/0:{alertname=\"HighCpu\"}");
    assert_eq!(p["truncatedAlerts"], 0);
    assert_eq!(p["status"], "firing");
    assert_eq!(p["receiver"], "hook");
    assert_eq!(
        p["groupLabels"],
        serde_json::json!({ "alertname": "HighCpu" })
    );
    assert_eq!(
        p["commonLabels"],
        serde_json::json!({ "alertname": "HighCpu", "severity": "critical" })
    );
    assert_eq!(p["commonAnnotations"], serde_json::json!({}));
    assert_eq!(p["externalURL"], "http://127.0.0.1:7000");
    let sent = p["alerts"].as_array().unwrap();
    assert_eq!(sent.len(), 2);
    for (got, want) in sent.iter().zip(&alerts) {
        assert_eq!(got["status"], "firing");
        assert_eq!(got["labels"]["service"], want.labels["service"].as_str());
        assert_eq!(
            got["annotations"]["summary"],
            want.annotations["summary"].as_str()
        );
        assert_eq!(got["fingerprint"], want.id.as_str());
        assert_eq!(got["endsAt"], "0001-01-01T00:00:00Z");
        assert_eq!(got["generatorURL"], "http://127.0.0.1:7000");
        let starts = got["startsAt"].as_str().unwrap();
        let parsed = humantime::parse_rfc3339(starts).unwrap();
        let ms = parsed
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert_eq!(ms, want.fired_at.unwrap(), "{starts}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_arrives_over_smtp() {
    let smtp = SmtpReceiver::start().await;
    let config = channels(&format!(
        "channels:\n  email: {{ type: email, smtp: '{}', tls: none, username: uc, password: '${{SMTP_PASSWORD}}', \
         from: 'uc <uc@example.com>', to: [oncall@example.com, lead@example.com] }}\n\
         route:\n  group_by: [alertname, service]\n",
        smtp.addr
    ));
    let s = setup();
    let events = Events::default();
    let delivery = spawn(&s, &config, &events);
    let firing = alert("HighCpu", "api", AlertState::Firing);
    let notifications = notify(&config, std::slice::from_ref(&firing));
    delivery.enqueue(notifications.clone());

    let mail = smtp.wait_mails(1, WAIT).await.remove(0);
    assert_eq!(mail.from, "uc@example.com");
    assert_eq!(mail.to, ["oncall@example.com", "lead@example.com"]);
    assert_eq!(
        mail.auth.as_deref(),
        Some("AHVjAGh1bnRlcjI="),
        "AUTH PLAIN \\0uc\\0hunter2"
    );
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("[FIRING:1] HighCpu (service=api)")
    );
    assert_eq!(mail.header("From").as_deref(), Some("uc <uc@example.com>"));
    let id = format!("<{}@univers-container>", notifications[0].dedup_key);
    assert_eq!(mail.header("Message-ID"), Some(id));
    let body = mail.body();
    for line in [
        "[FIRING:1] HighCpu (service=api)",
        "Workspace: hvac",
        "Firing (1)",
        "- HighCpu (critical)",
        "  labels: service=api",
        "  value: 97.5",
        "  summary: CPU of api above 90%",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "no line {line:?} in\n{body}"
        );
    }
    eventually("the delivered event", || {
        events.count(|e| matches!(e, DeliveryEvent::Delivered { .. })) == 1
    })
    .await;
    let history = delivery.history(0).unwrap();
    assert_eq!(history[0].code, Some(250));
    assert!(
        history[0].detail.starts_with("250 2.0.0 OK queued"),
        "{}",
        history[0].detail
    );

    // The resolution follows as its own message.
    let mut router = Router::new(&config);
    router.update(now_ms(), std::slice::from_ref(&firing), &|_| Vec::new());
    let done = Alert {
        state: AlertState::Resolved,
        resolved_at: Some(now_ms()),
        ..firing
    };
    let resolved = router.update(now_ms() + 10_000, &[done], &|_| Vec::new());
    delivery.enqueue(resolved);
    let mail = smtp.wait_mails(2, WAIT).await.remove(1);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("[RESOLVED] HighCpu (service=api)")
    );
    assert!(mail.body().contains("\nResolved (1)\n"), "{}", mail.body());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_lists_forwarded_alerts() {
    let Some(am) = Alertmanager::start().await else {
        return;
    };
    let config = channels(&format!(
        "channels:\n  am: {{ type: alertmanager, url: '{}/' }}\n",
        am.url
    ));
    let s = setup();
    let events = Events::default();
    let delivery = spawn(&s, &config, &events);
    let firing = alert("HighCpu", "api", AlertState::Firing);
    let resolved = alert("DiskFull", "db", AlertState::Resolved);
    let notifications = notify(&config, &[firing.clone(), resolved]);
    assert_eq!(
        notifications.len(),
        1,
        "one forward with every active alert"
    );
    delivery.enqueue(notifications);
    eventually("the forward to be delivered", || {
        events.count(|e| matches!(e, DeliveryEvent::Delivered { .. })) == 1
    })
    .await;

    let listed = am.alerts().await;
    assert_eq!(
        listed.len(),
        1,
        "only the firing alert is active: {listed:#?}"
    );
    let labels: BTreeMap<String, String> =
        serde_json::from_value(listed[0]["labels"].clone()).unwrap();
    assert_eq!(labels, firing.labels);
    assert_eq!(listed[0]["annotations"]["summary"], "CPU of api above 90%");
    assert_eq!(listed[0]["status"]["state"], "active");
    let ends = humantime::parse_rfc3339(listed[0]["endsAt"].as_str().unwrap()).unwrap();
    let ends_ms = ends
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let ahead = ends_ms.saturating_sub(now_ms());
    assert!(
        (150_000..=180_000).contains(&ahead),
        "endsAt {ahead} ms ahead"
    );
}

/// Five notifications to a webhook that answers 500 three times: all arrive, once each,
/// and every try is on record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_loses_nothing() {
    let hook = HttpReceiver::start().await;
    hook.fail_first(3);
    let config = channels(&format!(
        "channels:\n  hook: {{ type: webhook, url: '{}' }}\nroute:\n  group_by: [alertname, service]\n",
        hook.url("/alerts")
    ));
    let s = setup();
    let events = Events::default();
    let delivery = spawn(&s, &config, &events);
    let alerts: Vec<Alert> = (0..5)
        .map(|i| alert("HighCpu", &format!("svc{i}"), AlertState::Firing))
        .collect();
    let notifications = notify(&config, &alerts);
    assert_eq!(delivery.enqueue(notifications.clone()), 5);
    hook.wait_accepted(5, WAIT).await;
    eventually("five delivered events", || {
        events.count(|e| matches!(e, DeliveryEvent::Delivered { .. })) == 5
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let requests = hook.requests();
    assert_eq!(requests.len(), 8, "3 failures, then 5 deliveries");
    assert_eq!(received_keys(&hook), sorted_keys(&notifications));
    assert_eq!(
        events.count(|e| matches!(e, DeliveryEvent::Retrying { .. })),
        3
    );
    let history = delivery.history(0).unwrap();
    let outcomes: Vec<(Outcome, Option<u16>)> =
        history.iter().map(|a| (a.outcome, a.code)).collect();
    let retry = (Outcome::Retry, Some(500));
    let ok = (Outcome::Delivered, Some(200));
    assert_eq!(outcomes, [retry, retry, retry, ok, ok, ok, ok, ok]);
    assert!(
        history[0].detail.starts_with("HTTP 500"),
        "{}",
        history[0].detail
    );
    assert!(delivery.pending().unwrap().is_empty());
    // The outage held the channel: the other four waited behind the first, in order.
    let first = &notifications[0].dedup_key;
    assert!(
        requests[..4]
            .iter()
            .all(|r| r.header(IDEMPOTENCY_HEADER) == Some(first))
    );
}

fn received_keys(hook: &HttpReceiver) -> Vec<String> {
    let mut keys: Vec<String> = hook
        .accepted()
        .iter()
        .map(|r| r.header(IDEMPOTENCY_HEADER).expect("key header").to_owned())
        .collect();
    keys.sort();
    keys
}

fn sorted_keys(notifications: &[Notification]) -> Vec<String> {
    let mut keys: Vec<String> = notifications.iter().map(|n| n.dedup_key.clone()).collect();
    keys.sort();
    keys
}

/// The worker goes away while the receiver is down; a new one on the same outbox
/// delivers everything once the receiver is back, each notification exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_delivers_what_was_pending_exactly_once() {
    let hook = HttpReceiver::start().await;
    hook.set_down(true);
    let config = channels(&format!(
        "channels:\n  hook: {{ type: webhook, url: '{}' }}\nroute:\n  group_by: [alertname, service]\n",
        hook.url("/alerts")
    ));
    let s = setup();
    let events = Events::default();
    let first = spawn(&s, &config, &events);
    let alerts: Vec<Alert> = (0..4)
        .map(|i| alert("HighCpu", &format!("svc{i}"), AlertState::Firing))
        .collect();
    let notifications = notify(&config, &alerts);
    assert_eq!(first.enqueue(notifications.clone()), 4);
    eventually("a few failed tries", || {
        events.count(|e| matches!(e, DeliveryEvent::Retrying { .. })) >= 3
    })
    .await;
    drop(first);
    assert!(hook.accepted().is_empty());
    let waiting = Outbox::open(&s.outbox).unwrap().pending().unwrap();
    assert_eq!(waiting.len(), 4);
    assert!(waiting[0].attempts >= 3, "{}", waiting[0].attempts);

    hook.set_down(false);
    let second = spawn(&s, &config, &events);
    // The engine, restarted too, computes the same notifications again.
    assert_eq!(second.enqueue(notify(&config, &alerts)), 0);
    hook.wait_accepted(4, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received_keys(&hook), sorted_keys(&notifications));
    let outbox = Outbox::open(&s.outbox).unwrap();
    for n in &notifications {
        assert_eq!(
            outbox.state_of(&n.dedup_key).unwrap(),
            Some(RowState::Delivered)
        );
    }
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_channel_records_skips_and_queues_nothing() {
    let config = channels("channels:\n  slack: { type: slack, url: '${SLACK_URL}' }\n");
    let s = setup();
    let events = Events::default();
    let delivery = spawn(&s, &config, &events);
    let status = delivery.status();
    assert_eq!(status[0].disabled.as_deref(), Some("SLACK_URL is not set"));
    let notifications = notify(&config, &[alert("HighCpu", "api", AlertState::Firing)]);
    assert_eq!(delivery.enqueue(notifications.clone()), 1);
    assert!(delivery.pending().unwrap().is_empty());
    let skipped = events.all();
    assert!(
        matches!(&skipped[..], [DeliveryEvent::Skipped { reason, .. }] if reason == "SLACK_URL is not set"),
        "{skipped:?}"
    );
    let history = delivery.history(0).unwrap();
    assert_eq!(history[0].outcome, Outcome::Skipped);
    // A notification for a channel the file does not have is recorded the same way.
    let mut stray = notifications[0].clone();
    stray.channel = "nowhere".into();
    stray.dedup_key = "stray".into();
    delivery.enqueue(vec![stray]);
    assert_eq!(
        delivery.history(0).unwrap()[1].detail,
        "no channel named `nowhere` in the channels file"
    );
}

/// A reloaded config that fixes a channel's URL sends its waiting notifications at once,
/// not after the backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_channel_is_retried_at_once() {
    let hook = HttpReceiver::start().await;
    let dead = format!("http://127.0.0.1:{}/alerts", common::receivers::free_port());
    let yaml = |url: &str| format!("channels:\n  hook: {{ type: webhook, url: '{url}' }}\n");
    let s = setup();
    let events = Events::default();
    let slow = DeliveryOptions {
        backoff: Backoff {
            base: Duration::from_secs(600),
            ..Backoff::default()
        },
        ..DeliveryOptions::default()
    };
    let delivery = Delivery::spawn_with(
        &s.outbox,
        channels(&yaml(&dead)),
        "hvac".into(),
        slow,
        events.sink(),
    )
    .unwrap();
    delivery.enqueue(notify(
        &channels(&yaml(&dead)),
        &[alert("HighCpu", "api", AlertState::Firing)],
    ));
    eventually("a failed try", || {
        events.count(|e| matches!(e, DeliveryEvent::Retrying { .. })) == 1
    })
    .await;
    let status = delivery.status();
    assert_eq!(status[0].queued, 1);
    assert!(status[0].last_error.is_some());

    delivery.set_channels(channels(&yaml(&hook.url("/alerts"))));
    hook.wait_accepted(1, Duration::from_secs(5)).await;
    eventually("no error shown", || {
        delivery.status()[0].last_error.is_none()
    })
    .await;
}
