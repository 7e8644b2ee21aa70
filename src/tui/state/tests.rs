use super::*;
use crate::protocol::EngineInfo;

fn service(name: &str, state: ServiceState, deps: &[&str], tags: &[&str]) -> ServiceStatus {
    ServiceStatus {
        state,
        depends_on: deps.iter().map(|d| d.to_string()).collect(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..ServiceStatus::new(name)
    }
}

fn state() -> State {
    use ServiceState::*;
    let mut state = State::new();
    state.apply_event(&Event::Snapshot(Box::new(Snapshot {
        workspace: "w".into(),
        environment: None,
        config_file: None,
        engine: EngineInfo {
            pid: 1,
            started_at: 0,
            version: "0".into(),
            tmux_socket: "s".into(),
            tmux_session: "s".into(),
        },
        services: vec![
            service("db", Running, &[], &["data"]),
            service("api", Running, &["db"], &["backend"]),
            service("web", Running, &["api"], &["frontend"]),
            service("worker", Stopped, &["db"], &["backend"]),
            service("docs", Running, &[], &[]),
        ],
        metrics: None,
        alerts: Vec::new(),
        silences: Vec::new(),
        alerting: Default::default(),
        config: Default::default(),
        storage: Default::default(),
        deploys: Vec::new(),
        quota: Default::default(),
        seq: 1,
    })));
    state
}

#[test]
fn dependents_are_transitive_and_active_only() {
    let state = state();
    assert_eq!(state.dependents(&["db".into()]), ["web", "api"]);
    assert_eq!(state.dependents(&["web".into()]), Vec::<String>::new());
    assert_eq!(
        state.dependents(&["api".into(), "web".into()]),
        Vec::<String>::new()
    );
}

#[test]
fn selection_follows_the_name_through_filtering() {
    let mut state = state();
    assert_eq!(state.selected().unwrap().name, "db");
    state.move_selection(2);
    assert_eq!(state.selected().unwrap().name, "web");
    state.set_filter("END");
    assert_eq!(
        state.visible().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["api", "web", "worker"]
    );
    assert_eq!(state.selected().unwrap().name, "web");
    state.set_filter("docs");
    assert_eq!(state.selected().unwrap().name, "docs");
    state.set_filter("nothing");
    assert_eq!(state.selected(), None);
    state.set_filter("");
    state.move_selection(-100);
    assert_eq!(state.selected().unwrap().name, "db");
    state.move_selection(100);
    assert_eq!(state.selected().unwrap().name, "docs");
}

#[test]
fn service_events_replace_rows() {
    let mut state = state();
    state.apply_event(&Event::Service(service(
        "worker",
        ServiceState::Running,
        &[],
        &[],
    )));
    assert_eq!(state.counts(), (5, 5));
    state.apply_event(&Event::Service(service(
        "new",
        ServiceState::Stopped,
        &[],
        &[],
    )));
    assert_eq!(state.counts(), (5, 6));
    state.apply_event(&Event::Shutdown);
    assert!(!state.connected);
}
