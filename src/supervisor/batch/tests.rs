use super::*;

/// web → api → db, worker → db, cache alone; `(name, deps, state, tags)`.
fn services(states: &[(&str, ServiceState)]) -> Vec<ServiceStatus> {
    let graph: &[(&str, &[&str], &[&str])] = &[
        ("db", &[], &["data"]),
        ("cache", &[], &["data"]),
        ("api", &["db"], &["backend"]),
        ("api-admin", &["db"], &["backend"]),
        ("worker", &["db"], &[]),
        ("web", &["api"], &[]),
    ];
    graph
        .iter()
        .map(|(name, deps, tags)| {
            let mut s = ServiceStatus::new(*name);
            s.depends_on = deps.iter().map(|d| d.to_string()).collect();
            s.tags = tags.iter().map(|t| t.to_string()).collect();
            s.state = states
                .iter()
                .find(|(n, _)| n == name)
                .map_or(ServiceState::Running, |(_, st)| *st);
            s
        })
        .collect()
}

fn plan(services: &[ServiceStatus], verb: Verb, targets: &[String]) -> Result<Plan, CommandError> {
    let batch = Batch {
        workspace: None,
        verb,
        targets: targets.to_vec(),
    };
    batch.plan(services)
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn names_globs_and_tags_select_in_config_order() {
    let all = services(&[]);
    let chosen = select(&all, &names(&["web", "api-*", "@data"]), "services").unwrap();
    assert_eq!(chosen, names(&["db", "cache", "api-admin", "web"]));
    assert_eq!(select(&all, &[], "services").unwrap().len(), 6);
}

#[test]
fn a_target_selecting_nothing_is_an_error_naming_it() {
    let all = services(&[]);
    let e = select(&all, &names(&["web", "nope-*"]), "names").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("names[1]"));
    assert!(e.message.contains("no service matches `nope-*`"), "{e}");
    let e = select(&all, &names(&["@frontend"]), "services").unwrap_err();
    assert!(e.message.contains("no service is tagged `frontend`"), "{e}");
    let e = select(&all, &names(&["wbe"]), "services").unwrap_err();
    assert!(e.message.contains("did you mean `web`?"), "{e}");
}

#[test]
fn stop_takes_dependents_first_and_names_them() {
    let all = services(&[("cache", ServiceState::Stopped)]);
    let plan = plan(&all, Verb::Stop, &names(&["db", "api", "cache"])).unwrap();
    assert_eq!(
        plan.lines(),
        [
            "stop web (depends on api)",
            "stop worker (depends on db)",
            "stop api-admin (depends on db)",
            "stop api",
            "stop db",
        ]
    );
    assert_eq!(plan.dependents(), names(&["web", "worker", "api-admin"]));
    assert_eq!(
        serde_json::to_value(&plan.steps[0]).unwrap(),
        serde_json::json!({"service": "web", "verb": "stop", "why": "dependent", "of": "api"})
    );
    assert_eq!(plan.unchanged, names(&["cache"]));
    assert_eq!(
        plan.command(),
        Command::Stop {
            services: names(&["db", "cache", "api"])
        }
    );
}

#[test]
fn start_takes_providers_first() {
    let all = services(&[
        ("db", ServiceState::Stopped),
        ("api", ServiceState::Exited),
        ("web", ServiceState::Stopped),
    ]);
    let plan = plan(&all, Verb::Start, &names(&["web", "worker"])).unwrap();
    assert_eq!(
        plan.lines(),
        [
            "start db (needed by web)",
            "start api (needed by web)",
            "start web"
        ]
    );
    assert_eq!(plan.unchanged, names(&["worker"]));
}

#[test]
fn restart_restarts_running_services_alone_and_starts_idle_ones() {
    let all = services(&[
        ("db", ServiceState::Stopped),
        ("web", ServiceState::Stopped),
    ]);
    let plan = plan(&all, Verb::Restart, &names(&["web", "cache"])).unwrap();
    assert_eq!(
        plan.lines(),
        ["restart cache", "start db (needed by web)", "start web"]
    );
    assert!(plan.dependents().is_empty());
}
