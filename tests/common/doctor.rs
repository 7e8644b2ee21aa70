//! The fault-injection suite's harness: a real workspace, a fault injected into real
//! processes, then `uc doctor --json` read until its first finding names the cause. The
//! time from the fault to that finding is printed as `doctor: SCENARIO first finding
//! after N ms` (what the closing figures are read from).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::cli::Env;

/// What the first finding must say: the analyzer, the service it is about, and a word its
/// cause must contain.
pub struct Expect<'a> {
    pub analyzer: &'a str,
    pub service: Option<&'a str>,
    pub cause_has: &'a str,
}

/// `uc doctor --json` (whole workspace), parsed.
pub fn diagnose(env: &Env) -> Value {
    let out = env.run(&["doctor", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "uc doctor --json: {e}\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn matches(finding: &Value, expect: &Expect) -> bool {
    finding["analyzer"] == expect.analyzer
        && expect
            .service
            .is_none_or(|s| finding["service"].as_str() == Some(s))
        && finding["cause"]
            .as_str()
            .is_some_and(|c| c.contains(expect.cause_has))
}

/// Reads the diagnosis until its first finding is the expected one; returns it. Panics with
/// the last diagnosis when `timeout` passes first. `fault_at` is when the fault was
/// injected.
pub fn first_finding(
    env: &Env,
    scenario: &str,
    fault_at: Instant,
    timeout: Duration,
    expect: &Expect,
) -> Value {
    let mut last = Value::Null;
    while fault_at.elapsed() < timeout {
        last = diagnose(env);
        if let Some(first) = last["findings"].get(0)
            && matches(first, expect)
        {
            println!(
                "doctor: {scenario} first finding after {} ms",
                fault_at.elapsed().as_millis()
            );
            return first.clone();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "doctor: {scenario}: no first finding {} about {:?} within {timeout:?}; last:\n{}",
        expect.analyzer,
        expect.service,
        serde_json::to_string_pretty(&last).unwrap_or_default()
    );
}
