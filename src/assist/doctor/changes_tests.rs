use std::collections::BTreeMap;

use super::*;
use crate::alerts::model::Alert;
use crate::deploy::model::DeployState;
use crate::logs::LevelCounts;
use crate::protocol::{ServiceStatus, Snapshot};

fn facts() -> Facts {
    Facts {
        snapshot: Snapshot {
            services: vec![ServiceStatus::new("api"), ServiceStatus::new("web")],
            ..Snapshot::default()
        },
        ..Facts::default()
    }
}

fn errors_pattern(first_seen: u64) -> PatternInfo {
    PatternInfo {
        id: 1,
        template: "ERROR db connect to <*> refused".into(),
        count: 12,
        first_seen,
        last_seen: first_seen + 5_000,
        examples: vec!["ERROR db connect to 10.0.0.5 refused".into()],
        levels: LevelCounts([0, 0, 0, 0, 0, 12, 0]),
        sources: vec!["api".into()],
        flag: None,
        rate: vec![],
        new: true,
    }
}

fn revision(id: u64, at: u64, changed: &[&str]) -> ConfigChange {
    ConfigChange {
        id,
        at,
        reason: "reload".into(),
        author: "ana".into(),
        environment: Some("dev".into()),
        switched_from: None,
        changed: changed.iter().map(|c| (*c).to_owned()).collect(),
    }
}

#[test]
fn new_errors_after_a_revision_name_it_and_its_fields() {
    let mut f = facts();
    f.config_changes = vec![
        revision(6, 10_000, &["services.web.command"]),
        revision(7, 100_000, &["services.api.env.DB_URL"]),
    ];
    f.patterns = vec![errors_pattern(140_000)];
    let found = analyze(&f);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].cause,
        "errors in api started 40s after revision 7 (env.DB_URL changed)"
    );
    assert_eq!(found[0].service.as_deref(), Some("api"));
    assert_eq!(
        found[0].evidence[0].text,
        "revision 7 applied by ana (reload): services.api.env.DB_URL"
    );
    assert_eq!(
        found[0].actions[0],
        Suggestion::Logs {
            service: Some("api".into()),
            pattern: Some("ERROR db connect to".into())
        }
    );
}

#[test]
fn a_change_to_the_symptoms_service_beats_a_later_one_elsewhere() {
    let mut f = facts();
    f.config_changes = vec![
        revision(7, 100_000, &["services.api.env.DB_URL"]),
        revision(8, 130_000, &["services.web.command"]),
    ];
    f.patterns = vec![errors_pattern(140_000)];
    assert!(analyze(&f)[0].cause.contains("revision 7"));
}

#[test]
fn a_switch_or_a_deploy_before_a_firing_alert_explains_it() {
    let mut f = facts();
    let mut switch = revision(9, 100_000, &["services.api.env.MODE"]);
    switch.switched_from = Some("staging".into());
    switch.environment = Some("prod".into());
    f.config_changes = vec![switch];
    f.snapshot.alerts = vec![Alert {
        id: "a".into(),
        rule: "HighLatency".into(),
        state: AlertState::Firing,
        severity: AlertSeverity::Critical,
        labels: BTreeMap::from([("service".to_owned(), "web".to_owned())]),
        annotations: BTreeMap::new(),
        value: 2.5,
        active_since: 110_000,
        fired_at: Some(115_000),
        resolved_at: None,
        ack: None,
        silenced_by: None,
    }];
    let found = analyze(&f);
    assert_eq!(
        found[0].cause,
        "alert HighLatency{service=web} firing started 15s after the switch from staging to \
         prod (revision 9)"
    );
    assert_eq!(found[0].severity, Severity::Critical);
}

#[test]
fn a_deploy_is_a_change_with_a_rollback() {
    let mut f = facts();
    f.deploys = vec![Deployment {
        id: 3,
        service: "api".into(),
        trigger: "manual".into(),
        by: "ana".into(),
        git_ref: "main".into(),
        commit: None,
        release: None,
        previous: None,
        state: DeployState::Succeeded,
        stages: vec![],
        cause: None,
        started_at: 90_000,
        ended_at: Some(100_000),
        switched: true,
        colours: None,
        approval: None,
    }];
    f.patterns = vec![errors_pattern(105_000)];
    let found = analyze(&f);
    assert_eq!(
        found[0].cause,
        "errors in api started 5s after deploy #3 of api (main, succeeded)"
    );
    assert!(found[0].actions.contains(&Suggestion::Rollback {
        service: "api".into()
    }));
    // A failed attempt after it is nearer: the symptom is that deploy's, not this one's.
    let mut failed = f.deploys[0].clone();
    (failed.id, failed.state, failed.switched) = (4, DeployState::Failed, false);
    (failed.started_at, failed.ended_at) = (101_000, Some(102_000));
    f.deploys.insert(0, failed);
    assert!(analyze(&f).is_empty(), "a failed deploy changed nothing");
}

#[test]
fn old_patterns_and_symptoms_with_nothing_before_them_are_left_alone() {
    let mut f = facts();
    f.config_changes = vec![revision(7, 100_000, &["services.api.env.DB_URL"])];
    let mut old = errors_pattern(140_000);
    old.new = false;
    f.patterns = vec![old];
    assert!(analyze(&f).is_empty());
    f.patterns = vec![errors_pattern(100_000 + BEFORE_MS + 1)];
    assert!(analyze(&f).is_empty(), "too long after");
    f.patterns = vec![errors_pattern(50_000)];
    assert!(analyze(&f).is_empty(), "before the change");
}

#[test]
fn a_restart_explains_errors_elsewhere_but_not_its_own_services() {
    let mut f = facts();
    f.heal = vec![crate::heal::event::HealEvent {
        at: 100_000,
        service: Some("api".into()),
        kind: HealKind::Restart,
        reason: "exited with code 1; restarting in 1s".into(),
        detail: None,
        logs: vec![],
        escalate: false,
    }];
    f.patterns = vec![errors_pattern(105_000)];
    assert!(analyze(&f).is_empty(), "api's own crash loop");
    f.patterns[0].sources = vec!["web".into()];
    assert_eq!(
        analyze(&f)[0].cause,
        "errors in web started 5s after a restart of api (exited with code 1; restarting in 1s)"
    );
}
