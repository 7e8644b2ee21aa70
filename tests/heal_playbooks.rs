//! Clean-up playbooks on real files in temporary directories: what a dry run lists, what a
//! run deletes, truncates and rotates, and that nothing outside the roots is ever touched.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use tempfile::TempDir;
use univers_container::config::PLAYBOOKS_DIR;
use univers_container::heal::playbook::{
    self, ActionKind, Outcome, Playbook, PlaybookReport, RestartError, Services,
};
use univers_container::protocol::CommandError;

const DAY: u64 = 86_400;

/// A workspace directory with playbooks in `configs/playbooks`.
struct Workspace {
    dir: TempDir,
}

impl Workspace {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// A file of `bytes` bytes last modified `days` ago.
    fn file(&self, relative: &str, bytes: usize, days: u64) -> PathBuf {
        let path = self.path(relative);
        write_aged(&path, bytes, days);
        path
    }

    fn playbook(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(PLAYBOOKS_DIR).join(format!("{name}.yaml"));
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("write playbook");
        path
    }

    fn load(&self, text: &str) -> Playbook {
        self.playbook("cleanup", text);
        let dir = self.path(PLAYBOOKS_DIR);
        let mut all = playbook::load_dir(&dir, self.dir.path())
            .unwrap_or_else(|problems| panic!("{problems:#?}"));
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    /// Every file and link under the workspace (not the playbooks) with its size and mtime.
    fn snapshot(&self) -> BTreeMap<PathBuf, (u64, SystemTime)> {
        let mut found = BTreeMap::new();
        snapshot(&self.path("logs"), &mut found);
        found
    }
}

fn write_aged(path: &Path, bytes: usize, days: u64) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, vec![b'x'; bytes]).expect("write");
    let mtime = SystemTime::now() - Duration::from_secs(days * DAY);
    File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(mtime))
        .expect("age the file");
}

fn snapshot(dir: &Path, found: &mut BTreeMap<PathBuf, (u64, SystemTime)>) {
    for entry in fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        let meta = entry.metadata().expect("metadata");
        if meta.is_dir() {
            snapshot(&entry.path(), found);
        }
        let mtime = meta.modified().expect("mtime");
        found.insert(entry.path(), (meta.len(), mtime));
    }
}

/// Records restarts; knows `api` and `web`.
#[derive(Default)]
struct Recorder {
    restarted: Mutex<Vec<String>>,
}

impl Services for Recorder {
    fn exists(&self, service: &str) -> bool {
        ["api", "web"].contains(&service)
    }

    async fn restart(&self, service: &str) -> Result<String, RestartError> {
        self.restarted
            .lock()
            .expect("lock")
            .push(service.to_owned());
        if service == "web" {
            Err(CommandError::new("web did not stop in time").into())
        } else {
            Ok("restarted, pid 4242".to_owned())
        }
    }
}

async fn run(playbook: &Playbook, dry_run: bool) -> PlaybookReport {
    playbook::run(playbook, dry_run, &Recorder::default()).await
}

/// The targets of a step's actions, relative to the workspace.
fn targets(ws: &Workspace, report: &PlaybookReport, step: usize) -> Vec<String> {
    let base = ws.dir.path().canonicalize().expect("canonical");
    report.steps[step]
        .actions
        .iter()
        .map(|a| {
            let target = Path::new(&a.target);
            target
                .strip_prefix(&base)
                .unwrap_or(target)
                .display()
                .to_string()
        })
        .collect()
}

