//! Failed deploys: a service whose latest deploy failed (the release that served still
//! does) or was rolled back (its new release failed the gate or the soak): the stage, the
//! error, the end of that stage's log.

use crate::assist::finding::{Evidence, EvidenceKind, Finding, Severity, Suggestion};
use crate::deploy::model::{DeployState, Deployment, StageStatus};

use super::Facts;

/// Lines of the failed stage's log shown as evidence.
const LOG_LINES: usize = 5;

pub fn analyze(facts: &Facts) -> Vec<Finding> {
    latest(facts).into_iter().filter_map(failed).collect()
}

/// Each service's latest deploy: the engine's own word, else the deploy history's.
fn latest(facts: &Facts) -> Vec<&Deployment> {
    let mut out: Vec<&Deployment> = facts.snapshot.deploys.iter().collect();
    for d in &facts.deploys {
        if !out.iter().any(|o| o.service == d.service) {
            out.push(d);
        }
    }
    out
}

fn failed(d: &Deployment) -> Option<Finding> {
    let outcome = match d.state {
        DeployState::Failed => "failed",
        DeployState::RolledBack => "was rolled back",
        _ => return None,
    };
    let stage = (d.stages.iter())
        .rfind(|s| s.status == StageStatus::Failed)
        .or_else(|| d.stages.last());
    let at = stage.map(|s| format!(" at {}", s.stage.as_str()));
    let what = match &d.commit {
        Some(commit) => format!("{} at {}", d.git_ref, &commit[..commit.len().min(7)]),
        None => d.git_ref.clone(),
    };
    let why = d
        .cause
        .as_deref()
        .map(|c| format!(": {c}"))
        .unwrap_or_default();
    let cause = format!(
        "the latest deploy of {} (#{} of {what}) {outcome}{}{why}",
        d.service,
        d.id,
        at.unwrap_or_default()
    );
    let mut evidence = vec![Evidence {
        kind: EvidenceKind::Deploy,
        text: format!(
            "deploy #{} by {} ({}): {}",
            d.id,
            d.by,
            d.trigger,
            (d.stages.iter())
                .map(|s| format!("{} {:?}", s.stage.as_str(), s.status).to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        at_ms: Some(d.started_at),
    }];
    if let Some(stage) = stage {
        let lines: Vec<&str> = stage.log.lines().filter(|l| !l.trim().is_empty()).collect();
        evidence.extend(
            lines[lines.len().saturating_sub(LOG_LINES)..]
                .iter()
                .map(|l| Evidence {
                    kind: EvidenceKind::Log,
                    text: format!("{}: {l}", stage.stage.as_str()),
                    at_ms: stage.ended_at,
                }),
        );
    }
    Some(Finding {
        analyzer: "deploy_failed".into(),
        severity: Severity::Warning,
        rank: 4,
        service: Some(d.service.clone()),
        cause,
        evidence,
        actions: actions(d),
        since_ms: Some(d.ended_at.unwrap_or(d.started_at)),
    })
}

/// A failed deploy that had switched is half done: going back is the fix. Otherwise the
/// old release serves and the logs tell why the new one did not.
fn actions(d: &Deployment) -> Vec<Suggestion> {
    let mut out = Vec::new();
    if d.state == DeployState::Failed && d.switched {
        out.push(Suggestion::Rollback {
            service: d.service.clone(),
        });
    }
    out.push(Suggestion::Logs {
        service: Some(d.service.clone()),
        pattern: None,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::model::{Stage, StageRun};
    use crate::protocol::Snapshot;

    fn deploy(id: u64, state: DeployState, stages: Vec<StageRun>, cause: &str) -> Deployment {
        Deployment {
            id,
            service: "app".into(),
            trigger: "manual".into(),
            by: "ana".into(),
            git_ref: "main".into(),
            commit: Some("3f2a9c1d2e".into()),
            release: None,
            previous: None,
            state,
            stages,
            cause: Some(cause.into()),
            started_at: 1_000,
            ended_at: Some(2_000),
            switched: false,
            colours: None,
            approval: None,
        }
    }

    fn stage(stage: Stage, status: StageStatus, log: &str) -> StageRun {
        StageRun {
            stage,
            status,
            started_at: 1_000,
            ended_at: Some(2_000),
            log: log.into(),
        }
    }

    fn facts(deploys: Vec<Deployment>) -> Facts {
        Facts {
            snapshot: Snapshot {
                deploys,
                ..Snapshot::default()
            },
            ..Facts::default()
        }
    }

    #[test]
    fn a_failed_build_names_the_stage_the_error_and_its_log() {
        let stages = vec![
            stage(Stage::Fetch, StageStatus::Passed, ""),
            stage(
                Stage::Build,
                StageStatus::Failed,
                "compiling\nerror: no such module\n",
            ),
        ];
        let d = deploy(4, DeployState::Failed, stages, "build exited with code 2");
        let f = analyze(&facts(vec![d]));
        assert_eq!(
            f[0].cause,
            "the latest deploy of app (#4 of main at 3f2a9c1) failed at build: build exited \
             with code 2"
        );
        assert_eq!(
            f[0].evidence[0].text,
            "deploy #4 by ana (manual): fetch passed, build failed"
        );
        assert_eq!(f[0].evidence[2].text, "build: error: no such module");
        assert_eq!(
            f[0].actions,
            [Suggestion::Logs {
                service: Some("app".into()),
                pattern: None
            }]
        );
    }

    #[test]
    fn a_rollback_names_the_gate_and_a_success_is_nothing() {
        let stages = vec![
            stage(Stage::Gate, StageStatus::Failed, "GET /up: 500"),
            stage(Stage::Rollback, StageStatus::Passed, ""),
        ];
        let d = deploy(5, DeployState::RolledBack, stages, "the gate failed: 500");
        let f = analyze(&facts(vec![d]));
        assert!(
            f[0].cause
                .contains("was rolled back at gate: the gate failed: 500")
        );
        let ok = deploy(6, DeployState::Succeeded, vec![], "");
        assert!(analyze(&facts(vec![ok])).is_empty());
    }

    #[test]
    fn the_history_speaks_for_a_service_the_snapshot_does_not_list() {
        let mut f = facts(vec![]);
        f.deploys = vec![deploy(7, DeployState::Failed, vec![], "fetch failed")];
        assert_eq!(analyze(&f).len(), 1);
    }
}
