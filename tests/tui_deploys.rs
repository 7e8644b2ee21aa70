//! The deploys pane: render snapshots of a deploy running its gate (the stage lit, its log
//! tail, the stages still to come) and of a rolled-back one with its cause and the earlier
//! deploys from the history, at a fixed clock; headless tests of the keys that open it and
//! of deploy and rollback, each asked first and sent as a request through the link.

#![allow(clippy::unwrap_used)] // test helpers panic on purpose

mod common;

use common::tui::{NOW, Tui, find, running, workspace};
use univers_container::deploy::Ask;
use univers_container::deploy::model::{DeployState, Deployment, Stage, StageRun, StageStatus};
use univers_container::protocol::Event;
use univers_container::tui::state::{Pane, Popup};
use univers_container::tui::{Request, Theme, Update};

fn stage(stage: Stage, status: StageStatus, from_s: u64, to_s: Option<u64>, log: &str) -> StageRun {
    StageRun {
        stage,
        status,
        started_at: NOW - 60_000 + from_s * 1000,
        ended_at: to_s.map(|s| NOW - 60_000 + s * 1000),
        log: log.into(),
    }
}

fn deploy(id: u64, state: DeployState, stages: Vec<StageRun>) -> Deployment {
    Deployment {
        id,
        service: "api".into(),
        trigger: "manual".into(),
        by: "alice".into(),
        git_ref: "main".into(),
        commit: Some(format!("{id}f2a9c1e0d")),
        release: Some(format!("20231231T235900-{id}f2a9c1")),
        previous: Some("20231231T120000-0a1b2c3".into()),
        state,
        stages,
        cause: None,
        started_at: NOW - 60_000,
        ended_at: None,
        switched: false,
        colours: None,
        approval: None,
    }
}

/// api deploying, gate running 3 s; db never deployed.
fn gating() -> Deployment {
    deploy(
        7,
        DeployState::Running,
        vec![
            stage(
                Stage::Fetch,
                StageStatus::Passed,
                0,
                Some(1),
                "fetched main",
            ),
            stage(Stage::Build, StageStatus::Passed, 1, Some(9), "built"),
            stage(
                Stage::Switch,
                StageStatus::Passed,
                9,
                Some(10),
                "current → 7f2a9c1",
            ),
            stage(
                Stage::Gate,
                StageStatus::Running,
                10,
                None,
                "check 1: 200 OK\ncheck 2: 200 OK\nwaiting for check 3",
            ),
        ],
    )
}

fn rolled_back() -> Deployment {
    let mut d = deploy(
        8,
        DeployState::RolledBack,
        vec![
            stage(Stage::Fetch, StageStatus::Passed, 0, Some(1), ""),
            stage(Stage::Build, StageStatus::Passed, 1, Some(2), ""),
            stage(Stage::Switch, StageStatus::Passed, 2, Some(3), ""),
            stage(
                Stage::Gate,
                StageStatus::Failed,
                3,
                Some(8),
                "check 5: 500 Internal Server Error",
            ),
            stage(
                Stage::Rollback,
                StageStatus::Passed,
                8,
                Some(9),
                "0a1b2c3 serves again",
            ),
        ],
    );
    d.cause = Some("the gate failed: 500 Internal Server Error".into());
    d.ended_at = Some(NOW - 51_000);
    d
}

fn harness(latest: Deployment) -> Tui {
    let mut tui = Tui::new((110, 24), NOW);
    let mut snapshot = workspace();
    snapshot.services = vec![running("api"), running("db")];
    snapshot.deploys = vec![latest];
    tui.snapshot(snapshot);
    tui
}

#[test]
fn snapshot_a_deploy_in_its_gate() {
    let mut h = harness(gating());
    h.keys(&["d"]);
    assert_eq!(h.pane(), Pane::Deploys);
    assert_eq!(h.sent(), [Request::DeployHistory]);
    insta::assert_snapshot!("deploys_gating", h.screen());
    // The running stage is lit; the ones still to come are dim.
    let buffer = h.buffer();
    let theme = Theme::default();
    let (x, y) = find(&buffer, "▶ gate");
    assert_eq!(buffer[(x, y)].bg, theme.selection_bg);
    let (x, y) = find(&buffer, "· soak");
    assert_eq!(buffer[(x, y)].fg, theme.dim);
    assert!(h.screen().contains("waiting for check 3"));
}

