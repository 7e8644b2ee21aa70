//! Logs through the real engine: captured service output and a declared file source are
//! stored, searched (`uc logs`), followed (`uc logs -f`), summarised (`uc logs stats`), and
//! an engine killed with `kill -9` neither loses nor repeats lines.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use common::cli::Env;
use common::{eventually, pid_alive};

const T: Duration = Duration::from_secs(30);

/// `chatty` prints 30 numbered lines (every third an ERROR) and then idles; `app.log` is a
/// declared file the test writes and rotates itself.
fn env() -> Env {
    let services = "  chatty:\n    command: |\n      for i in $(seq 1 30); do\n        if [ $((i % 3)) -eq 0 ]; then echo \"ERROR request $i failed: upstream 10.0.0.$i refused\"; else echo \"INFO request $i served in $i ms\"; fi\n      done\n      exec sleep 600\n";
    Env::with_settings(services, "logs:\n  files:\n    app: [./app/*.log]\n")
}

fn count(env: &Env, args: &[&str]) -> usize {
    let mut all = vec!["logs", "-c"];
    all.extend_from_slice(args);
    env.ok(&all).trim().parse().expect("a count")
}

fn wait_count(env: &Env, args: &[&str], expected: usize) {
    let ok = eventually(T, || count(env, args) == expected);
    assert!(
        ok,
        "uc logs -c {args:?}: {} (expected {expected})",
        count(env, args)
    );
}

#[test]
fn service_output_is_stored_searched_and_summarised() {
    let env = env();
    std::fs::create_dir_all(env.dir.join("app")).expect("app dir");
    env.ok(&["up", "chatty"]);
    wait_count(&env, &["chatty"], 30);
    assert_eq!(count(&env, &["chatty", "--level", "error"]), 10);
    assert_eq!(count(&env, &["chatty", "--grep", "request 1[0-9] "]), 10);

    let out = env.ok(&["logs", "chatty", "--level", "error", "-n", "2", "--json"]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        lines[1]["text"],
        "ERROR request 30 failed: upstream 10.0.0.30 refused"
    );
    assert_eq!(lines[1]["level"], "ERROR");
    assert_eq!(
        lines[0]["pattern"], lines[1]["pattern"],
        "one pattern for the errors"
    );

    let pattern = lines[0]["pattern"]
        .as_u64()
        .expect("pattern id")
        .to_string();
    assert_eq!(count(&env, &["--pattern", &pattern]), 10);

    // The pattern list is refreshed once a second.
    let stats = || -> serde_json::Value {
        serde_json::from_str(&env.ok(&["logs", "stats", "--json"])).expect("stats json")
    };
    let error_pattern = |stats: &serde_json::Value| {
        stats["top_patterns"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["errors"] == 10).cloned())
    };
    assert!(
        eventually(T, || error_pattern(&stats()).is_some()),
        "{:#}",
        stats()
    );
    let stats = stats();
    let chatty = stats["sources"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["source"] == "chatty"))
        .expect("chatty in the stats");
    assert_eq!(chatty["lines"], 30);
    let errors = error_pattern(&stats).expect("error pattern");
    assert_eq!(errors["flag"], "errors", "{errors}");

    let bad = env.run(&["logs", "chaty"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("did you mean `chatty`?"), "{err}");
    env.ok(&["down"]);
}

