//! The healing tests' fixture: services with passing, failing and unknown probes, one
//! crash-looping with its restart due in 4 s, one that gave up, and their heal events, at a
//! fixed clock; playbook plans and reports; and a harness that drives the app by keys.

pub use crate::common::tui::NOW;
pub use crate::common::tui::find;
use crate::common::tui::{Tui, harness, workspace};
use univers_container::heal::playbook::{
    ActionKind, Outcome, PlaybookReport, StepAction, StepReport,
};
use univers_container::heal::{HealEvent, HealKind};
use univers_container::heal::{PlaybookInfo, PlaybookList};
use univers_container::protocol::{
    Event, Health, ProbeKind, ProbeStatus, ServiceState, ServiceStatus, Snapshot,
};

pub fn probe(kind: ProbeKind, target: &str, state: Health) -> ProbeStatus {
    let ok = state == Health::Healthy;
    ProbeStatus {
        kind,
        target: target.into(),
        state,
        last_ok: Some(ok),
        latency_us: Some(3_240),
        checked_at: Some(NOW - 2_000),
        output: None,
        failures: 0,
    }
}

fn running(name: &str, probes: Vec<ProbeStatus>) -> ServiceStatus {
    let health = probes
        .iter()
        .find(|p| p.kind == ProbeKind::Readiness)
        .map(|p| p.state);
    ServiceStatus {
        state: ServiceState::Running,
        pid: Some(4242),
        started_at: Some(NOW - 600_000),
        health,
        probes,
        ..ServiceStatus::new(name)
    }
}

/// api passes both probes, db fails its readiness probe, cache has a liveness probe only,
/// web has not passed yet, worker crash-loops, mailer gave up.
pub fn services() -> Vec<ServiceStatus> {
    use Health::*;
    use ProbeKind::*;
    let api = running(
        "api",
        vec![
            probe(Readiness, "http://127.0.0.1:8080/health", Healthy),
            probe(Liveness, "tcp 127.0.0.1:8080", Healthy),
        ],
    );
    let failing = ProbeStatus {
        last_ok: Some(false),
        latency_us: Some(1_500_000),
        output: Some("exit code 2: pg_isready: no response\nlocalhost:5432 - no response".into()),
        failures: 3,
        ..probe(Readiness, "exec pg_isready -h localhost", Unhealthy)
    };
    let db = running("db", vec![failing]);
    let cache = ServiceStatus {
        probes: vec![ProbeStatus {
            latency_us: Some(850),
            ..probe(Liveness, "process alive", Healthy)
        }],
        ..running("cache", vec![])
    };
    let unknown = ProbeStatus {
        last_ok: None,
        latency_us: None,
        checked_at: None,
        ..probe(Readiness, "http://127.0.0.1:3000/", Unknown)
    };
    let web = ServiceStatus {
        state: ServiceState::Starting,
        reason: Some("waiting for api (healthy)".into()),
        ..running("web", vec![unknown])
    };
    let worker = ServiceStatus {
        state: ServiceState::CrashLooping,
        pid: None,
        exit_code: Some(1),
        restarts: 2,
        restart_at: Some(NOW + 4_000),
        reason: Some("exited with code 1; restarting in 4s".into()),
        ..ServiceStatus::new("worker")
    };
    let mailer = ServiceStatus {
        state: ServiceState::GaveUp,
        exit_code: Some(1),
        restarts: 3,
        reason: Some("gave up: 3 restarts within 1m (last: exited with code 1)".into()),
        ..ServiceStatus::new("mailer")
    };
    vec![api, db, cache, web, worker, mailer]
}

pub fn heal(ago_ms: u64, service: &str, kind: HealKind, reason: &str) -> HealEvent {
    HealEvent {
        at: NOW - ago_ms,
        ..HealEvent::new(Some(service), kind, reason)
    }
}

