use super::*;
use crate::assist::finding::Severity;

fn finding(analyzer: &str, actions: Vec<Suggestion>) -> Finding {
    Finding {
        analyzer: analyzer.into(),
        severity: Severity::Warning,
        rank: 0,
        service: None,
        cause: String::new(),
        evidence: vec![],
        actions,
        since_ms: None,
    }
}

fn diagnosis(findings: Vec<Finding>) -> Diagnosis {
    Diagnosis {
        findings,
        ..Default::default()
    }
}

fn restart(service: &str) -> Suggestion {
    Suggestion::Restart {
        service: service.into(),
    }
}

#[test]
fn reads_are_due_every_few_seconds_one_at_a_time() {
    let mut view = AssistantView::default();
    assert!(view.want_read(10_000, false));
    assert!(!view.want_read(20_000, true), "one out already");
    view.on_read(Ok(Diagnosis::default()));
    assert!(!view.want_read(11_000, false));
    assert!(view.want_read(11_000, true));
    view.on_read(Err("gone".into()));
    assert!(view.want_read(11_000 + REFRESH_MS, false));
    assert_eq!(view.error.as_deref(), Some("gone"));
}

#[test]
fn every_action_is_a_row_and_the_selection_follows_its_finding() {
    let mut view = AssistantView::default();
    view.on_read(Ok(diagnosis(vec![
        finding("a", vec![restart("x"), restart("y")]),
        finding("b", vec![]),
        finding("c", vec![restart("z")]),
    ])));
    assert_eq!(view.items().len(), 4);
    view.move_by(3);
    let (f, a) = view.selection().unwrap();
    assert_eq!((f.analyzer.as_str(), a), ("c", Some(&restart("z"))));
    // `a` is gone: the selection stays on `c`'s action.
    view.on_read(Ok(diagnosis(vec![
        finding("b", vec![]),
        finding("c", vec![restart("z")]),
    ])));
    assert_eq!(view.selection().unwrap().0.analyzer, "c");
    view.move_by(-5);
    assert_eq!(view.selection().unwrap(), (&finding("b", vec![]), None));
}

#[test]
fn a_service_already_in_the_state_asked_for_changes_nothing() {
    let mut state = State::new();
    let snapshot = crate::protocol::Snapshot {
        services: vec![crate::protocol::ServiceStatus::new("db")],
        ..Default::default()
    };
    state.apply_event(&crate::protocol::Event::Snapshot(Box::new(snapshot)));
    let stop = Suggestion::Stop {
        service: "db".into(),
    };
    assert_eq!(
        dry_run(&stop, &state),
        DryRun::Nothing("db: already stopped".into())
    );
    match dry_run(&restart("db"), &state) {
        DryRun::Ask(confirm) => {
            assert_eq!(confirm.items, ["start db"]);
            let command = Command::Restart {
                services: vec!["db".into()],
            };
            assert_eq!(confirm.then, assisted(Request::Engine(command)));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        dry_run(&restart("nope"), &state),
        DryRun::Nothing(e) if e.contains("nope")
    ));
}
