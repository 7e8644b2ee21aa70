//! The alerts tests' fixture: a snapshot with alerts in every state and severity, silences
//! and channel health at a fixed clock, and a harness that drives the app by keys.

pub use crate::common::tui::NOW;
use crate::common::tui::{Tui, harness, running, workspace};
use std::collections::BTreeMap;

use univers_container::alerts::{
    Ack, Alert, AlertState, AlertingInfo, ChannelInfo, Matcher, Severity, Silence,
};
use univers_container::protocol::{Command, ServiceStatus, Snapshot};
use univers_container::tui::{Keymap, Request, Theme};

pub const MIN: u64 = 60_000;
/// The user the app acknowledges and silences as.
pub const USER: &str = "tester";

pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn alert(
    id: &str,
    rule: &str,
    state: AlertState,
    severity: Severity,
    series: &[(&str, &str)],
) -> Alert {
    let mut all = labels(series);
    all.insert("alertname".into(), rule.into());
    all.insert("severity".into(), severity.as_str().into());
    Alert {
        id: id.into(),
        rule: rule.into(),
        state,
        severity,
        labels: all,
        annotations: BTreeMap::new(),
        value: 1.0,
        active_since: NOW - 10 * MIN,
        fired_at: (state != AlertState::Pending).then_some(NOW - 5 * MIN),
        resolved_at: (state == AlertState::Resolved).then_some(NOW - MIN),
        ack: None,
        silenced_by: None,
    }
}

/// Seven alerts in a scrambled order: each state, each severity, one acked, one silenced.
pub fn alerts() -> Vec<Alert> {
    use AlertState::*;
    let mut cpu = alert(
        "3f2a00aa11bb22cc",
        "HighCpu",
        Firing,
        Severity::Critical,
        &[("service", "api")],
    );
    cpu.value = 97.25;
    cpu.active_since = NOW - 4 * MIN - 12_000;
    cpu.fired_at = Some(NOW - 3 * MIN - 12_000);
    cpu.annotations = labels(&[
        ("summary", "api uses 97.25% CPU"),
        (
            "description",
            "The api service has used more than 90% of a core for 1m.",
        ),
        ("runbook", "https://wiki.example/cpu"),
    ]);
    let mut disk = alert(
        "9c0d11ee22ff3344",
        "DiskFull",
        Firing,
        Severity::Warning,
        &[("mount", "/home")],
    );
    disk.value = 94.1;
    disk.active_since = NOW - 70 * MIN;
    disk.fired_at = Some(NOW - 65 * MIN);
    disk.ack = Some(Ack {
        by: "ana".into(),
        at: NOW - 2 * MIN,
        comment: Some("cleaning up".into()),
    });
    let mut mem = alert(
        "77aa88bb99cc00dd",
        "HighMemory",
        Firing,
        Severity::Warning,
        &[("service", "db")],
    );
    mem.value = 88.0;
    mem.silenced_by = Some("a1b2c3d4".into());
    let mut errors = alert(
        "3f2b55aa66bb77cc",
        "ErrorRate",
        Pending,
        Severity::Warning,
        &[("service", "api")],
    );
    errors.value = 0.0512;
    errors.active_since = NOW - 45_000;
    let mut slow = alert(
        "1234abcd5678ef90",
        "SlowStart",
        Pending,
        Severity::Info,
        &[("service", "web")],
    );
    slow.value = 12.0;
    let down = alert(
        "deadbeef00112233",
        "ServiceDown",
        Resolved,
        Severity::Critical,
        &[("service", "worker")],
    );
    let net = alert(
        "feedface44556677",
        "NetSaturated",
        Resolved,
        Severity::Info,
        &[("iface", "eth0")],
    );
    vec![net, slow, disk, down, errors, cpu, mem]
}

pub fn silences() -> Vec<Silence> {
    vec![
        Silence {
            id: "b2c3d4e5".into(),
            matchers: vec![Matcher::parse("mount=~\"/home.*\"").unwrap()],
            starts_at: NOW + 30 * MIN,
            ends_at: NOW + 150 * MIN,
            created_by: "bob".into(),
            comment: None,
        },
        Silence {
            id: "a1b2c3d4".into(),
            matchers: vec![
                Matcher::parse("alertname=HighMemory").unwrap(),
                Matcher::parse("service=db").unwrap(),
            ],
            starts_at: NOW - 5 * MIN,
            ends_at: NOW + 115 * MIN,
            created_by: "ana".into(),
            comment: Some("db migration".into()),
        },
    ]
}

pub fn alerting() -> AlertingInfo {
    let channel = |name: &str, kind: &str| ChannelInfo {
        name: name.into(),
        kind: kind.into(),
        disabled: None,
        queued: 0,
        last_error: None,
        last_delivered_at: None,
    };
    AlertingInfo {
        rules_file: Some("configs/rules.yaml".into()),
        rules: 12,
        channels_file: Some("configs/channels.yaml".into()),
        problem: None,
        channels: vec![
            ChannelInfo {
                last_delivered_at: Some(NOW - MIN),
                ..channel("slack", "slack")
            },
            ChannelInfo {
                disabled: Some("SMTP_HOST is not set".into()),
                ..channel("email", "email")
            },
            ChannelInfo {
                queued: 3,
                last_error: Some("connection refused".into()),
                ..channel("pager", "webhook")
            },
        ],
    }
}

pub fn fixture() -> Snapshot {
    Snapshot {
        services: vec![running("db"), running("api"), ServiceStatus::new("web")],
        alerts: alerts(),
        silences: silences(),
        alerting: alerting(),
        ..workspace()
    }
}

harness! {
    /// The shared harness, signed in as [`USER`], with the alerts' fixture.
    pub struct Harness;
}

impl Harness {
    pub fn with(snapshot: Snapshot, size: (u16, u16)) -> Self {
        Self::with_keymap(Keymap::builtin(), snapshot, size)
    }

    pub fn with_keymap(keymap: Keymap, snapshot: Snapshot, size: (u16, u16)) -> Self {
        let mut tui = Tui::with(keymap, Theme::default(), Some(USER), size, NOW);
        tui.snapshot(snapshot);
        Self(tui)
    }

    pub fn new() -> Self {
        Self::with(fixture(), (110, 30))
    }

    pub fn selected_alert(&self) -> &str {
        self.app.state().selected_alert().unwrap().rule.as_str()
    }
}

pub fn ack(id: &str) -> Request {
    Request::Engine(Command::Ack {
        alert: id.into(),
        by: USER.into(),
        comment: None,
    })
}

/// Settings that blank the details' ages, so a change in the age format shows up only in
/// the tests about ages.
pub fn no_ages() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d+[smhd](\d\d[smh])? ago", "[age] ago");
    settings
}