/// What healing did to the fixture's services, oldest first.
pub fn heal_events() -> Vec<HealEvent> {
    use HealKind::*;
    let mut probe_failing = heal(
        30_000,
        "db",
        Probe,
        "readiness probe failing (exec pg_isready -h localhost)",
    );
    probe_failing.detail = Some("exit code 2: pg_isready: no response".into());
    let mut gave_up = heal(
        20_000,
        "mailer",
        GaveUp,
        "gave up: 3 restarts within 1m (last: exited with code 1)",
    );
    gave_up.logs = vec![
        "INFO mailer starting".into(),
        "ERROR smtp.example.com:25: connection refused".into(),
        "FATAL cannot reach any relay".into(),
    ];
    gave_up.escalate = true;
    vec![
        heal(
            45_000,
            "mailer",
            Restart,
            "exited with code 1 after 0s; restarted",
        ),
        heal(
            40_000,
            "mailer",
            Backoff,
            "exited with code 1; restarting in 1s",
        ),
        heal(
            35_000,
            "mailer",
            Backoff,
            "exited with code 1; restarting in 2s",
        ),
        probe_failing,
        gave_up,
        heal(
            9_000,
            "worker",
            Restart,
            "exited with code 1 after 0s; restarted",
        ),
        heal(
            5_000,
            "worker",
            Backoff,
            "exited with code 1; restarting in 2s",
        ),
        heal(2_000, "worker", Restart, "backoff over; restarted"),
        heal(
            1_000,
            "worker",
            Backoff,
            "exited with code 1; restarting in 4s",
        ),
    ]
}

/// The workspace's playbooks as the engine lists them.
pub fn playbook_list() -> PlaybookList {
    let info = |name: &str| PlaybookInfo {
        name: name.into(),
        description: None,
        file: format!("configs/playbooks/{name}.yaml"),
        steps: vec![],
    };
    PlaybookList {
        playbooks: vec![info("tidy"), info("rotate-logs"), info("rotate-tmp")],
        problems: None,
    }
}

fn delete(target: &str, bytes: u64, days: u64, outcome: Outcome) -> StepAction {
    StepAction {
        bytes: Some(bytes),
        detail: Some(format!("{days} days old")),
        outcome,
        ..StepAction::new(ActionKind::Delete, target)
    }
}

/// `tidy`: two old logs to delete, and a step with nothing to do.
pub fn tidy_report(dry_run: bool) -> PlaybookReport {
    let outcome = if dry_run {
        Outcome::Planned
    } else {
        Outcome::Done
    };
    let mut logs = StepReport::new("delete ./tmp/**/*.log older than 1d");
    logs.actions = vec![
        delete("/w/tmp/old.log", 2_048, 3, outcome.clone()),
        delete("/w/tmp/sub/older.log", 3 << 20, 9, outcome),
    ];
    let mut cores = StepReport::new("delete ./tmp/core.* older than 7d");
    cores.note = Some("nothing matches ./tmp/core.*".into());
    PlaybookReport {
        started_at: NOW,
        finished_at: NOW + 40,
        ..PlaybookReport::new("tidy", dry_run, NOW, vec![logs, cores])
    }
}

/// A run that deleted 40 files and failed on one: longer than any screen here.
pub fn long_report() -> PlaybookReport {
    let mut step = StepReport::new("delete ./tmp/**/*.log older than 1d");
    step.actions = (0..40)
        .map(|i| {
            delete(
                &format!("/w/tmp/run-{i:02}.log"),
                1_000 + i,
                2,
                Outcome::Done,
            )
        })
        .collect();
    step.actions[39].outcome = Outcome::Failed("permission denied".into());
    PlaybookReport {
        started_at: NOW,
        finished_at: NOW + 40,
        ..PlaybookReport::new("tidy", false, NOW, vec![step])
    }
}

harness! {
    /// The shared harness with the heal fixture's services and heal events.
    pub struct Harness;
}

impl Harness {
    /// The fixture's services and heal events on a screen of `size`.
    pub fn with(size: (u16, u16)) -> Self {
        let mut tui = Tui::new(size, NOW);
        tui.snapshot(Snapshot {
            services: services(),
            ..workspace()
        });
        for event in heal_events() {
            tui.event(Event::Heal(event));
        }
        Self(tui)
    }

    /// The details of the service on `row` (0-based), on a 100x30 screen.
    pub fn details(row: usize) -> Self {
        let mut h = Self::with((100, 30));
        h.keys(&["i"]);
        for _ in 0..row {
            h.keys(&["j"]);
        }
        h
    }

    /// The screen's row holding `service`'s table row.
    pub fn row(&self, service: &str) -> String {
        let screen = self.screen();
        screen
            .lines()
            .find(|l| l.contains(&format!(" {service} ")))
            .unwrap_or_else(|| panic!("no row for {service}:\n{screen}"))
            .to_string()
    }
}
