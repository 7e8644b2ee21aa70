//! Delivery after a receiver outage: N notifications are queued while a webhook receiver
//! on 127.0.0.1 answers 503, the receiver comes back, and the worker (default backoff:
//! 1 s doubling to 5 min, ±20 %) drains the outbox. Reports what arrived, duplicates (by
//! the `Idempotency-Key` each request carries: the dedup key), the tries spent during the
//! outage and the time to drain.
//!
//!   cargo bench --bench outbox_outage
//!   UC_BENCH_OUTAGE=30s UC_BENCH_NOTIFICATIONS=200 UC_BENCH_RESTART=1 cargo bench --bench outbox_outage
//!
//! `UC_BENCH_OUTAGE` (default 10m), `UC_BENCH_NOTIFICATIONS` (default 500),
//! `UC_BENCH_RESTART=1` drops the worker halfway through the outage and starts a new one
//! on the same outbox, as an engine restart would.

#[allow(dead_code)]
#[path = "../tests/common/receivers.rs"]
mod receivers;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use receivers::HttpReceiver;
use univers_container::alerts::channels::{ChannelsConfig, parse_channels};
use univers_container::alerts::deliver::{Delivery, DeliveryEvent};
use univers_container::alerts::outbox::Outcome;
use univers_container::alerts::route::Router;
use univers_container::alerts::send::IDEMPOTENCY_HEADER;
use univers_container::alerts::{Alert, AlertState, Severity};
use univers_container::clock::now_ms;

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs benches without `--bench`: measure only when asked.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let outage = std::env::var("UC_BENCH_OUTAGE").map_or(Ok(Duration::from_secs(600)), |v| {
        humantime::parse_duration(&v)
    })?;
    let count: usize = std::env::var("UC_BENCH_NOTIFICATIONS").map_or(Ok(500), |v| v.parse())?;
    let restart = std::env::var("UC_BENCH_RESTART").is_ok_and(|v| v == "1");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(outage, count, restart))
}

async fn run(outage: Duration, count: usize, restart: bool) -> anyhow::Result<()> {
    let receiver = HttpReceiver::start().await;
    receiver.set_down(true);
    let yaml = format!(
        "channels:\n  hook: {{ type: webhook, url: '{}' }}\nroute:\n  group_by: [alertname, service]\n",
        receiver.url("/alerts")
    );
    let config = parse_channels(&yaml, Path::new("bench.yaml"), &|_| None)?;
    let dir = tempfile::tempdir()?;
    let outbox = dir.path().join("outbox.db");
    let spawn = |config: &ChannelsConfig| {
        Delivery::spawn(
            &outbox,
            config.clone(),
            "bench".into(),
            |_: DeliveryEvent| (),
        )
    };

    let notifications = Router::new(&config).update(now_ms(), &alerts(count), &|_| Vec::new());
    println!(
        "{} notifications queued; receiver down (HTTP 503) for {}{}",
        notifications.len(),
        humantime::format_duration(outage),
        if restart {
            ", worker restarted halfway"
        } else {
            ""
        }
    );
    let mut delivery = spawn(&config)?;
    let started = Instant::now();
    delivery.enqueue(notifications);
    if restart {
        tokio::time::sleep(outage / 2).await;
        drop(delivery);
        delivery = spawn(&config)?;
        tokio::time::sleep(outage - outage / 2).await;
    } else {
        tokio::time::sleep(outage).await;
    }
    let probes = receiver.requests().len();
    receiver.set_down(false);
    let up = Instant::now();
    let drained = wait_drained(&receiver, count, Duration::from_secs(900)).await;
    // Anything sent twice would arrive within a moment of the rest.
    tokio::time::sleep(Duration::from_secs(2)).await;
    report(&receiver, &delivery, count, probes, started, up, drained)?;
    delivery.shutdown().await;
    Ok(())
}

fn alerts(count: usize) -> Vec<Alert> {
    let now = now_ms();
    (0..count)
        .map(|i| Alert {
            id: format!("{i:016x}"),
            rule: "HighCpu".into(),
            state: AlertState::Firing,
            severity: Severity::Warning,
            labels: [
                ("alertname".to_owned(), "HighCpu".to_owned()),
                ("service".to_owned(), format!("svc{i}")),
            ]
            .into(),
            annotations: Default::default(),
            value: 91.0,
            active_since: now - 60_000,
            fired_at: Some(now),
            resolved_at: None,
            ack: None,
            silenced_by: None,
        })
        .collect()
}

/// When the last of `count` distinct notifications arrived, if it did within `limit`.
async fn wait_drained(receiver: &HttpReceiver, count: usize, limit: Duration) -> Option<Instant> {
    let start = Instant::now();
    while start.elapsed() < limit {
        let accepted = receiver.accepted();
        if distinct(&accepted).len() >= count {
            return accepted.iter().map(|r| r.at).max();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Accepted requests per dedup key.
fn distinct(accepted: &[receivers::Received]) -> BTreeMap<String, usize> {
    let mut keys = BTreeMap::new();
    for request in accepted {
        let key = request
            .header(IDEMPOTENCY_HEADER)
            .unwrap_or_default()
            .to_owned();
        *keys.entry(key).or_insert(0) += 1;
    }
    keys
}

fn report(
    receiver: &HttpReceiver,
    delivery: &Delivery,
    count: usize,
    probes: usize,
    started: Instant,
    up: Instant,
    drained: Option<Instant>,
) -> anyhow::Result<()> {
    let accepted = receiver.accepted();
    let keys = distinct(&accepted);
    let duplicates: usize = keys.values().map(|n| n - 1).sum();
    let history = delivery.history(0)?;
    let retries = history
        .iter()
        .filter(|a| a.outcome == Outcome::Retry)
        .count();
    let first = accepted.iter().map(|r| r.at).min();
    println!("delivered:                {} of {count}", keys.len());
    println!("duplicates received:      {duplicates}");
    println!("requests during outage:   {probes} (failed tries recorded: {retries})");
    match (first, drained) {
        (Some(first), Some(last)) => {
            let wait = first.saturating_duration_since(up);
            let drain = last.saturating_duration_since(first);
            println!("receiver up → first sent: {wait:.1?} (the next backoff probe)");
            println!("first → last delivered:   {drain:.2?}");
            println!(
                "receiver up → drained:    {:.1?}",
                last.saturating_duration_since(up)
            );
            println!(
                "queued → drained:         {:.1?}",
                last.saturating_duration_since(started)
            );
        }
        _ => println!("not drained within 15 minutes of the receiver coming back"),
    }
    Ok(())
}
