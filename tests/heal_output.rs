//! A probe or a playbook step that prints far more than anyone reads costs the engine a few
//! KiB, not what it printed: the captured output is capped, its last words still reported.

use std::time::Duration;

use univers_container::config::Probe;
use univers_container::heal::playbook::{self, Outcome, RestartError, Services};
use univers_container::heal::probe::{ProbeContext, check};

/// 256 MiB of `x`, then the words a report should end with, then a failure.
const LOUD: &str = "head -c 268435456 /dev/zero | tr '\\0' x; echo; echo last words; exit 3";

/// The process's peak resident memory so far (`VmHWM`), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// What running `work` added to the peak, in MiB.
async fn peak_growth_mib(work: impl Future<Output = ()>) -> u64 {
    let before = peak_kib();
    work.await;
    (peak_kib() - before) / 1024
}

#[tokio::test]
async fn an_exec_probe_printing_hundreds_of_mib_is_capped() {
    let ctx = ProbeContext {
        cwd: std::env::temp_dir(),
        env: Default::default(),
        pid: None,
        secrets: Default::default(),
    };
    let mut result = Ok(());
    let grown = peak_growth_mib(async {
        result = check(&Probe::Exec(LOUD.into()), Duration::from_secs(60), &ctx).await;
    })
    .await;
    let why = result.expect_err("the probe fails");
    assert!(why.starts_with("failed (exit status: 3): "), "{why}");
    assert!(why.ends_with("xxx last words"), "{why}");
    assert!(grown < 32, "reading the probe's output took {grown} MiB");
}

struct NoServices;

impl Services for NoServices {
    fn exists(&self, _: &str) -> bool {
        false
    }

    async fn restart(&self, _: &str) -> Result<String, RestartError> {
        Err(RestartError::SupervisorGone)
    }
}

#[tokio::test]
async fn a_playbook_step_printing_hundreds_of_mib_is_capped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "roots: [./logs]\nsteps:\n  - run: {{ command: {}, timeout: 60s }}\n",
        serde_json::to_string(LOUD).expect("json")
    );
    let file = dir.path().join("loud.yaml");
    let playbook = playbook::parse(&text, &file, dir.path()).expect("valid playbook");
    let mut report = None;
    let grown = peak_growth_mib(async {
        report = Some(playbook::run(&playbook, false, &NoServices).await);
    })
    .await;
    let report = report.expect("report");
    let action = &report.steps[0].actions[0];
    assert_eq!(action.outcome, Outcome::Failed("exit status: 3".into()));
    let detail = action.detail.as_deref().unwrap_or_default();
    assert!(detail.ends_with("xxx last words"), "{detail}");
    assert!(grown < 32, "reading the step's output took {grown} MiB");
}
