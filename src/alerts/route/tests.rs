// Alert lists are written out inline at each tick; that reads better than slice::from_ref.
#![allow(clippy::cloned_ref_to_slice_refs)]

use std::path::Path;

use super::*;
use crate::alerts::channels::parse_channels;
use crate::alerts::{Ack, Severity};

const S: u64 = 1000;
const MIN: u64 = 60 * S;
const HOUR: u64 = 60 * MIN;

fn config(yaml: &str) -> ChannelsConfig {
    parse_channels(yaml, Path::new("channels.yaml"), &|_| None).unwrap()
}

const CHANNELS: &str = "channels:
  slack: { type: slack, url: 'http://127.0.0.1:1/slack' }
  email: { type: email, smtp: '127.0.0.1:1', tls: none, from: a@b.c, to: x@y.z }
  hook: { type: webhook, url: 'http://127.0.0.1:1/hook' }
  am: { type: alertmanager, url: 'http://127.0.0.1:1' }
";

/// Slack only, grouped by alertname and service unless `route` says otherwise.
fn router(route: &str) -> Router {
    let group_by = if route.contains("group_by") {
        ""
    } else {
        "  group_by: [alertname, service]\n"
    };
    let yaml = format!("{CHANNELS}route:\n  channels: [slack]\n{group_by}{route}");
    Router::new(&config(&yaml))
}

