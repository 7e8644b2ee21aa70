use super::*;
use crate::alerts::{Alert, AlertState, Severity};

fn notification(channel: &str, key: &str) -> Notification {
    let alert = Alert {
        id: "0123456789abcdef".into(),
        rule: "HighCpu".into(),
        state: AlertState::Firing,
        severity: Severity::Critical,
        labels: [("alertname".to_owned(), "HighCpu".to_owned())].into(),
        annotations: Default::default(),
        value: 93.5,
        active_since: 1,
        fired_at: Some(2),
        resolved_at: None,
        ack: None,
        silenced_by: None,
    };
    Notification {
        channel: channel.into(),
        group_key: format!("{channel}/0:{{}}"),
        group_labels: Default::default(),
        alerts: vec![alert],
        status: AlertState::Firing,
        created_at: 10,
        dedup_key: key.into(),
        payload: None,
    }
}

fn tried(at: u64, code: Option<u16>, detail: &str, next: Next) -> Tried<'_> {
    Tried {
        at,
        duration_ms: 7,
        code,
        detail,
        next,
    }
}

fn open() -> (tempfile::TempDir, Outbox) {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path().join("sub/outbox.db")).unwrap();
    (dir, outbox)
}

#[test]
fn enqueue_is_idempotent_by_dedup_key() {
    let (_dir, mut outbox) = open();
    let n = notification("slack", "k1");
    assert!(outbox.enqueue(&n, 100, Admission::Send).unwrap());
    assert!(!outbox.enqueue(&n, 200, Admission::Send).unwrap());
    let pending = outbox.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].notification, n);
    assert_eq!((pending[0].enqueued_at, pending[0].attempts), (100, 0));
    assert_eq!(outbox.state_of("k1").unwrap(), Some(RowState::Pending));
    assert_eq!(outbox.state_of("nope").unwrap(), None);
}

#[test]
fn a_retry_waits_for_its_time_and_every_try_is_recorded() {
    let (_dir, mut outbox) = open();
    outbox
        .enqueue(&notification("hook", "k1"), 100, Admission::Send)
        .unwrap();
    assert_eq!(outbox.next_due("hook", 99).unwrap(), None);
    assert_eq!(outbox.next_due("slack", 100).unwrap(), None);
    let row = outbox.next_due("hook", 100).unwrap().unwrap();
    outbox
        .record(
            row.id,
            &tried(150, Some(500), "HTTP 500: boom", Next::RetryAt(1150)),
        )
        .unwrap();
    assert_eq!(outbox.next_due("hook", 1149).unwrap(), None);
    assert_eq!(outbox.due_channels().unwrap(), [("hook".to_owned(), 1150)]);
    let row = outbox.next_due("hook", 1150).unwrap().unwrap();
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_error.as_deref(), Some("HTTP 500: boom"));
    outbox
        .record(row.id, &tried(1200, Some(200), "HTTP 200", Next::Delivered))
        .unwrap();
    assert_eq!(outbox.next_due("hook", u64::MAX >> 1).unwrap(), None);
    assert_eq!(outbox.state_of("k1").unwrap(), Some(RowState::Delivered));

    let history = outbox.history(0).unwrap();
    let seen: Vec<_> = history
        .iter()
        .map(|a| {
            (
                a.at,
                a.outcome,
                a.code,
                a.detail.as_str(),
                a.channel.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (150, Outcome::Retry, Some(500), "HTTP 500: boom", "hook"),
            (1200, Outcome::Delivered, Some(200), "HTTP 200", "hook"),
        ]
    );
    assert_eq!(history[0].dedup_key, "k1");
    assert_eq!(history[0].duration_ms, 7);
    assert_eq!(outbox.history(1200).unwrap().len(), 1);
}

#[test]
fn pending_notifications_survive_reopening() {
    let (dir, mut outbox) = open();
    outbox
        .enqueue(&notification("hook", "k1"), 100, Admission::Send)
        .unwrap();
    drop(outbox);
    let path = dir.path().join("sub/outbox.db");
    let mut outbox = Outbox::open(&path).unwrap();
    assert_eq!(outbox.pending().unwrap().len(), 1);
    assert!(
        !outbox
            .enqueue(&notification("hook", "k1"), 200, Admission::Send)
            .unwrap()
    );
    let mode: String = outbox
        .db
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_newer_forward_replaces_one_still_waiting() {
    let (_dir, mut outbox) = open();
    outbox
        .enqueue(&notification("am", "f1"), 100, Admission::Replace)
        .unwrap();
    outbox
        .enqueue(&notification("hook", "h1"), 100, Admission::Send)
        .unwrap();
    outbox
        .enqueue(&notification("am", "f2"), 200, Admission::Replace)
        .unwrap();
    assert_eq!(outbox.state_of("f1").unwrap(), Some(RowState::Superseded));
    assert_eq!(outbox.state_of("f2").unwrap(), Some(RowState::Pending));
    assert_eq!(outbox.state_of("h1").unwrap(), Some(RowState::Pending));
    let counts = outbox.pending_counts().unwrap();
    assert_eq!(
        counts,
        [("am".to_owned(), 1), ("hook".to_owned(), 1)].into()
    );
}

#[test]
fn skipped_notifications_are_recorded_not_queued() {
    let (_dir, mut outbox) = open();
    let reason = "SLACK_URL is not set";
    assert!(
        outbox
            .enqueue(&notification("slack", "s1"), 100, Admission::Skip(reason))
            .unwrap()
    );
    assert_eq!(outbox.state_of("s1").unwrap(), Some(RowState::Skipped));
    assert!(outbox.pending().unwrap().is_empty());
    let history = outbox.history(0).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].outcome, history[0].detail.as_str()),
        (Outcome::Skipped, reason)
    );
}