#[test]
fn snapshot_a_rolled_back_deploy_with_its_history() {
    let mut h = harness(rolled_back());
    h.keys(&["d"]);
    let older = deploy(6, DeployState::Succeeded, vec![]);
    h.update(Update::DeployHistory(Ok(vec![rolled_back(), older])));
    insta::assert_snapshot!("deploys_rolled_back", h.screen());
    let screen = h.screen();
    assert!(screen.contains("cause: the gate failed"));
    assert!(
        screen.contains("log · gate"),
        "the failed stage's log:\n{screen}"
    );
    assert!(screen.contains("#6   succeeded"));
}

#[test]
fn stages_arrive_live_and_the_timeline_follows() {
    let mut h = harness(gating());
    h.keys(&["d"]);
    let mut done = gating();
    done.stages[3].status = StageStatus::Passed;
    done.stages[3].ended_at = Some(NOW - 40_000);
    done.stages.push(stage(
        Stage::Soak,
        StageStatus::Running,
        20,
        None,
        "soaking 8s",
    ));
    h.event(Event::Deploy(Box::new(done)));
    let screen = h.screen();
    assert!(screen.contains("▶ soak"), "{screen}");
    assert!(screen.contains("✓ gate"), "{screen}");
    assert!(screen.contains("log · soak"), "{screen}");
}

