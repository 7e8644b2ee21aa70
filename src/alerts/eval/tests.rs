use std::path::Path;

use super::*;
use crate::alerts::fixtures::{process, readings};
use crate::alerts::model::Labels;
use crate::alerts::readings::{FixedReadings, ProbeTarget};
use crate::alerts::rules::parse_rules;

fn rules(body: &str) -> RuleSet {
    let text = format!("rules:\n{body}");
    parse_rules(&text, Path::new("test.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn cpu_rule(extra: &str) -> RuleSet {
    rules(&format!(
        "  - name: HighCpu\n    expr: cpu > 80\n    annotations: {{ summary: 'CPU {{{{ $value }}}}%' }}\n{extra}"
    ))
}

/// Runs one evaluation per value, a second apart from `start_ms`; returns (time, from,
/// to) of every change.
fn run(
    ev: &mut Evaluator,
    start_ms: u64,
    cpu: &[f32],
) -> Vec<(u64, Option<AlertState>, Transition)> {
    let mut out = Vec::new();
    for (i, value) in cpu.iter().enumerate() {
        let now = start_ms + 1000 * i as u64;
        for change in ev.evaluate(now, &readings(*value)) {
            out.push((now, change.from, change.to));
        }
    }
    out
}

fn ack(by: &str) -> Ack {
    Ack {
        by: by.to_owned(),
        at: 1,
        comment: None,
    }
}

use AlertState::{Firing, Pending, Resolved};

#[test]
fn pending_fires_only_after_for() {
    let mut ev = Evaluator::new(cpu_rule("    for: 3s\n"));
    let changes = run(&mut ev, 0, &[85.0, 86.0, 87.0, 88.0, 89.0]);
    assert_eq!(
        changes,
        [
            (0, None, Transition::Pending),
            (3000, Some(Pending), Transition::Firing)
        ]
    );
    let alert = &ev.alerts()[0];
    assert_eq!(alert.state, Firing);
    assert_eq!((alert.active_since, alert.fired_at), (0, Some(3000)));
    assert_eq!(alert.value, 89.0);
    assert_eq!(alert.annotations["summary"], "CPU 89%");
}

#[test]
fn no_for_fires_on_the_first_evaluation() {
    let mut ev = Evaluator::new(cpu_rule(""));
    let changes = ev.evaluate(5000, &readings(90.5));
    assert_eq!(changes.len(), 1);
    let change = &changes[0];
    assert_eq!((change.from, change.to), (None, Transition::Firing));
    assert_eq!(change.alert.state, Firing);
    assert_eq!(change.alert.fired_at, Some(5000));
    assert_eq!(change.alert.annotations["summary"], "CPU 90.5%");
}

#[test]
fn firing_resolves_expires_and_comes_back_under_the_same_id() {
    let mut ev = Evaluator::new(cpu_rule(""));
    assert_eq!(run(&mut ev, 0, &[90.0])[0].2, Transition::Firing);
    let id = ev.alerts()[0].id.clone();
    ev.ack(&id, ack("me")).unwrap();
    assert_eq!(
        run(&mut ev, 1000, &[50.0]),
        [(1000, Some(Firing), Transition::Resolved)]
    );
    let resolved = &ev.alerts()[0];
    assert_eq!(
        (resolved.state, resolved.resolved_at),
        (Resolved, Some(1000))
    );
    assert_eq!(resolved.ack, None, "a resolved alert drops its ack");

    // Back within 5 minutes: a new incident, same id.
    assert_eq!(
        run(&mut ev, 60_000, &[95.0]),
        [(60_000, Some(Resolved), Transition::Firing)]
    );
    let again = &ev.alerts()[0];
    assert_eq!(again.id, id);
    assert_eq!((again.active_since, again.resolved_at), (60_000, None));

    // Resolved for 5 minutes: gone.
    run(&mut ev, 61_000, &[10.0]);
    assert!(run(&mut ev, 61_000 + 299_000, &[10.0]).is_empty());
    assert_eq!(
        run(&mut ev, 61_000 + 300_000, &[10.0]),
        [(361_000, Some(Resolved), Transition::Expired)]
    );
    assert!(ev.alerts().is_empty());
}

#[test]
fn keep_firing_for_rides_through_a_dip() {
    let mut ev = Evaluator::new(cpu_rule("    keep_firing_for: 3s\n"));
    let mut cpu = vec![90.0, 90.0, 50.0, 50.0, 50.0, 90.0];
    cpu.extend([50.0; 5]);
    let changes = run(&mut ev, 0, &cpu);
    // Below from t=6s: still firing at 6, 7, 8, resolved at 9.
    assert_eq!(
        changes,
        [
            (0, None, Transition::Firing),
            (9000, Some(Firing), Transition::Resolved)
        ]
    );
}

#[test]
fn hysteresis_fires_once_and_never_flaps() {
    let mut ev = Evaluator::new(cpu_rule("    clear: 70\n"));
    let wobble: Vec<f32> = (0..60)
        .map(|i| if i % 2 == 0 { 79.0 } else { 81.0 })
        .collect();
    let changes = run(&mut ev, 0, &wobble);
    assert_eq!(changes, [(1000, None, Transition::Firing)]);
    // 75 is still above `clear`; 69 is not.
    assert!(run(&mut ev, 60_000, &[75.0, 71.0]).is_empty());
    assert_eq!(
        run(&mut ev, 62_000, &[69.0]),
        [(62_000, Some(Firing), Transition::Resolved)]
    );
}

#[test]
fn without_clear_an_oscillation_shorter_than_for_never_fires() {
    let mut ev = Evaluator::new(cpu_rule("    for: 3s\n"));
    let wobble: Vec<f32> = (0..60)
        .map(|i| if i % 2 == 0 { 79.0 } else { 81.0 })
        .collect();
    let changes = run(&mut ev, 0, &wobble);
    // Up at every odd second, down at every even one: 30 pendings, 29 drops.
    assert_eq!(changes.len(), 59);
    assert!(changes.iter().all(|(_, _, to)| *to != Transition::Firing));
    assert!(
        changes
            .iter()
            .filter(|(_, from, _)| *from == Some(Pending))
            .all(|(_, _, to)| *to == Transition::Dropped)
    );
    assert!(ev.alerts().iter().all(|a| a.state == Pending));
}

#[test]
fn fingerprints_are_stable() {
    let forward: Labels = [
        ("alertname", "HighCpu"),
        ("service", "api"),
        ("severity", "warning"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let mut backward = Labels::new();
    for (k, v) in forward.iter().rev() {
        backward.insert(k.clone(), v.clone());
    }
    assert_eq!(
        fingerprint("HighCpu", &forward),
        fingerprint("HighCpu", &backward)
    );
    // SHA-256 of "HighCpu" + "\xffalertname\xffHighCpu\xffservice\xffapi\xffseverity\xffwarning".
    assert_eq!(fingerprint("HighCpu", &forward), "8fb85556eda5cf36");
    assert_ne!(
        fingerprint("HighCpu2", &forward),
        fingerprint("HighCpu", &forward)
    );
}

#[test]
fn each_service_above_the_threshold_gets_its_own_alert() {
    let mut ev = Evaluator::new(rules(
        "  - name: Busy\n    expr: service_cpu > 50\n    labels: { team: ops }\n",
    ));
    let changes = ev.evaluate(0, &readings(10.0));
    let mut services: Vec<&str> = changes
        .iter()
        .map(|c| c.alert.labels["service"].as_str())
        .collect();
    services.sort_unstable();
    assert_eq!(services, ["api", "db"]);
    let alert = ev
        .alerts()
        .into_iter()
        .find(|a| a.labels["service"] == "api")
        .unwrap();
    let keys: Vec<&str> = alert.labels.keys().map(String::as_str).collect();
    assert_eq!(keys, ["alertname", "service", "severity", "team"]);
    assert_eq!(alert.id, fingerprint("Busy", &alert.labels));
    assert_eq!(alert.value, 80.0);
}

#[test]
fn missing_data_never_fires() {
    let mut ev = Evaluator::new(rules(concat!(
        "  - name: Port\n    expr: port_open(8080) == 0\n",
        "  - name: Logs\n    expr: log_rate(api, level=ERROR) >= 0\n",
        "  - name: Cpu\n    expr: cpu >= 0\n",
        "  - name: Healthy\n    expr: service_healthy{service=\"cron\"} == 0\n",
    )));
    let mut empty = readings(10.0);
    empty.sample = None;
    for t in 0..5 {
        assert!(ev.evaluate(t * 1000, &empty).is_empty());
    }
    assert!(ev.alerts().is_empty());
}

#[test]
fn a_series_that_disappears_stops_holding() {
    let mut ev = Evaluator::new(rules("  - name: Port\n    expr: port_open(8080) == 0\n"));
    let probe = ProbeTarget::Port {
        host: "127.0.0.1".to_owned(),
        port: 8080,
    };
    let mut r = FixedReadings::default();
    r.probes.insert(probe, false);
    assert_eq!(ev.evaluate(0, &r)[0].to, Transition::Firing);
    assert_eq!(ev.alerts()[0].labels["instance"], "127.0.0.1:8080");
    r.probes.clear();
    let changes = ev.evaluate(1000, &r);
    assert_eq!(
        (changes[0].from, changes[0].to),
        (Some(Firing), Transition::Resolved)
    );
    // The last value is kept.
    assert_eq!(changes[0].alert.value, 0.0);
}

#[test]
fn restored_alerts_keep_counting_for() {
    let set = cpu_rule("    for: 10s\n");
    let mut first = Evaluator::new(set.clone());
    run(&mut first, 0, &[90.0]);
    let saved = first.alerts();

    let mut second = Evaluator::new(set);
    second.restore(saved.clone());
    assert_eq!(second.alerts(), saved);
    assert!(run(&mut second, 5000, &[90.0]).is_empty());
    assert_eq!(
        run(&mut second, 10_000, &[90.0]),
        [(10_000, Some(Pending), Transition::Firing)]
    );
    assert_eq!(second.alerts()[0].active_since, 0);

    // A rule that labels its alerts differently now does not take old alerts over.
    let mut third = Evaluator::new(cpu_rule("    severity: critical\n"));
    third.restore(saved);
    assert!(third.alerts().is_empty());
}

#[test]
fn reloading_keeps_unchanged_rules_and_removes_the_others() {
    let two = |cpu_summary: &str, mem: &str| {
        rules(&format!(
            "  - name: Cpu\n    expr: cpu > 80\n    for: 3s\n    annotations: {{ summary: '{cpu_summary}' }}\n  - name: Mem\n    expr: {mem}\n    for: 3s\n"
        ))
    };
    let mut ev = Evaluator::new(two("a", "mem_pct > 50"));
    run(&mut ev, 0, &[90.0]);
    assert_eq!(ev.alerts().len(), 2);

    let changes = ev.set_rules(two("b {{ $value }}", "mem_pct > 60"));
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].alert.rule, "Mem");
    assert_eq!(
        (changes[0].from, changes[0].to),
        (Some(Pending), Transition::Removed)
    );

    // Cpu kept counting from 0; Mem starts over at 1 s.
    let changes = run(&mut ev, 1000, &[90.0, 90.0, 90.0, 90.0]);
    assert_eq!(
        changes,
        [
            (1000, None, Transition::Pending),
            (3000, Some(Pending), Transition::Firing),
            (4000, Some(Pending), Transition::Firing),
        ]
    );
    let cpu = ev.alerts().into_iter().find(|a| a.rule == "Cpu").unwrap();
    assert_eq!(cpu.annotations["summary"], "b 90");

    let removed = ev.set_rules(RuleSet::default());
    assert_eq!(removed.len(), 2);
    assert!(ev.alerts().is_empty());
}

#[test]
fn acks_take_a_unique_prefix() {
    // 17 services: two alert ids must share their first digit.
    let mut r = readings(10.0);
    if let Some(sample) = r.sample.as_mut() {
        sample.services = (0..17).map(|i| process(&format!("s{i}"), 90.0)).collect();
    }
    let mut ev = Evaluator::new(rules("  - name: Busy\n    expr: service_cpu > 50\n"));
    ev.evaluate(0, &r);
    let ids: Vec<String> = ev.alerts().into_iter().map(|a| a.id).collect();
    let shared = ids
        .iter()
        .map(|id| &id[..1])
        .find(|p| ids.iter().filter(|id| id.starts_with(p)).count() > 1)
        .unwrap();
    match ev.ack(shared, ack("me")) {
        Err(AckError::Ambiguous { prefix, ids }) => {
            assert_eq!(prefix, shared);
            assert!(ids.len() > 1 && ids.iter().all(|id| id.starts_with(shared)));
        }
        other => panic!("expected ambiguous, got {other:?}"),
    }

    let target = &ids[0];
    let unique = (1..=16)
        .map(|n| &target[..n])
        .find(|p| ids.iter().filter(|id| id.starts_with(p)).count() == 1)
        .unwrap();
    let acked = ev.ack(&unique.to_ascii_uppercase(), ack("ann")).unwrap();
    assert_eq!(&acked.id, target);
    assert_eq!(acked.ack.as_ref().map(|a| a.by.as_str()), Some("ann"));
    let listed = ev.alerts().into_iter().find(|a| &a.id == target).unwrap();
    assert!(listed.ack.is_some() && !listed.needs_attention());

    assert_eq!(
        ev.ack("zz", ack("me")),
        Err(AckError::Unknown("zz".to_owned()))
    );
    assert_eq!(ev.ack("", ack("me")), Err(AckError::Unknown(String::new())));
}

#[test]
fn resolved_alerts_cannot_be_acknowledged() {
    let mut ev = Evaluator::new(cpu_rule(""));
    run(&mut ev, 0, &[90.0, 10.0]);
    let id = ev.alerts()[0].id.clone();
    assert_eq!(ev.ack(&id, ack("me")), Err(AckError::Resolved(id.clone())));
}

#[test]
fn rule_channels_are_looked_up_by_name() {
    let ev = Evaluator::new(cpu_rule("    channels: [slack, email]\n"));
    assert_eq!(ev.rule_channels("HighCpu"), ["slack", "email"]);
    assert!(ev.rule_channels("Nope").is_empty());
}