fn alert(rule: &str, service: &str, fired_at: u64) -> Alert {
    let labels: Labels = [
        ("alertname", rule),
        ("service", service),
        ("severity", "warning"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    Alert {
        id: format!("{rule}-{service}"),
        rule: rule.to_owned(),
        state: AlertState::Firing,
        severity: Severity::Warning,
        labels,
        annotations: Default::default(),
        value: 95.0,
        active_since: fired_at.saturating_sub(5 * S),
        fired_at: Some(fired_at),
        resolved_at: None,
        ack: None,
        silenced_by: None,
    }
}

fn resolved(mut alert: Alert, at: u64) -> Alert {
    alert.state = AlertState::Resolved;
    alert.resolved_at = Some(at);
    alert
}

fn acked(mut alert: Alert) -> Alert {
    alert.ack = Some(Ack {
        by: "me".into(),
        at: 0,
        comment: None,
    });
    alert
}

fn no_rule_channels(_: &str) -> Vec<String> {
    Vec::new()
}

/// Runs one tick and returns (channel, alert ids with state) of each notification.
fn tick(router: &mut Router, now: u64, alerts: &[Alert]) -> Vec<(String, Vec<String>)> {
    summarize(&router.update(now, alerts, &no_rule_channels))
}

fn summarize(notifications: &[Notification]) -> Vec<(String, Vec<String>)> {
    notifications
        .iter()
        .map(|n| {
            let ids = n
                .alerts
                .iter()
                .map(|a| format!("{} {}", a.id, a.state.as_str()))
                .collect();
            (n.channel.clone(), ids)
        })
        .collect()
}

fn sent(channel: &str, ids: &[&str]) -> Vec<(String, Vec<String>)> {
    vec![(
        channel.to_owned(),
        ids.iter().map(|s| (*s).to_owned()).collect(),
    )]
}

/// Ticks every second from `from` to `to` (exclusive) with the same alerts; returns the
/// times something was sent.
fn ticks(router: &mut Router, from: u64, to: u64, alerts: &[Alert]) -> Vec<u64> {
    (from..to)
        .step_by(S as usize)
        .filter(|&t| !tick(router, t, alerts).is_empty())
        .collect()
}

#[test]
fn a_new_group_flushes_in_the_same_tick_by_default() {
    let mut r = router("");
    let a = alert("HighCpu", "api", 0);
    let out = r.update(0, std::slice::from_ref(&a), &no_rule_channels);
    assert_eq!(out.len(), 1);
    let n = &out[0];
    assert_eq!(n.status, AlertState::Firing);
    assert_eq!(
        n.group_key,
        r#"slack/0:{alertname="HighCpu",service="api"}"#
    );
    assert_eq!(n.group_labels.len(), 2);
    assert_eq!(n.created_at, 0);
    assert_eq!(n.dedup_key.len(), 32);
}

#[test]
fn group_wait_delays_the_first_notification() {
    let mut r = router("  group_wait: 30s\n");
    let a = alert("HighCpu", "api", 0);
    assert_eq!(ticks(&mut r, 0, 30 * S, &[a.clone()]), Vec::<u64>::new());
    assert_eq!(
        tick(&mut r, 30 * S, &[a]),
        sent("slack", &["HighCpu-api firing"])
    );
}

#[test]
fn group_interval_batches_a_second_alert() {
    let mut r = router("  group_by: [alertname]\n");
    let a = alert("HighCpu", "api", 0);
    let b = alert("HighCpu", "web", 3 * S);
    assert_eq!(
        tick(&mut r, 0, &[a.clone()]),
        sent("slack", &["HighCpu-api firing"])
    );
    let both = [a.clone(), b.clone()];
    assert_eq!(ticks(&mut r, S, 10 * S, &both), Vec::<u64>::new());
    assert_eq!(
        tick(&mut r, 10 * S, &both),
        sent("slack", &["HighCpu-api firing", "HighCpu-web firing"])
    );
    // A change right after a flush waits for the next interval.
    let c = alert("HighCpu", "db", 11 * S);
    let all = [a, b, c];
    assert_eq!(ticks(&mut r, 11 * S, 20 * S, &all), Vec::<u64>::new());
    assert_eq!(tick(&mut r, 20 * S, &all).len(), 1);
}

#[test]
fn groups_split_by_group_by_labels() {
    let mut r = router("");
    let out = tick(
        &mut r,
        0,
        &[alert("HighCpu", "api", 0), alert("HighCpu", "web", 0)],
    );
    assert_eq!(out.len(), 2, "{out:?}");
}

#[test]
fn an_unchanged_firing_group_repeats_every_repeat_interval() {
    let mut r = router("  repeat_interval: 1m\n");
    let a = [alert("HighCpu", "api", 0)];
    let first = r.update(0, &a, &no_rule_channels);
    assert_eq!(ticks(&mut r, S, 3 * MIN + S, &a), [MIN, 2 * MIN, 3 * MIN]);
    let mut r2 = router("  repeat_interval: 1m\n");
    r2.update(0, &a, &no_rule_channels);
    let mut keys = vec![first[0].dedup_key.clone()];
    for t in (S..=2 * MIN).step_by(S as usize) {
        keys.extend(
            r2.update(t, &a, &no_rule_channels)
                .into_iter()
                .map(|n| n.dedup_key),
        );
    }
    keys.dedup();
    assert_eq!(keys.len(), 3, "every repeat is a new notification");
}

#[test]
fn acknowledged_alerts_never_cause_repeats() {
    let mut r = router("  repeat_interval: 1m\n  group_by: [alertname]\n");
    let a = acked(alert("HighCpu", "api", 0));
    assert_eq!(tick(&mut r, 0, &[a.clone()]).len(), 1, "first notification");
    assert_eq!(ticks(&mut r, S, 5 * MIN, &[a.clone()]), Vec::<u64>::new());

    // An unacknowledged alert in the group still repeats it, acked one included.
    let b = alert("HighCpu", "web", 5 * MIN);
    let both = [a, b];
    assert_eq!(tick(&mut r, 5 * MIN, &both).len(), 1, "b is new");
    assert_eq!(ticks(&mut r, 5 * MIN + S, 6 * MIN + S, &both), [6 * MIN]);
}

#[test]
fn acknowledging_stops_the_repeats_of_a_firing_group() {
    let mut r = router("  repeat_interval: 1m\n");
    let a = alert("HighCpu", "api", 0);
    tick(&mut r, 0, &[a.clone()]);
    assert_eq!(ticks(&mut r, S, MIN + S, &[a.clone()]), [MIN]);
    assert_eq!(
        ticks(&mut r, MIN + S, 10 * MIN, &[acked(a)]),
        Vec::<u64>::new()
    );
}

#[test]
fn silenced_alerts_are_never_notified() {
    let mut r = router("  group_by: [alertname]\n");
    let mut quiet = alert("HighCpu", "api", 0);
    quiet.silenced_by = Some("abcd1234".into());
    assert_eq!(
        ticks(&mut r, 0, 20 * S, &[quiet.clone()]),
        Vec::<u64>::new()
    );
    let loud = alert("HighCpu", "web", 20 * S);
    assert_eq!(
        tick(&mut r, 20 * S, &[quiet.clone(), loud.clone()]),
        sent("slack", &["HighCpu-web firing"])
    );
    let quiet_resolved = resolved(quiet, 25 * S);
    assert_eq!(
        ticks(&mut r, 21 * S, 60 * S, &[quiet_resolved, loud]),
        Vec::<u64>::new()
    );
}

#[test]
fn resolved_alerts_are_sent_once() {
    let mut r = router("");
    let a = alert("HighCpu", "api", 0);
    tick(&mut r, 0, &[a.clone()]);
    let done = resolved(a, 5 * S);
    // The evaluator keeps listing the resolved alert for a while.
    assert_eq!(
        ticks(&mut r, 5 * S, 10 * S, &[done.clone()]),
        Vec::<u64>::new()
    );
    let out = r.update(10 * S, &[done.clone()], &no_rule_channels);
    assert_eq!(summarize(&out), sent("slack", &["HighCpu-api resolved"]));
    assert_eq!(out[0].status, AlertState::Resolved);
    assert_eq!(ticks(&mut r, 11 * S, 10 * MIN, &[done]), Vec::<u64>::new());
}

#[test]
fn send_resolved_false_suppresses_resolved_only_notifications() {
    let mut r = router("  send_resolved: false\n  group_by: [alertname]\n");
    let a = alert("HighCpu", "api", 0);
    let b = alert("HighCpu", "web", 0);
    tick(&mut r, 0, &[a.clone(), b.clone()]);
    let a_done = resolved(a, 2 * S);
    assert_eq!(
        ticks(&mut r, S, MIN, &[a_done.clone(), b.clone()]),
        Vec::<u64>::new()
    );
    let b_done = resolved(b, MIN);
    assert_eq!(
        ticks(&mut r, MIN, 5 * MIN, &[a_done, b_done]),
        Vec::<u64>::new()
    );
}

#[test]
fn an_alert_that_fired_and_resolved_before_the_first_flush_is_not_sent() {
    let mut r = router("  group_wait: 30s\n");
    let a = alert("HighCpu", "api", 0);
    tick(&mut r, 0, &[a.clone()]);
    assert_eq!(
        ticks(&mut r, S, 5 * MIN, &[resolved(a, 10 * S)]),
        Vec::<u64>::new()
    );
}

#[test]
fn a_dormant_group_wakes_for_a_new_episode() {
    let mut r = router("  group_wait: 5s\n");
    let a = alert("HighCpu", "api", 0);
    assert_eq!(ticks(&mut r, 0, 6 * S, &[a.clone()]), [5 * S]);
    assert_eq!(
        ticks(&mut r, 6 * S, 20 * S, &[resolved(a, 6 * S)]),
        [15 * S]
    );
    let again = alert("HighCpu", "api", 20 * S);
    assert_eq!(
        ticks(&mut r, 20 * S, 26 * S, &[again]),
        [25 * S],
        "group_wait again"
    );
}

#[test]
fn continue_lets_later_routes_take_an_alert() {
    let yaml = format!(
        "{CHANNELS}route:
  channels: [slack]
  routes:
    - match: [severity=critical]
      channels: [email]
      continue: true
    - match: ['service=~\"web|api\"']
      channels: [hook]
    - match: [service=db]
      channels: [email, slack]
"
    );
    let mut r = Router::new(&config(&yaml));
    let mut a = alert("Down", "web", 0);
    a.labels.insert("severity".into(), "critical".into());
    let b = alert("Down", "db", 0);
    let c = alert("Other", "x", 0);
    let mut out = tick(&mut r, 0, &[a, b, c]);
    out.sort();
    let expected = [
        ("email", "Down-db firing"),
        ("email", "Down-web firing"),
        ("hook", "Down-web firing"),
        ("slack", "Down-db firing"),
        ("slack", "Other-x firing"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(c, id)| ((*c).to_owned(), vec![(*id).to_owned()]))
        .collect();
    assert_eq!(out, expected);
}

#[test]
fn a_rules_own_channels_bypass_the_tree() {
    let mut r = router("  group_wait: 30s\n");
    let own = |rule: &str| {
        if rule == "Mine" {
            vec!["hook".to_owned(), "email".to_owned()]
        } else {
            Vec::new()
        }
    };
    let alerts = [alert("Mine", "api", 0), alert("Theirs", "api", 0)];
    let out = r.update(0, &alerts, &own);
    assert!(out.is_empty(), "root group_wait applies to both");
    let mut out = r.update(30 * S, &alerts, &own);
    out.sort_by(|a, b| a.channel.cmp(&b.channel));
    let keys: Vec<&str> = out.iter().map(|n| n.group_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            r#"email/rule:{alertname="Mine",service="api"}"#,
            r#"hook/rule:{alertname="Mine",service="api"}"#,
            r#"slack/0:{alertname="Theirs",service="api"}"#,
        ]
    );
}

#[test]
fn pending_alerts_are_ignored() {
    let mut r = router("");
    let mut a = alert("HighCpu", "api", 0);
    a.state = AlertState::Pending;
    a.fired_at = None;
    assert_eq!(tick(&mut r, 0, &[a]), Vec::new());
}

#[test]
fn dedup_keys_survive_a_restart_and_change_with_content_and_repeats() {
    let a = alert("HighCpu", "api", 0);
    let mut before = router("");
    let first = before.update(0, &[a.clone()], &no_rule_channels);
    // The engine restarts 2 minutes later and restores the same alert.
    let mut after = router("");
    let again = after.update(2 * MIN, &[a.clone()], &no_rule_channels);
    assert_eq!(first[0].dedup_key, again[0].dedup_key);
    assert_ne!(first[0].created_at, again[0].created_at);

    // Before the restart: the first repeat at 4 h.
    let repeat = (1..=4 * 360)
        .flat_map(|i| before.update(i * 10 * S, &[a.clone()], &no_rule_channels))
        .next()
        .unwrap();
    assert_eq!(repeat.created_at, 4 * HOUR);
    // A restart after it: the same repeat number, so the same key (not sent twice) ...
    let mut late = router("");
    let restored = late.update(5 * HOUR, &[a.clone()], &no_rule_channels);
    assert_eq!(restored[0].dedup_key, first[0].dedup_key);
    // ... and its own next repeat is a new one.
    let next = late.update(9 * HOUR, &[a.clone()], &no_rule_channels);
    assert!(![&first[0].dedup_key, &repeat.dedup_key].contains(&&next[0].dedup_key));

    // Another channel or another episode is another notification.
    let other_episode = alert("HighCpu", "api", 7 * S);
    let n = router("").update(0, &[other_episode], &no_rule_channels);
    assert_ne!(n[0].dedup_key, first[0].dedup_key);
}

#[test]
fn a_resolution_restored_after_a_restart_has_the_key_it_had() {
    let a = alert("HighCpu", "api", 0);
    let done = resolved(a.clone(), 5 * S);
    let mut before = router("");
    before.update(0, &[a], &no_rule_channels);
    let told = before.update(10 * S, &[done.clone()], &no_rule_channels);
    let mut after = router("");
    let again = after.update(MIN, &[done.clone()], &no_rule_channels);
    assert_eq!(told[0].dedup_key, again[0].dedup_key);
    assert_eq!(again[0].status, AlertState::Resolved);
    assert!(after.update(2 * MIN, &[done], &no_rule_channels).is_empty());
}

#[test]
fn alertmanager_channels_get_every_active_alert_on_change_and_every_minute() {
    let yaml = format!("{CHANNELS}route:\n  channels: [am]\n");
    let mut r = Router::new(&config(&yaml));
    let a = alert("HighCpu", "api", 0);
    let b = alert("DiskFull", "db", 0);
    let mut silenced = alert("Quiet", "x", 0);
    silenced.silenced_by = Some("s1".into());
    let out = r.update(0, &[a.clone(), silenced.clone()], &no_rule_channels);
    assert_eq!(summarize(&out), sent("am", &["HighCpu-api firing"]));
    assert_eq!(out[0].group_key, "am/forward");
    // Unchanged: nothing until a minute has passed.
    assert_eq!(ticks(&mut r, S, MIN, &[a.clone()]), Vec::<u64>::new());
    assert_eq!(tick(&mut r, MIN, &[a.clone()]).len(), 1);
    // A change goes out at once, with every active alert, resolved ones included.
    let a_done = resolved(a, MIN + 2 * S);
    assert_eq!(
        tick(&mut r, MIN + 2 * S, &[a_done.clone(), b]),
        sent("am", &["DiskFull-db firing", "HighCpu-api resolved"])
    );
    assert_eq!(tick(&mut r, MIN + 3 * S, &[]), Vec::new());
    assert_eq!(ticks(&mut r, MIN + 4 * S, 5 * MIN, &[]), Vec::<u64>::new());
}
