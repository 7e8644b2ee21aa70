use super::*;

/// The line as the miner sees it: words and delimiters as written, parameters as `<*>`.
fn masked(line: &str) -> Vec<String> {
    let mut tokenizer = Tokenizer::default();
    tokenizer
        .tokenize(line)
        .iter()
        .map(|t| match t.kind {
            Kind::Param => "<*>".to_string(),
            _ => t.text(line).to_string(),
        })
        .collect()
}

fn joined(line: &str) -> String {
    masked(line).join(" ")
}

#[test]
fn words_with_digits_are_parameters() {
    assert_eq!(
        joined("PacketResponder 1 for block blk_-6952295868487656571 terminating"),
        "PacketResponder <*> for block <*> terminating"
    );
    assert_eq!(joined("generating core.4900"), "generating <*>");
    assert_eq!(
        joined("machine state register: 0x00002000"),
        "machine state register : <*>"
    );
}

#[test]
fn delimiters_are_tokens_of_their_own() {
    assert_eq!(
        joined("check pass; user unknown"),
        "check pass ; user unknown"
    );
    assert_eq!(joined("user=root"), "user = root");
    assert_eq!(
        joined("pam_unix(sshd:auth): check"),
        "pam_unix ( sshd:auth ) : check"
    );
}

#[test]
fn words_glued_by_colons_are_one_token() {
    assert_eq!(
        joined("status installed libc-bin:amd64 2.36-9"),
        "status installed <*> <*>"
    );
    assert_eq!(
        joined("status installed ca-certificates:all 20230311"),
        "status installed ca-certificates:all <*>"
    );
    assert_eq!(joined("from 10.251.73.220:50010 is"), "from <*> is");
    assert_eq!(joined("reason: done"), "reason : done");
    assert_eq!(joined("std::vector"), "std : : vector");
}

#[test]
fn paths_and_urls_run_to_the_end_of_the_word() {
    assert_eq!(joined("\"GET / HTTP/1.1\" 200"), "\" GET <*> \" <*>");
    assert_eq!(joined("GET /docs HTTP/1.1"), "GET <*>");
    assert_eq!(joined("GET /search?q=a,b&n=2 ok"), "GET <*> ok");
    assert_eq!(
        joined("target=http://127.0.0.1:9/metrics err"),
        "target = <*> err"
    );
    assert_eq!(joined("open /etc/app.yaml: denied"), "open <*> : denied");
    assert_eq!(joined("(/var/run)"), "<*>");
}

#[test]
fn upper_case_names_with_a_short_number_are_words() {
    assert_eq!(joined("through proxy SOCKS5"), "through proxy SOCKS5");
    assert_eq!(joined("digest MD5 over HTTP2"), "digest MD5 over HTTP2");
    assert_eq!(joined("block AB12 and X123456"), "block <*> and <*>");
    assert_eq!(joined("user test9"), "user <*>");
}

#[test]
fn addresses_and_times_are_one_parameter() {
    assert_eq!(joined("from 10.251.73.220:50010 is"), "from <*> is");
    assert_eq!(joined("chip FF:F2:9F:16:EA:48 ip"), "chip <*> ip");
    assert_eq!(joined("at fe80::1 now"), "at <*> now");
    assert_eq!(joined("at 18:01:47,978 INFO"), "at <*> INFO");
    assert_eq!(
        joined("connection from 1.2.3.4 () at Sat Jul  9 12:16:49 2005"),
        "connection from <*> at <*>"
    );
}

#[test]
fn hosts_and_paths_are_parameters_but_classes_are_not() {
    assert_eq!(
        joined("open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS"),
        "open through proxy <*> HTTPS"
    );
    assert_eq!(joined("Deleting /var/log/app"), "Deleting <*>");
    assert_eq!(
        joined("onReceive action: android.intent.action.SCREEN_ON"),
        "onReceive action : android.intent.action.SCREEN_ON"
    );
    assert_eq!(joined("sentence ends here."), "sentence ends here.");
}

#[test]
fn brackets_holding_values_and_units_fold_into_one_parameter() {
    assert_eq!(
        joined("close, 1396 bytes (1.36 KB) sent, 451 bytes received, lifetime <1 sec"),
        "close , <*> sent , <*> received , lifetime <*>"
    );
    assert_eq!(
        joined("close, 0 bytes sent, 0 bytes received, lifetime 00:05"),
        "close , <*> sent , <*> received , lifetime <*>"
    );
    assert_eq!(
        joined("Connection closed [preauth]"),
        "Connection closed [ preauth ]"
    );
    assert_eq!(joined("session opened by (uid=0)"), "session opened by <*>");
}

#[test]
fn leader_dots_split_words() {
    assert_eq!(
        joined("program interrupt: illegal instruction......0"),
        "program interrupt : illegal instruction ...... <*>"
    );
}

#[test]
fn spacing_is_remembered() {
    let mut tokenizer = Tokenizer::default();
    let spaces: Vec<bool> = tokenizer
        .tokenize("a=b c")
        .iter()
        .map(|t| t.space)
        .collect();
    assert_eq!(spaces, [false, false, false, true]);
}

#[test]
fn long_lines_are_cut() {
    let line = "word ".repeat(MAX_TOKENS * 2);
    assert_eq!(masked(&line).len(), MAX_TOKENS);
}

#[test]
fn odd_bytes_do_not_break_it() {
    for line in [
        "",
        "   ",
        "(((",
        "))) ]]",
        "é€ ünïcode ✓ 12",
        "a\u{0}b",
        "::",
        "..",
        "=:=",
    ] {
        let _ = masked(line);
    }
    assert!(masked("").is_empty());
}

#[test]
fn a_quoted_word_is_a_value_but_a_quoted_key_is_not() {
    assert_eq!(
        joined("File 'out' does not exist."),
        "File ' <*> ' does not exist."
    );
    assert_eq!(
        joined("column \"weight\" does not exist"),
        "column \" <*> \" does not exist"
    );
    assert_eq!(joined("{\"port\": 80}"), "<*>");
    assert_eq!(joined("\"port\": on"), "\" port \" : on");
    assert_eq!(joined("can't open 'a b'"), "can ' t open ' a b '");
    assert_eq!(joined("it's a 'x"), "it ' s a ' x");
    assert_eq!(
        joined("In function ‘area’: unused ‘’ “x”"),
        "In function <*> : unused ‘’ <*>"
    );
}
