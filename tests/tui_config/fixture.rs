//! The configuration center's fixture: a workspace with dev, staging (active, yellow) and
//! prod (asks for its name, red by name), the plan of a switch to prod and to dev, revisions,
//! a pending edit and a broken one, at a fixed clock; and a harness that drives the app by
//! keys and reads the requests it sends.

pub use crate::common::tui::NOW;
pub use crate::common::tui::find;
use crate::common::tui::{Tui, harness, workspace};
use univers_container::protocol::{
    ChangeKind, ConfigPlan, ConfigStatus, EnvironmentInfo, Revision, ServiceChange, ServiceState,
    ServiceStatus, Snapshot,
};
use univers_container::tui::{Keymap, Theme};

pub const PENDING_HASH: &str = "9f2c41d07ab3e5c8";

fn environment(name: &str, theme: Option<&str>, confirm: bool) -> EnvironmentInfo {
    EnvironmentInfo {
        name: name.into(),
        theme: theme.map(String::from),
        confirm,
    }
}

pub fn status() -> ConfigStatus {
    ConfigStatus {
        environments: vec![
            environment("dev", Some("green"), false),
            environment("staging", Some("yellow"), false),
            environment("prod", None, true),
        ],
        revision: Some(4),
        hash: Some("51be0a9c33d2e1f0".into()),
        pending: None,
        errors: vec![],
    }
}

fn running(name: &str) -> ServiceStatus {
    ServiceStatus {
        state: ServiceState::Running,
        pid: Some(4242),
        started_at: Some(NOW - 600_000),
        ..ServiceStatus::new(name)
    }
}

pub fn snapshot(environment: &str, config: ConfigStatus) -> Snapshot {
    Snapshot {
        environment: Some(environment.into()),
        services: ["db", "api", "web", "mailer"].map(running).to_vec(),
        config,
        ..workspace()
    }
}

fn change(service: &str, kind: ChangeKind, fields: &[&str], acts: bool) -> ServiceChange {
    ServiceChange {
        service: service.into(),
        kind,
        fields: fields.iter().map(|f| f.to_string()).collect(),
        acts,
    }
}

const PROD_DIFF: &str = "\
--- staging
+++ prod
@@ -3,9 +3,9 @@
 services:
   api:
-    command: cargo run --bin api
+    command: ./target/release/api
     env:
-      LOG_LEVEL: debug
+      LOG_LEVEL: warn
       PORT: \"8080\"
-  mailer:
-    command: ./mailer --dry-run
   web:
@@ -20,3 +19,5 @@
     tags: [frontend]
+  backup:
+    command: ./backup --every 1h";

/// staging → prod: api restarts, mailer stops, backup starts, web's tags only.
pub fn prod_plan() -> ConfigPlan {
    ConfigPlan {
        environment: Some("prod".into()),
        from: Some("staging".into()),
        hash: "c0ffee00d15ea5e5".into(),
        changes: vec![
            change(
                "api",
                ChangeKind::Changed,
                &["command", "env.LOG_LEVEL"],
                true,
            ),
            change("web", ChangeKind::Changed, &["tags"], false),
            change("mailer", ChangeKind::Removed, &[], true),
            change("backup", ChangeKind::Added, &[], true),
        ],
        diff: PROD_DIFF.into(),
        confirm: true,
    }
}

/// staging → dev: api's log level.
pub fn dev_plan() -> ConfigPlan {
    ConfigPlan {
        environment: Some("dev".into()),
        from: Some("staging".into()),
        hash: "d3v0000000000001".into(),
        changes: vec![change("api", ChangeKind::Changed, &["env.LOG_LEVEL"], true)],
        diff:
            "--- staging\n+++ dev\n@@ -7,1 +7,1 @@\n-      LOG_LEVEL: info\n+      LOG_LEVEL: debug"
                .into(),
        confirm: false,
    }
}

/// An edit of the files: api's port and web's tags.
pub fn pending_plan() -> ConfigPlan {
    ConfigPlan {
        environment: Some("staging".into()),
        from: Some("staging".into()),
        hash: PENDING_HASH.into(),
        changes: vec![
            change("api", ChangeKind::Changed, &["env.PORT"], true),
            change("web", ChangeKind::Changed, &["tags"], false),
        ],
        diff:
            "--- running\n+++ edited\n@@ -8,1 +8,1 @@\n-      PORT: \"8080\"\n+      PORT: \"8081\""
                .into(),
        confirm: false,
    }
}

pub fn revisions() -> Vec<Revision> {
    let revision =
        |id: u64, ago: u64, env: &str, author: &str, reason: &str, hash: &str| Revision {
            id,
            at: NOW - ago,
            environment: Some(env.into()),
            author: author.into(),
            reason: reason.into(),
            hash: hash.into(),
        };
    vec![
        revision(4, 120_000, "staging", "ana", "switch", "51be0a9c33d2e1f0"),
        revision(3, 3_600_000, "prod", "ana", "reload", "7a7a11be0c0ffee1"),
        revision(2, 7_200_000, "prod", "bob", "switch", "42e0d1c2b3a49586"),
        revision(1, 86_400_000, "dev", "engine", "start", "0d15ea5e00000001"),
    ]
}

harness! {
    /// The shared harness, signed in as ana, with the configuration center's fixture.
    pub struct Harness;
}

impl Harness {
    /// staging active, on a screen of `size`.
    pub fn with(size: (u16, u16)) -> Self {
        Self::on(size, snapshot("staging", status()))
    }

    pub fn on(size: (u16, u16), snapshot: Snapshot) -> Self {
        let mut tui = Tui::with(Keymap::builtin(), Theme::default(), Some("ana"), size, NOW);
        tui.snapshot(snapshot);
        Self(tui)
    }
}
