use super::*;

fn learned(lines: &[&str]) -> Format {
    Format::learn(lines)
}

fn messages(lines: &[&str]) -> Vec<String> {
    let format = learned(lines);
    lines
        .iter()
        .map(|l| format.message(l).into_owned())
        .collect()
}

fn field_names(format: &Format, line: &str) -> Vec<(&'static str, String)> {
    format
        .fields(line)
        .into_iter()
        .map(|(f, v)| (f.as_str(), v.into_owned()))
        .collect()
}

#[test]
fn iso_time_level_thread_component() {
    let lines = [
        "2015-10-18 18:01:47,978 INFO [main] org.apache.Foo: Created app for attempt_1",
        "2015-10-18 18:01:48,963 WARN [main] org.apache.Bar: Executing with tokens:",
        "2015-10-18 18:01:49,001 INFO [IPC Server handler 3] org.apache.Foo: Stopped 2 things",
    ];
    let format = learned(&lines);
    assert_eq!(format.describe(), "time time level thread component");
    assert_eq!(
        messages(&lines),
        [
            "Created app for attempt_1",
            "Executing with tokens:",
            "Stopped 2 things"
        ]
    );
    assert_eq!(
        field_names(&format, lines[2]),
        [
            ("time", "2015-10-18 18:01:49,001".to_owned()),
            ("level", "INFO".to_owned()),
            ("thread", "[IPC Server handler 3]".to_owned()),
            ("component", "org.apache.Foo".to_owned()),
        ]
    );
}

#[test]
fn syslog_host_process_pid() {
    let lines = [
        "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster",
        "Dec 10 07:02:47 LabSZ kernel: eth0: link up",
    ];
    let format = learned(&lines);
    assert_eq!(messages(&lines)[2], "eth0: link up");
    assert_eq!(
        field_names(&format, lines[0]),
        [
            ("time", "Dec 10 06:55:46".to_owned()),
            ("host", "LabSZ".to_owned()),
            ("process", "sshd".to_owned()),
            ("pid", "24200".to_owned()),
        ]
    );
}

#[test]
fn pipes_close_fields() {
    let lines = [
        "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
        "20171223-22:15:29:615|Step_LSC|30002312|onExtend:1514038530000 14 0 4",
    ];
    assert_eq!(
        messages(&lines),
        ["onStandStepChanged 3579", "onExtend:1514038530000 14 0 4"]
    );
}

#[test]
fn bracketed_time_and_dash() {
    let lines = [
        "[10.30 16:49:06] chrome.exe - proxy.example.org:5070 open through proxy",
        "[10.30 16:49:07] chrome.exe - proxy.example.org:5070 close, 0 bytes sent",
    ];
    let format = learned(&lines);
    assert_eq!(format.describe(), "time host -");
    assert_eq!(
        messages(&lines)[1],
        "proxy.example.org:5070 close, 0 bytes sent"
    );
}

#[test]
fn a_message_that_starts_alike_is_not_header() {
    let lines = [
        "2024-05-01T10:00:00Z INFO tick 1: all good",
        "2024-05-01T10:00:01Z INFO tick 2: all good",
        "2024-05-01T10:00:02Z INFO tick 3: all good",
    ];
    assert_eq!(messages(&lines)[0], "tick 1: all good");
}

#[test]
fn no_header_keeps_the_line() {
    let lines = ["starting up", "listening on :8080", "ready"];
    assert_eq!(learned(&lines), Format::Plain);
    assert_eq!(messages(&lines), lines);
}

#[test]
fn json_lines() {
    let lines = [
        r#"{"ts":"2024-05-01T10:00:00Z","level":"info","msg":"user logged in","user":42}"#,
        r#"{"ts":"2024-05-01T10:00:01Z","level":"error","msg":"db down"}"#,
    ];
    let format = learned(&lines);
    assert_eq!(format, Format::Json);
    assert_eq!(messages(&lines), ["user logged in user=42", "db down"]);
    assert_eq!(
        field_names(&format, lines[1])[1],
        ("level", "error".to_owned())
    );
}

#[test]
fn logfmt() {
    let lines = [
        r#"time=2024-05-01T10:00:00Z level=info msg="request done" path=/a status=200"#,
        r#"time=2024-05-01T10:00:01Z level=warn msg="slow \"query\"" took=3s"#,
    ];
    assert_eq!(learned(&lines), Format::Logfmt);
    assert_eq!(
        messages(&lines),
        ["request done path=/a status=200", "slow \"query\" took=3s"]
    );
}

#[test]
fn stack_traces_are_one_record() {
    let lines = [
        "2024-05-01 10:00:00,001 ERROR [main] app.Server: request failed",
        "java.lang.IllegalStateException: boom",
        "\tat app.Server.handle(Server.java:42)",
        "\tat app.Server.run(Server.java:10)",
        "2024-05-01 10:00:01,001 INFO [main] app.Server: request done",
        "2024-05-01 10:00:02,001 INFO [main] app.Server: request done",
        "2024-05-01 10:00:03,001 INFO [main] app.Server: request done",
    ];
    let format = learned(&lines);
    let records = records(&format, &lines);
    assert_eq!(records.len(), 4);
    assert!(records[0].ends_with("(Server.java:10)"));
    assert_eq!(format.message(&records[1]), "request done");
}

#[test]
fn format_change_mid_file_is_relearned() {
    let mut detector = Detector::default();
    for i in 0..LEARN {
        detector.observe(&format!(
            "2024-05-01 10:00:{:02} INFO [main] job {i} done",
            i % 60
        ));
    }
    assert_eq!(detector.format().describe(), "time time level thread");
    for i in 0..RELEARN {
        detector.observe(&format!(
            "Jun 14 15:16:{:02} combo sshd[{i}]: session {i} opened",
            i
        ));
    }
    assert_eq!(
        detector.format().describe(),
        "time time time host component"
    );
    let line = "Jun 14 15:17:00 combo sshd[7]: session 7 closed";
    assert_eq!(detector.format().message(line), "session 7 closed");
}

#[test]
fn a_field_may_run_over() {
    let lines = [
        "[10.30 16:49:06] chrome.exe - proxy.example.org:5070 open through proxy",
        "[10.30 16:49:07] chrome.exe - proxy.example.org:5070 close, 0 bytes sent",
        "[10.30 16:49:07] chrome.exe - proxy.example.org:5070 close, 0 bytes sent",
        "[10.30 16:49:07] chrome.exe - proxy.example.org:5070 close, 0 bytes sent",
        "[10.30 16:49:08] svchost.exe *64 - proxy.example.org:5070 close, 3 bytes sent",
    ];
    assert_eq!(
        messages(&lines)[4],
        "proxy.example.org:5070 close, 3 bytes sent"
    );
}

#[test]
fn a_plain_source_is_checked_for_a_header_now_and_then() {
    let mut detector = Detector::default();
    for i in 0..LEARN {
        detector.parse(&format!("step {i} of the build"));
    }
    assert_eq!(*detector.format(), Format::Plain);
    let stamped = |i: usize| format!("2024-05-01 10:00:{:02} INFO [main] job {i} done", i % 60);
    let found = (0..2 * PLAIN_RECHECK as usize)
        .position(|i| detector.parse(&stamped(i)).header.is_some())
        .expect("the header is found");
    assert!(found < PLAIN_RECHECK as usize + RELEARN, "{found}");
    let line = stamped(7);
    let parsed = detector.parse(&line);
    let header = parsed.header.expect("header");
    assert_eq!(&line[header.message as usize..], "job 7 done");
}