#[test]
fn deploy_asks_naming_the_service_and_branch_then_sends_it() {
    let mut h = harness(gating());
    h.keys(&["d"]);
    h.sent();
    h.keys(&["D"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().popups.last().cloned() else {
        panic!("no confirmation");
    };
    assert_eq!(confirm.title, "Deploy api?");
    assert!(confirm.items.contains(&"service: api".to_string()));
    assert!(h.screen().contains("branch: its deploy's branch"));
    h.keys(&["n"]);
    assert!(h.sent().is_empty(), "no asks nothing");
    h.keys(&["D", "y"]);
    let ask = Ask::Deploy { git_ref: None };
    assert_eq!(
        h.sent(),
        [Request::Deploy {
            service: "api".into(),
            ask
        }]
    );
    h.update(Update::DeployStarted {
        service: "api".into(),
        result: Ok(gating()),
    });
    assert_eq!(h.status(), "deploy 7 of api started");
}

#[test]
fn rollback_goes_to_the_selected_service_and_refusals_reach_the_status_line() {
    let mut h = harness(rolled_back());
    h.keys(&["d", "j", "R"]);
    assert!(h.screen().contains("Roll db back?"));
    h.keys(&["y"]);
    let ask = Ask::Rollback { release: None };
    assert_eq!(
        h.sent(),
        [
            Request::DeployHistory,
            Request::Deploy {
                service: "db".into(),
                ask
            }
        ]
    );
    let refusal = Err("db has no `deploy:` in univers.yaml".to_string());
    h.update(Update::DeployStarted {
        service: "db".into(),
        result: refusal,
    });
    assert_eq!(
        h.status(),
        "cannot deploy db: db has no `deploy:` in univers.yaml"
    );
    // `d` again, or esc, goes back to the services.
    h.keys(&["esc"]);
    assert_eq!(h.pane(), Pane::Services);
}

/// A blue-green deploy in its drain: which colour the release runs in and which serves,
/// and the drain in the timeline.
#[test]
fn snapshot_a_blue_green_deploy_draining() {
    use univers_container::deploy::model::{Colour, Colours};
    let mut draining = gating();
    draining.stages[2].log = "blue → 20231231T235900-7f2a9c1 on port 8081".into();
    draining.stages[3].status = StageStatus::Passed;
    draining.stages[3].ended_at = Some(NOW - 45_000);
    draining.stages.push(stage(
        Stage::Drain,
        StageStatus::Running,
        15,
        None,
        "the proxy sends new requests to blue (port 8081)",
    ));
    draining.colours = Some(Colours {
        release: Colour::Blue,
        serving: Colour::Blue,
    });
    let mut h = harness(draining);
    h.keys(&["d"]);
    insta::assert_snapshot!("deploys_blue_green_draining", h.screen());
    let screen = h.screen();
    assert!(screen.contains("release in blue · blue serves"), "{screen}");
    assert!(screen.contains("▶ drain"), "{screen}");
    assert!(
        !screen.contains("soak"),
        "no soak after the drain:\n{screen}"
    );
}

/// api built and waiting for a deployer's approval since 20 s.
fn waiting() -> Deployment {
    let mut d = deploy(
        9,
        DeployState::Waiting,
        vec![
            stage(Stage::Fetch, StageStatus::Passed, 0, Some(1), ""),
            stage(Stage::Build, StageStatus::Passed, 1, Some(40), "built"),
            stage(
                Stage::Approval,
                StageStatus::Running,
                40,
                None,
                "waiting for a deployer's approval of 20231231T235900-9f2a9c1",
            ),
        ],
    );
    d.trigger = "push".into();
    d
}

#[test]
fn snapshot_a_deploy_waiting_for_an_approval() {
    let mut h = harness(waiting());
    h.keys(&["d"]);
    insta::assert_snapshot!("deploys_waiting", h.screen());
    let screen = h.screen();
    assert!(screen.contains("▶ approval"), "{screen}");
    assert!(
        screen.contains("waits for an approval: A approves, X rejects")
            && screen.contains("waiting for a deployer's approval of 20231231T235900-9f2a9c1"),
        "{screen}"
    );
    let buffer = h.buffer();
    let (x, y) = find(&buffer, "· switch");
    assert_eq!(buffer[(x, y)].fg, Theme::default().dim, "still to come");
}

#[test]
fn approve_and_reject_ask_naming_the_deploy_then_send_the_decision() {
    let mut h = harness(waiting());
    h.keys(&["d"]);
    h.sent();
    h.keys(&["A"]);
    let Some(Popup::Confirm(confirm)) = h.app.state().popups.last().cloned() else {
        panic!("no confirmation");
    };
    assert_eq!(confirm.title, "Approve deploy 9 of api?");
    assert!(
        confirm
            .items
            .contains(&"release: 20231231T235900-9f2a9c1 (9f2a9c1)".to_string())
    );
    h.keys(&["n"]);
    assert!(h.sent().is_empty(), "no decides nothing");
    h.keys(&["X", "y"]);
    let ask = Ask::Decide {
        approve: false,
        role: None,
    };
    assert_eq!(
        h.sent(),
        [Request::Deploy {
            service: "api".into(),
            ask
        }]
    );
    h.update(Update::DeployStarted {
        service: "api".into(),
        result: Ok(waiting()),
    });
    assert_eq!(h.status(), "deploy 9 of api decided");

    // Once decided, who did it shows under the timeline; nothing waits any more.
    let mut done = waiting();
    done.state = DeployState::Rejected;
    done.approval = Some(univers_container::deploy::model::Approval {
        approved: false,
        by: "dana".into(),
        at: NOW - 5_000,
    });
    h.event(Event::Deploy(Box::new(done)));
    assert!(
        h.screen().contains("rejected by dana 5s ago"),
        "{}",
        h.screen()
    );
    h.keys(&["j", "A"]);
    assert_eq!(h.status(), "no deploy of db is waiting for an approval");
}

/// After a rolled-back deploy, R names the release before the one serving (what the
/// engine goes back to), not the rolled-back deploy's `previous`, which serves now.
#[test]
fn rollback_names_the_release_before_the_one_serving() {
    let mut h = harness(rolled_back());
    h.keys(&["d"]);
    let mut served = deploy(6, DeployState::Succeeded, Vec::new());
    served.previous = Some("20231230T100000-5e5e5e5".into());
    let mut failed = rolled_back();
    failed.previous = served.release.clone();
    h.update(Update::DeployHistory(Ok(vec![failed, served])));
    h.keys(&["R"]);
    let screen = h.screen();
    assert!(
        screen.contains("back to: 20231230T100000-5e5e5e5"),
        "{screen}"
    );
}
