use super::*;

fn mine(lines: &[&str]) -> (Miner, Vec<u32>) {
    let mut miner = Miner::new();
    let ids = lines.iter().map(|l| miner.add(l)).collect();
    (miner, ids)
}

#[test]
fn same_shape_same_pattern() {
    let (miner, ids) = mine(&[
        "Received block blk_1 of size 67108864 from /10.251.42.84",
        "Received block blk_2 of size 3 from /10.250.1.1",
    ]);
    assert_eq!(ids[0], ids[1]);
    assert_eq!(
        miner.template(ids[0]),
        Some("Received block <*> of size <*> from <*>")
    );
    assert_eq!(miner.count(ids[0]), 2);
    assert_eq!(miner.len(), 1);
}

#[test]
fn a_value_with_a_digit_widens_the_template_at_once() {
    let (miner, ids) = mine(&[
        "Invalid user webmaster from 173.234.31.186",
        "Invalid user test9 from 52.80.34.196",
        "Invalid user chen from 202.100.179.208",
    ]);
    assert!(ids.iter().all(|&id| id == ids[0]));
    assert_eq!(miner.template(ids[0]), Some("Invalid user <*> from <*>"));
}

#[test]
fn few_distinct_words_stay_apart_many_merge() {
    let (miner, ids) = mine(&[
        "cupsd startup succeeded",
        "cupsd shutdown succeeded",
        "cupsd startup succeeded",
    ]);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[0], ids[2]);
    assert_eq!(miner.len(), 2);

    let users = ["alice", "bob", "carol", "dave", "erin"];
    let lines: Vec<String> = users
        .iter()
        .map(|u| format!("session closed for user {u}"))
        .collect();
    let (miner, ids) = mine(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    let last = ids[ids.len() - 1];
    assert_eq!(miner.template(last), Some("session closed for user <*>"));
    assert_eq!(miner.count(last), 5);
    assert_eq!(miner.len(), 1);
    // The early ids were merged and resolve to the merged pattern.
    for &id in &ids {
        assert_eq!(miner.resolve(id), Some(last));
        assert_eq!(miner.template(id), miner.template(last));
    }
}

#[test]
fn upper_case_states_are_not_values() {
    let states = [
        "NEW",
        "UNASSIGNED",
        "ASSIGNED",
        "RUNNING",
        "SUCCEEDED",
        "FAILED",
    ];
    let lines: Vec<String> = states
        .windows(2)
        .map(|w| {
            format!(
                "attempt_1 TaskAttempt Transitioned from {} to {}",
                w[0], w[1]
            )
        })
        .collect();
    let (miner, _) = mine(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(miner.len(), lines.len());
}

#[test]
fn different_lengths_are_different_patterns() {
    let (_, ids) = mine(&[
        "Failed password for root from 1.2.3.4 port 22 ssh2",
        "Failed password for invalid user x from 1.2.3.4 port 22 ssh2",
    ]);
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn ids_are_never_reused_and_the_cap_evicts_the_least_recently_seen() {
    let mut miner = Miner::with_cap(3);
    let kept = miner.add("heartbeat ok");
    let mut ids = vec![kept];
    for word in ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"] {
        ids.push(miner.add(&format!("{word} event happened")));
        miner.add("heartbeat ok");
    }
    assert!(miner.len() <= 3);
    assert_eq!(miner.template(kept), Some("heartbeat ok"));
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "ids reused: {ids:?}");
    assert_eq!(miner.template(ids[1]), None, "the oldest was evicted");
    assert_eq!(miner.count(ids[1]), 0);
}

#[test]
fn patterns_lists_live_patterns_with_counts() {
    let (miner, _) = mine(&["a 1", "a 2", "b c"]);
    let mut listed: Vec<(String, u64)> = miner
        .patterns()
        .map(|(_, t, n)| (t.to_string(), n))
        .collect();
    listed.sort();
    assert_eq!(listed, [("a <*>".to_string(), 2), ("b c".to_string(), 1)]);
}

