//! Applying a new workspace definition to a running supervisor (what an environment
//! switch, an applied edit and a revert do), against a real tmux server and real processes:
//! only services whose definition changed are touched.

mod common;

use std::time::Duration;

use common::{Harness, eventually, pid_alive, service};
use univers_container::config::{Condition, Dependency, Workspace};
use univers_container::protocol::{ServiceState, ServiceStatus};

const T: Duration = Duration::from_secs(15);

fn running(s: &ServiceStatus) -> bool {
    s.state == ServiceState::Running
}

fn with(ws: &Workspace, edit: impl FnOnce(&mut Workspace)) -> Workspace {
    let mut next = ws.clone();
    edit(&mut next);
    next
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_restarts_added_starts_removed_stops_and_the_rest_keeps_running() {
    let h = Harness::start(|dir| {
        let mut api = service("api", "exec sleep 3201", dir);
        api.env.insert("LOG_LEVEL".into(), "info".into());
        vec![
            api,
            service("worker", "exec sleep 3202", dir),
            service("legacy", "exec sleep 3203", dir),
        ]
    })
    .await;
    h.start_services(&[]).await;
    let mut pids = Vec::new();
    for name in ["api", "worker", "legacy"] {
        pids.push(h.wait(name, T, running).await.pid.expect("pid"));
    }
    let next = with(&h.workspace, |ws| {
        ws.services[0]
            .env
            .insert("LOG_LEVEL".into(), "debug".into());
        ws.services.retain(|s| s.name != "legacy");
        ws.services
            .push(service("extra", "exec sleep 3204", &h.dir));
    });
    let applied = h.apply(next).await;
    assert_eq!(applied.restarted, ["api"]);
    assert_eq!(applied.started, ["extra"]);
    assert_eq!(applied.stopped, ["legacy"]);
    assert!(applied.updated.is_empty());

    let api = h
        .wait("api", T, |s| running(s) && s.pid != Some(pids[0]))
        .await;
    assert!(!pid_alive(pids[0]), "the old api process is gone");
    assert!(api.pid.is_some_and(pid_alive));
    assert_eq!(h.status("worker").pid, Some(pids[1]), "worker untouched");
    h.wait("extra", T, running).await;
    assert!(
        eventually(T, || h.hub.snapshot().service("legacy").is_none()),
        "a removed service leaves the snapshot once stopped"
    );
    assert!(!pid_alive(pids[2]));
    let names: Vec<String> = h
        .hub
        .snapshot()
        .services
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(names, ["api", "worker", "extra"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_dependency_restarts_before_its_changed_dependent_starts() {
    let h = Harness::start(|dir| {
        let mut api = service("api", "exec sleep 3211", dir);
        api.depends_on = vec![Dependency {
            service: "db".into(),
            condition: Condition::Started,
        }];
        vec![service("db", "exec sleep 3210", dir), api]
    })
    .await;
    h.start_services(&[]).await;
    let db = h.wait("db", T, running).await.pid;
    let api = h.wait("api", T, running).await.pid;
    let next = with(&h.workspace, |ws| {
        ws.services[0].command = "exec sleep 3212".into();
        ws.services[1].command = "exec sleep 3213".into();
    });
    let applied = h.apply(next).await;
    assert_eq!(applied.restarted, ["db", "api"]);
    let db2 = h.wait("db", T, |s| running(s) && s.pid != db).await;
    let api2 = h.wait("api", T, |s| running(s) && s.pid != api).await;
    assert!(
        api2.started_at >= db2.started_at,
        "api starts once its new db runs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_service_takes_its_new_definition_at_its_next_start() {
    let h = Harness::start(|dir| vec![service("job", "echo old; exec sleep 3220", dir)]).await;
    let next = with(&h.workspace, |ws| {
        ws.services[0].command = "echo new-definition; exec sleep 3221".into();
    });
    let applied = h.apply(next).await;
    assert_eq!(applied.updated, ["job"]);
    assert!(applied.restarted.is_empty() && applied.started.is_empty());
    assert_eq!(h.status("job").state, ServiceState::Stopped);
    h.start_services(&["job"]).await;
    h.wait("job", T, running).await;
    let log = h.paths.service_log("job");
    assert!(eventually(T, || std::fs::read_to_string(&log)
        .is_ok_and(|s| s.contains("new-definition"))));
}