const DELETE_OLD_LOGS: &str = "\
roots: [./logs]
steps:
  - delete: { under: ./logs, match: \"**/*.log.*\", older_than: 7d }
";

/// Two old matching files, and everything that must be left alone.
fn old_logs(ws: &Workspace) {
    ws.file("logs/a.log.1", 2000, 10);
    ws.file("logs/deep/er/b.log.2", 3000, 30);
    ws.file("logs/young.log.1", 500, 1);
    ws.file("logs/api.log", 700, 20);
    ws.file("logs/old.log.1/inside.txt", 100, 20);
}

#[tokio::test]
async fn dry_run_lists_old_matching_files_and_touches_nothing() {
    let ws = Workspace::new();
    old_logs(&ws);
    let before = ws.snapshot();
    let playbook = ws.load(DELETE_OLD_LOGS);
    let report = run(&playbook, true).await;
    assert_eq!(
        targets(&ws, &report, 0),
        ["logs/a.log.1", "logs/deep/er/b.log.2"]
    );
    let step = &report.steps[0];
    assert_eq!(step.step, "delete ./logs/**/*.log.* older than 7d");
    assert!(step.actions.iter().all(|a| a.kind == ActionKind::Delete));
    assert!(step.actions.iter().all(|a| a.outcome == Outcome::Planned));
    let sizes: Vec<Option<u64>> = step.actions.iter().map(|a| a.bytes).collect();
    assert_eq!(sizes, [Some(2000), Some(3000)]);
    assert_eq!(step.actions[0].detail.as_deref(), Some("10 days old"));
    assert_eq!(report.freed_bytes, 5000);
    assert!(report.dry_run && report.succeeded());
    assert!(
        report
            .text()
            .starts_with("cleanup: 2 actions planned, 4.9K would free (dry run)\n")
    );
    assert_eq!(ws.snapshot(), before);
}

#[tokio::test]
async fn run_deletes_only_old_matching_files() {
    let ws = Workspace::new();
    old_logs(&ws);
    let playbook = ws.load(DELETE_OLD_LOGS);
    let report = run(&playbook, false).await;
    assert!(
        report.steps[0]
            .actions
            .iter()
            .all(|a| a.outcome == Outcome::Done)
    );
    assert_eq!(report.freed_bytes, 5000);
    assert!(!ws.path("logs/a.log.1").exists());
    assert!(!ws.path("logs/deep/er/b.log.2").exists());
    for kept in [
        "logs/young.log.1",
        "logs/api.log",
        "logs/old.log.1/inside.txt",
        "logs/deep/er",
    ] {
        assert!(ws.path(kept).exists(), "{kept} kept");
    }
    let again = run(&playbook, false).await;
    assert_eq!(again.steps[0].note.as_deref(), Some("no file matches"));
    assert_eq!(again.freed_bytes, 0);
}

#[tokio::test]
async fn truncate_and_rotate_only_files_over_the_size() {
    let ws = Workspace::new();
    ws.file("logs/api.log", 3000, 0);
    ws.file("logs/small.log", 1000, 0);
    ws.file("logs/worker.log", 4000, 0);
    ws.file("logs/worker.log.1", 1111, 1);
    ws.file("logs/worker.log.2", 2222, 2);
    let playbook = ws.load(
        "roots: [./logs]
steps:
  - truncate: { file: ./logs/api.log, over: 2KiB }
  - truncate: { file: ./logs/small.log, over: 2KiB }
  - rotate: { file: ./logs/worker.log, over: 2KiB, keep: 2 }
  - rotate: { file: ./logs/small.log, over: 2KiB }
",
    );
    let dry = run(&playbook, true).await;
    assert_eq!(targets(&ws, &dry, 0), ["logs/api.log"]);
    assert_eq!(dry.steps[0].actions[0].bytes, Some(3000));
    assert!(dry.steps[1].actions.is_empty());
    assert_eq!(
        dry.steps[1].note.as_deref(),
        Some("small.log is 1000B, not over 2.0K")
    );
    let rotate: Vec<(ActionKind, &str)> = dry.steps[2]
        .actions
        .iter()
        .map(|a| (a.kind, a.detail.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        rotate,
        [
            (ActionKind::Delete, "beyond keep 2"),
            (ActionKind::Rename, "-> worker.log.2"),
            (ActionKind::Rename, "-> worker.log.1"),
            (ActionKind::Create, "empty"),
        ]
    );
    assert_eq!(
        targets(&ws, &dry, 2),
        [
            "logs/worker.log.2",
            "logs/worker.log.1",
            "logs/worker.log",
            "logs/worker.log"
        ]
    );
    assert_eq!(dry.freed_bytes, 3000 + 2222);
    assert_eq!(
        fs::metadata(ws.path("logs/api.log")).expect("api").len(),
        3000
    );

    let report = run(&playbook, false).await;
    assert!(report.succeeded(), "{}", report.text());
    let size = |name: &str| fs::metadata(ws.path(name)).map(|m| m.len()).ok();
    assert_eq!(size("logs/api.log"), Some(0));
    assert_eq!(size("logs/small.log"), Some(1000));
    assert_eq!(size("logs/worker.log"), Some(0));
    assert_eq!(size("logs/worker.log.1"), Some(4000));
    assert_eq!(size("logs/worker.log.2"), Some(1111));
    assert_eq!(size("logs/worker.log.3"), None);
    assert_eq!(report.freed_bytes, 3000 + 2222);
}

#[test]
fn paths_outside_the_roots_are_refused_at_load() {
    let ws = Workspace::new();
    let file = ws.playbook(
        "escape",
        "roots: [./logs]
steps:
  - delete: { under: ./logs/../configs, match: \"*\" }
  - truncate: { file: /etc/passwd }
",
    );
    ws.playbook("everything", "roots: [/]\nsteps: []\n");
    let dir = ws.path(PLAYBOOKS_DIR);
    let problems = playbook::load_dir(&dir, ws.dir.path()).expect_err("refused");
    let found: Vec<(String, u64, u64)> = problems
        .iter()
        .map(|p| (p.file.display().to_string(), p.line, p.column))
        .collect();
    let everything = dir.join("everything.yaml").display().to_string();
    let escape = file.display().to_string();
    assert_eq!(
        found,
        [(escape.clone(), 3, 22), (escape, 4, 23), (everything, 1, 9)]
    );
    assert!(problems[0].message.contains("`./logs/../configs`"));
    assert!(problems[0].message.contains("outside the playbook's roots"));
    assert!(problems[2].message.starts_with("refused root: `/`"));
}

#[tokio::test]
async fn symlinks_never_lead_out_of_the_roots() {
    let ws = Workspace::new();
    let outside = tempfile::tempdir().expect("temp dir");
    write_aged(&outside.path().join("old.log.1"), 900, 30);
    write_aged(&outside.path().join("secret.log"), 5000, 30);
    ws.file("logs/mine.log.1", 100, 30);
    symlink(outside.path(), ws.path("logs/linked-dir")).expect("link");
    let link = ws.path("logs/linked.log.1");
    symlink(outside.path().join("old.log.1"), &link).expect("link");
    symlink(
        outside.path().join("secret.log"),
        ws.path("logs/secret.log"),
    )
    .expect("link");
    let playbook = ws.load(
        "roots: [./logs]
steps:
  - delete: { under: ./logs, match: \"**/*.log.*\" }
  - delete: { under: ./logs/linked-dir, match: \"*\" }
  - truncate: { file: ./logs/secret.log }
  - rotate: { file: ./logs/secret.log }
",
    );
    let report = run(&playbook, false).await;
    assert_eq!(
        targets(&ws, &report, 0),
        ["logs/linked.log.1", "logs/mine.log.1"]
    );
    assert_eq!(report.steps[0].actions[0].bytes, None);
    for step in &report.steps[1..] {
        let error = step.error.as_deref().unwrap_or_default();
        assert!(error.contains("outside the playbook's roots"), "{error}");
        assert!(step.actions.is_empty());
    }
    assert!(fs::symlink_metadata(&link).is_err(), "the link is gone");
    let size = |name: &str| {
        fs::metadata(outside.path().join(name))
            .map(|m| m.len())
            .ok()
    };
    assert_eq!(size("old.log.1"), Some(900));
    assert_eq!(size("secret.log"), Some(5000));
    assert_eq!(report.freed_bytes, 100);
}

#[tokio::test]
async fn a_hung_command_is_killed_with_what_it_started() {
    let ws = Workspace::new();
    let playbook = ws.load(
        "steps:
  - run: { command: \"echo started; sleep 30 & echo $! > child.pid; sleep 30\", timeout: 1s }
  - run: { command: \"echo done in $(basename $PWD)\" }
",
    );
    let start = Instant::now();
    let report = run(&playbook, false).await;
    assert!(start.elapsed() < Duration::from_secs(10));
    let hung = &report.steps[0].actions[0];
    assert_eq!(hung.kind, ActionKind::Run);
    let Outcome::Failed(why) = &hung.outcome else {
        panic!("{hung:?}")
    };
    assert!(why.starts_with("timed out after 1s"), "{why}");
    let child = fs::read_to_string(ws.path("child.pid")).expect("pid file");
    assert!(gone(child.trim()), "the background sleep was killed");
    let next = &report.steps[1].actions[0];
    assert_eq!(next.outcome, Outcome::Done);
    let name = ws.dir.path().file_name().expect("name").to_string_lossy();
    assert_eq!(next.detail, Some(format!("done in {name}")));
}

/// Whether the process is dead: no longer there, or a zombie nobody reaped yet.
fn gone(pid: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat)
                if stat
                    .rsplit(')')
                    .next()
                    .is_some_and(|s| s.trim_start().starts_with('Z')) =>
            {
                return true;
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    false
}

#[tokio::test]
async fn restarts_go_through_the_services() {
    let ws = Workspace::new();
    let playbook = ws.load("steps:\n  - restart: api\n  - restart: apii\n  - restart: web\n");
    let services = Recorder::default();
    let dry = playbook::run(&playbook, true, &services).await;
    assert!(services.restarted.lock().expect("lock").is_empty());
    assert_eq!(dry.steps[0].actions[0].outcome, Outcome::Planned);

    let report = playbook::run(&playbook, false, &services).await;
    assert_eq!(*services.restarted.lock().expect("lock"), ["api", "web"]);
    let api = &report.steps[0].actions[0];
    assert_eq!((api.target.as_str(), &api.outcome), ("api", &Outcome::Done));
    assert_eq!(api.detail.as_deref(), Some("restarted, pid 4242"));
    assert_eq!(
        report.steps[1].error.as_deref(),
        Some("unknown service `apii`")
    );
    let web = &report.steps[2].actions[0].outcome;
    assert_eq!(web, &Outcome::Failed("web did not stop in time".to_owned()));
    assert!(!report.succeeded());
}

#[tokio::test]
async fn stop_on_error_skips_the_steps_after_a_failure() {
    let ws = Workspace::new();
    let playbook = ws
        .load("stop_on_error: true\nsteps:\n  - run: { command: \"exit 3\" }\n  - restart: api\n");
    let services = Recorder::default();
    let report = playbook::run(&playbook, false, &services).await;
    assert_eq!(
        report.steps[0].actions[0].outcome,
        Outcome::Failed("exit status: 3".to_owned())
    );
    assert!(report.steps[1].actions.is_empty());
    assert!(
        report.steps[1]
            .note
            .as_deref()
            .is_some_and(|n| n.starts_with("not run"))
    );
    assert!(services.restarted.lock().expect("lock").is_empty());
}

#[test]
fn bad_yaml_is_reported_at_its_line_and_column() {
    let ws = Workspace::new();
    ws.playbook(
        "typo",
        "roots: [./logs]\nsteps:\n  - rotate: { file: ./logs/w.log, kep: 3 }\n",
    );
    ws.playbook(
        "duration",
        "roots: [./logs]\nsteps:\n  - delete:\n      under: ./logs\n      match: \"*.gz\"\n      older_than: 7 days ago\n",
    );
    let problems = playbook::load_dir(&ws.path(PLAYBOOKS_DIR), ws.dir.path()).expect_err("bad");
    let found: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let dir = ws.path(PLAYBOOKS_DIR);
    assert_eq!(
        found,
        [
            format!(
                "{}:6:19: invalid duration `7 days ago` (e.g. `90s`, `1.5h`, `1h30m`, or a \
                 number of seconds)",
                dir.join("duration.yaml").display()
            ),
            format!(
                "{}:3:35: unknown field `kep` (did you mean `keep`?)",
                dir.join("typo.yaml").display()
            ),
        ]
    );
    let caret = format!("   | {}^", " ".repeat(34));
    assert_eq!(
        problems[1].snippet(),
        Some(format!(
            " 3 |   - rotate: {{ file: ./logs/w.log, kep: 3 }}\n{caret}"
        ))
    );
}

#[test]
fn a_missing_directory_has_no_playbooks() {
    let ws = Workspace::new();
    let found = playbook::load_dir(&ws.path(PLAYBOOKS_DIR), ws.dir.path()).expect("fine");
    assert!(found.is_empty());
}