#[test]
fn summaries_show_the_last_delivery_and_a_newer_error() {
    let (_dir, mut outbox) = open();
    for key in ["a", "b"] {
        outbox
            .enqueue(&notification("hook", key), 100, Admission::Send)
            .unwrap();
    }
    let a = outbox.next_due("hook", 100).unwrap().unwrap();
    outbox
        .record(a.id, &tried(110, Some(200), "HTTP 200", Next::Delivered))
        .unwrap();
    let b = outbox.next_due("hook", 100).unwrap().unwrap();
    outbox
        .record(b.id, &tried(120, Some(503), "HTTP 503", Next::RetryAt(500)))
        .unwrap();
    let summary = &outbox.channel_summaries().unwrap()["hook"];
    assert_eq!(summary.last_delivered_at, Some(110));
    assert_eq!(summary.last_error.as_deref(), Some("HTTP 503"));
    let b = outbox.next_due("hook", 500).unwrap().unwrap();
    outbox
        .record(b.id, &tried(510, Some(200), "HTTP 200", Next::Delivered))
        .unwrap();
    let summary = &outbox.channel_summaries().unwrap()["hook"];
    assert_eq!(
        (summary.last_delivered_at, summary.last_error.clone()),
        (Some(510), None)
    );
}

#[test]
fn retry_now_and_prune() {
    let (_dir, mut outbox) = open();
    outbox
        .enqueue(&notification("hook", "a"), 100, Admission::Send)
        .unwrap();
    outbox
        .enqueue(&notification("hook", "b"), 100, Admission::Send)
        .unwrap();
    let a = outbox.next_due("hook", 100).unwrap().unwrap();
    outbox
        .record(a.id, &tried(110, None, "refused", Next::RetryAt(9_000)))
        .unwrap();
    assert_eq!(outbox.retry_now("hook", 200).unwrap(), 1);
    assert_eq!(outbox.next_due("hook", 200).unwrap().unwrap().id, a.id);
    outbox
        .record(a.id, &tried(210, Some(200), "ok", Next::Delivered))
        .unwrap();
    outbox.prune(300, 300).unwrap();
    assert_eq!(outbox.state_of("a").unwrap(), None, "finished and old");
    assert_eq!(
        outbox.state_of("b").unwrap(),
        Some(RowState::Pending),
        "still waiting"
    );
    assert!(outbox.history(0).unwrap().is_empty());
}

#[test]
fn finished_forwards_are_forgotten_sooner() {
    let (_dir, mut outbox) = open();
    outbox
        .enqueue(&notification("am", "f1"), 100, Admission::Replace)
        .unwrap();
    outbox
        .enqueue(&notification("am", "f2"), 200, Admission::Replace)
        .unwrap();
    outbox
        .enqueue(&notification("hook", "h"), 200, Admission::Send)
        .unwrap();
    for channel in ["am", "hook"] {
        let row = outbox.next_due(channel, 200).unwrap().unwrap();
        outbox
            .record(row.id, &tried(210, Some(200), "ok", Next::Delivered))
            .unwrap();
    }
    outbox.prune(0, 300).unwrap();
    assert_eq!(outbox.state_of("f1").unwrap(), None, "superseded");
    assert_eq!(outbox.state_of("f2").unwrap(), None, "delivered");
    assert_eq!(outbox.state_of("h").unwrap(), Some(RowState::Delivered));
    let left: Vec<String> = outbox
        .history(0)
        .unwrap()
        .into_iter()
        .map(|a| a.channel)
        .collect();
    assert_eq!(left, ["hook"]);
}

#[test]
fn an_unreadable_row_is_failed_and_skipped_over() {
    let (_dir, mut outbox) = open();
    outbox
        .enqueue(&notification("hook", "bad"), 100, Admission::Send)
        .unwrap();
    outbox
        .enqueue(&notification("hook", "good"), 100, Admission::Send)
        .unwrap();
    outbox
        .db
        .conn()
        .execute(
            "UPDATE notifications SET body = '{' WHERE dedup_key = 'bad'",
            [],
        )
        .unwrap();
    assert_eq!(outbox.pending().unwrap().len(), 1);
    let row = outbox.next_due("hook", 100).unwrap().unwrap();
    assert_eq!(row.notification.dedup_key, "good");
    assert_eq!(outbox.state_of("bad").unwrap(), Some(RowState::Failed));
    assert!(
        outbox.history(0).unwrap()[0]
            .detail
            .starts_with("unreadable notification")
    );
}

#[test]
fn values_json_cannot_hold_still_read_back() {
    let (_dir, mut outbox) = open();
    let mut n = notification("hook", "k");
    n.alerts[0].value = f64::INFINITY;
    outbox.enqueue(&n, 100, Admission::Send).unwrap();
    let row = outbox.next_due("hook", 100).unwrap().unwrap();
    assert_eq!(row.notification.alerts[0].value, f64::MAX);
}