#[test]
fn spacing_of_templates_follows_the_lines() {
    let (miner, ids) = mine(&["rhost=1.2.3.4 user=root", "rhost=5.6.7.8 user=root"]);
    assert_eq!(miner.template(ids[0]), Some("rhost=<*> user=root"));
}

#[test]
fn miner_is_send() {
    fn send<T: Send>() {}
    send::<Miner>();
}

fn mine_all(lines: &[String]) -> (Miner, Vec<u32>) {
    mine(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn command_lines_of_any_length_after_a_fixed_text_are_one_pattern() {
    let commands = [
        "init -q repo",
        "config --global color.ui auto",
        "commit -qm first",
        "checkout -q -b feature main",
        "status -s",
        "maintenance run --auto --quiet --detach",
    ];
    let lines: Vec<String> = commands
        .iter()
        .map(|c| format!("trace: built-in: git {c}"))
        .collect();
    let (mut miner, ids) = mine_all(&lines);
    let merged = miner.resolve(ids[0]).expect("merged pattern");
    assert_eq!(miner.template(merged), Some("trace: built-in: git <*>"));
    for &id in &ids {
        assert_eq!(miner.resolve(id), Some(merged), "{id}");
    }
    assert_eq!(miner.count(merged), 6);
    let later = miner.add("trace: built-in: git log --oneline -n 3 --stat");
    assert_eq!(later, merged);
    assert_eq!(miner.add("trace: built-in: git gc"), merged);
    assert_eq!(miner.len(), 1);
}

#[test]
fn messages_after_a_fixed_text_stay_apart() {
    let messages = [
        "integer overflow",
        "malformed JSON",
        "cannot start a transaction within a transaction",
        "output file already exists",
        "cannot commit - no transaction is active",
        "UNIQUE constraint failed: parts.name",
    ];
    let lines: Vec<String> = messages
        .iter()
        .map(|m| format!("Runtime error near line 7: {m}"))
        .collect();
    let (miner, ids) = mine_all(&lines);
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), messages.len());
    assert_eq!(miner.len(), messages.len());
}

#[test]
fn options_in_fewer_lengths_stay_apart() {
    let lines: Vec<String> = ["-a", "-a -b", "-a -b -c", "-x", "-y -z", "-c -d -e"]
        .iter()
        .map(|args| format!("running tool with {args}"))
        .collect();
    let (miner, ids) = mine_all(&lines);
    assert_ne!(miner.resolve(ids[0]), miner.resolve(ids[1]));
    assert_ne!(miner.resolve(ids[1]), miner.resolve(ids[2]));
}

#[test]
fn an_evicted_tail_pattern_is_forgotten() {
    let mut miner = Miner::with_cap(4);
    for args in ["-a", "-b -c", "-d -e -f", "-g -h -i -j"] {
        miner.add(&format!("run with {args}"));
    }
    let tail = miner.add("run with --x");
    assert_eq!(miner.template(tail), Some("run with <*>"));
    for other in [
        "one thing",
        "another thing",
        "a third thing here",
        "the last thing",
    ] {
        miner.add(other);
    }
    assert_eq!(miner.template(tail), None);
    let again = miner.add("run with -q");
    assert_eq!(miner.template(again), Some("run with -q"));
}

#[test]
fn families_of_evicted_patterns_do_not_pile_up() {
    let mut miner = Miner::with_cap(100);
    for i in 0..50_000u32 {
        let (a, b) = (word(i), word(i.wrapping_mul(7919)));
        miner.add(&format!("{a} {b} happened"));
    }
    assert!(miner.len() <= 100);
    assert!(
        miner.tree.families() < 4 * 1024,
        "{}",
        miner.tree.families()
    );
}

/// A distinct lower-case word for each `n` (no digits: a word, never a value).
fn word(n: u32) -> String {
    let mut n = n;
    let mut w = String::new();
    loop {
        w.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return w;
        }
    }
}