#[test]
fn declared_files_are_followed_across_rotation_and_an_engine_kill() {
    let env = env();
    let app = env.dir.join("app");
    std::fs::create_dir_all(&app).expect("app dir");
    env.ok(&["up", "chatty"]);
    let log = app.join("app.log");
    let write = |from: usize, to: usize| {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("app.log");
        for i in from..to {
            writeln!(file, "WARN cache {i} evicted").expect("write");
        }
    };
    write(0, 100);
    wait_count(&env, &["app"], 100);

    let mut follow = env
        .uc(&["logs", "app", "-f", "-n", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("uc logs -f");
    let mut reader = BufReader::new(follow.stdout.take().expect("stdout"));
    // The newest stored line comes once the live stream is open (it opens first).
    let mut followed = String::new();
    reader
        .read_line(&mut followed)
        .expect("the newest stored line");
    assert!(followed.contains("WARN  cache 99 evicted"), "{followed}");
    std::fs::rename(&log, app.join("app.log.1")).expect("rotate");
    write(100, 150);
    followed.clear();
    reader.read_line(&mut followed).expect("a followed line");
    assert!(followed.contains("WARN  cache 100 evicted"), "{followed}");
    let _ = follow.kill();
    let _ = follow.wait();
    wait_count(&env, &["app"], 150);

    let status = env.status();
    let engine = status["engine"]["pid"].as_u64().expect("pid") as u32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(engine as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill -9 the engine");
    assert!(eventually(T, || !pid_alive(engine)));
    write(150, 200);
    // Any command starts a new engine; it resumes where the old one stopped.
    wait_count(&env, &["app"], 200);
    assert_eq!(
        count(&env, &["chatty"]),
        30,
        "captured output is not stored twice"
    );
    env.ok(&["down"]);
}

/// A service added by a config applied while the engine runs is followed like the ones it
/// started with (the alert rules' `log_rate` and `log_match` count these lines too).
#[test]
fn a_service_added_while_the_engine_runs_is_followed() {
    let env = Env::new("  idle:\n    command: exec sleep 600\n");
    env.ok(&["up"]);
    let text = std::fs::read_to_string(&env.file).expect("read");
    let late = "services:\n  late:\n    command: |\n      for i in $(seq 1 5); do echo \"WARN late $i\"; done\n      exec sleep 600\n";
    std::fs::write(&env.file, text.replacen("services:\n", late, 1)).expect("write");
    let offered = env.wait_status(T, |s| !s["config"]["pending"]["hash"].is_null());
    assert_eq!(
        offered["config"]["pending"]["changes"][0]["service"],
        "late"
    );
    env.ok(&["config", "apply", "--yes"]);
    wait_count(&env, &["late", "--level", "warn"], 5);
    env.ok(&["down"]);
}

/// Each source's header is learned as its lines come: the miner sees the message alone,
/// every line carries where its fields and message are, and a stack trace is one record
/// (its frames share the record's level and pattern, and count once).
#[test]
fn headers_are_learned_and_a_stack_trace_is_one_record() {
    let env = env();
    let app = env.dir.join("app");
    std::fs::create_dir_all(&app).expect("app dir");
    env.ok(&["up", "chatty"]);
    let served = |i: usize| {
        format!("2024-05-01 10:00:{i:02},001 INFO [main] app.Server: request {i} done in {i} ms\n")
    };
    let mut text: String = (0..40).map(served).collect();
    text.push_str("2024-05-01 10:00:40,001 ERROR [worker-2] app.Db: query failed\n");
    text.push_str("\tat app.Db.run(Db.java:10)\n\tat app.Main.main(Main.java:3)\n");
    text.extend((41..50).map(served));
    std::fs::write(app.join("java.log"), text).expect("java.log");
    wait_count(&env, &["app"], 52);

    let out = env.ok(&["logs", "app", "--json", "-n", "60"]);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let failed = lines
        .iter()
        .position(|l| {
            l["text"]
                .as_str()
                .is_some_and(|t| t.ends_with("query failed"))
        })
        .expect("the error line");
    let span = |line: &serde_json::Value, field: &str| -> String {
        let text = line["text"].as_str().expect("text");
        let at = |i: usize| line["header"][field][i].as_u64().expect("span") as usize;
        text[at(0)..at(1)].to_owned()
    };
    let error = &lines[failed];
    let message = error["header"]["message"].as_u64().expect("message") as usize;
    assert_eq!(
        &error["text"].as_str().expect("text")[message..],
        "query failed"
    );
    assert_eq!(span(error, "thread"), "[worker-2]");
    assert_eq!(span(error, "component"), "app.Db");
    assert_eq!(span(error, "time"), "2024-05-01 10:00:40,001");
    for frame in &lines[failed + 1..failed + 3] {
        assert_eq!(frame["continues"], true, "{frame}");
        assert_eq!(frame["level"], "ERROR");
        assert_eq!(frame["pattern"], error["pattern"]);
    }
    assert_eq!(count(&env, &["app", "--level", "error"]), 3);

    // `uc logs` prints the source's own fields in columns, then the message; `--raw` the
    // line as written.
    let printed = env.ok(&["logs", "app", "-n", "60"]);
    let error = printed
        .lines()
        .find(|l| l.contains("query failed"))
        .expect("the error line");
    assert!(
        error.ends_with(" app          ERROR [worker-2] app.Db     query failed"),
        "{printed}"
    );
    assert!(
        printed.contains(" app                \tat app.Db.run(Db.java:10)\n"),
        "{printed}"
    );
    let raw = env.ok(&["logs", "app", "-n", "60", "--raw"]);
    assert!(
        raw.contains(
            " app          2024-05-01 10:00:40,001 ERROR [worker-2] app.Db: query failed\n"
        ),
        "{raw}"
    );

    // The lines carry their own (old) times.
    let stats = || -> serde_json::Value {
        let out = env.ok(&["logs", "stats", "--json", "--since", "9999d"]);
        serde_json::from_str(&out).expect("stats json")
    };
    let template = |stats: &serde_json::Value, t: &str| {
        stats["top_patterns"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["template"] == t).cloned())
    };
    // The pattern list is refreshed once a second.
    assert!(eventually(T, || template(&stats(), "query failed").is_some()));
    let stats = stats();
    // The lines read before a whole header is learned are mined with their stamp cut off.
    let learning = univers_container::logs::header::MIN_LEARN as u64 - 1;
    let served = template(&stats, "request <*> done in <*>")
        .unwrap_or_else(|| panic!("mined on the message: {stats:#}"));
    assert_eq!(served["count"], 49 - learning, "{stats:#}");
    let failed = template(&stats, "query failed").expect("the error record");
    assert_eq!(failed["count"], 1, "the stack trace is one record");
    env.ok(&["down"]);
}

/// A pattern first seen after the latest config change is marked `new` in `uc logs
/// patterns` (the engine's list, as the API serves it) and `uc logs stats --markdown`;
/// one seen before is not.
#[test]
fn a_pattern_first_seen_after_a_config_change_is_new() {
    let env = env();
    let app = env.dir.join("app");
    std::fs::create_dir_all(&app).expect("app dir");
    env.ok(&["up", "chatty"]);
    let log = app.join("new.log");
    let append = |text: &str| {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("open new.log");
        file.write_all(text.as_bytes()).expect("append");
    };
    append("INFO cache warmed in 12 ms\n");
    wait_count(&env, &["app"], 1);

    let text = std::fs::read_to_string(&env.file).expect("read");
    let idle = "services:\n  idle:\n    command: exec sleep 600\n";
    std::fs::write(&env.file, text.replacen("services:\n", idle, 1)).expect("write");
    env.wait_status(T, |s| !s["config"]["pending"]["hash"].is_null());
    env.ok(&["config", "apply", "--yes"]);
    append("INFO cache warmed in 15 ms\nWARN disk quota for tenant 7 at 91%\n");
    wait_count(&env, &["app"], 3);

    let patterns = || -> Vec<serde_json::Value> {
        serde_json::from_str(&env.ok(&["logs", "patterns", "--json"])).expect("patterns json")
    };
    let find = |list: &[serde_json::Value], words: &str| {
        list.iter()
            .find(|p| p["template"].as_str().is_some_and(|t| t.contains(words)))
            .cloned()
    };
    // The pattern list is refreshed once a second.
    assert!(eventually(T, || find(&patterns(), "disk quota").is_some()));
    let list = patterns();
    let quota = find(&list, "disk quota").expect("the new pattern");
    assert_eq!(quota["new"], true, "{quota}");
    let warmed = find(&list, "cache warmed").expect("the known pattern");
    assert_eq!(warmed["new"], false, "seen before the change: {warmed}");

    let printed = env.ok(&["logs", "patterns"]);
    let row = printed
        .lines()
        .find(|l| l.contains("disk quota"))
        .expect("listed");
    assert!(row.contains("  new  "), "{printed}");
    let markdown = env.ok(&["logs", "stats", "--markdown"]);
    assert!(
        markdown
            .lines()
            .any(|l| l.contains("disk quota") && l.contains("| new |")),
        "{markdown}"
    );
    env.ok(&["down"]);
}
