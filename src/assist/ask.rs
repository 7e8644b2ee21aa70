//! The deterministic parser: a sentence → one allowlisted [`Intent`], or "not understood"
//! with suggestions. It never guesses a mutating intent: a missing or ambiguous service
//! stops it.

use super::duration;
use super::intent::{Intent, Lang};
use super::names::{self, Found};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// The workspace's names the parser matches against.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub services: Vec<String>,
    pub environments: Vec<String>,
}

/// What the parser made of a phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Understood {
        intent: Intent,
        lang: Lang,
    },
    NotUnderstood {
        lang: Lang,
        message: String,
        suggestions: Vec<String>,
    },
}

impl Answer {
    /// The sentence to show the user.
    pub fn reading(&self) -> String {
        match self {
            Self::Understood { intent, lang } => intent.reading(*lang),
            Self::NotUnderstood {
                message,
                suggestions,
                ..
            } => {
                format!(
                    "{message}\n{}",
                    suggestions
                        .iter()
                        .map(|s| format!("  {s}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Rollback,
    Deploy,
    Silence,
    Ack,
    Switch,
    Logs,
    Doctor,
    Errors,
    Status,
    Restart,
    Stop,
    Start,
}

/// Each verb's words, checked in this order (the first that matches wins): specific
/// before general, so "roll back the deploy" is a rollback and "restart" is not "start".
const VERBS: &[(Verb, &[&str], &[&str])] = &[
    (
        Verb::Rollback,
        &[
            "rollback",
            "roll back",
            "revert",
            "undo",
            "previous release",
            "previous version",
        ],
        &["回滚", "回退"],
    ),
    (
        Verb::Silence,
        &["silence", "mute", "snooze", "shut up", "quiet"],
        &["静默", "静音", "屏蔽", "免打扰", "别报"],
    ),
    (
        Verb::Ack,
        &["ack", "acknowledge", "acknowledged"],
        &["确认告警", "认领"],
    ),
    (
        Verb::Deploy,
        &["deploy", "redeploy", "ship", "release"],
        &["部署", "发布", "上线"],
    ),
    (
        Verb::Switch,
        &[
            "switch to",
            "switch env",
            "switch environment",
            "change environment",
            "use environment",
            "use env",
        ],
        &["切换到", "切换", "换到"],
    ),
    (Verb::Logs, &["logs", "log", "tail", "grep"], &["日志"]),
    (
        Verb::Doctor,
        &[
            "why",
            "diagnose",
            "what's wrong",
            "whats wrong",
            "what is wrong",
            "wrong with",
            "slow",
            "failing",
            "broken",
            "troubleshoot",
        ],
        &[
            "为什么",
            "诊断",
            "怎么了",
            "很慢",
            "变慢",
            "太慢",
            "出什么问题",
            "什么问题",
        ],
    ),
    (
        Verb::Errors,
        &["errors", "error", "warnings", "exceptions"],
        &["错误", "报错", "异常", "警告"],
    ),
    (
        Verb::Status,
        &[
            "status", "how is", "how's", "how are", "is it up", "running", "health", "healthy",
            "overview",
        ],
        &["状态", "运行情况", "健康"],
    ),
    (
        Verb::Restart,
        &[
            "restart",
            "reboot",
            "bounce",
            "stop and start",
            "cycle",
            "kick",
        ],
        &["重启", "重新启动"],
    ),
    (
        Verb::Stop,
        &[
            "stop",
            "kill",
            "shut down",
            "shutdown",
            "halt",
            "take down",
            "turn off",
        ],
        &["停止", "停掉", "关掉", "关闭", "停"],
    ),
    (
        Verb::Start,
        &[
            "start", "launch", "bring up", "boot", "spin up", "turn on", "run",
        ],
        &["启动", "开启", "运行", "拉起"],
    ),
];

static MATCHER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z_][A-Za-z0-9_]*)(=~|!=|!~|=)(\S+)").expect("static regex")
});
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"["“'‘「]([^"”'’」]+)["”'’」]"#).expect("static regex"));
static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:matching|containing|with the text|mentioning|that say|about)\s+(\S+)|包含\s*(\S+?)\s*(?:的|$)")
        .expect("static regex")
});

/// Parse one phrase against the workspace's names.
pub fn ask(text: &str, vocab: &Vocabulary) -> Answer {
    let lang = if text.chars().any(is_cjk) {
        Lang::Chinese
    } else {
        Lang::English
    };
    let lower = format!(
        " {} ",
        text.to_lowercase()
            .replace(['?', '!', ',', '，', '？', '。'], " ")
    );
    let words = names::words(text);
    let Some(verb) = verb_of(&lower, &words, vocab) else {
        return not_understood(lang, vocab, "no command word");
    };
    let all = [" all ", " everything ", " every service"]
        .iter()
        .any(|w| lower.contains(w))
        || ["所有", "全部"].iter().any(|w| lower.contains(w));
    let service = match service_of(&words, text, vocab) {
        Ok(s) => s,
        Err(names) => {
            return not_understood(
                lang,
                vocab,
                &format!("which service: {}?", names.join(" or ")),
            );
        }
    };
    let need = |intent: fn(Option<String>) -> Intent| match (&service, all) {
        (Some(_), _) | (None, true) => Answer::Understood {
            intent: intent(service.clone()),
            lang,
        },
        (None, false) => not_understood(lang, vocab, "which service?"),
    };
    match verb {
        Verb::Start => need(|service| Intent::Start { service }),
        Verb::Stop => need(|service| Intent::Stop { service }),
        Verb::Restart if crash_loop(&lower) => need(|service| Intent::Restart {
            service,
            if_crash_loop: true,
        }),
        Verb::Restart => need(|service| Intent::Restart {
            service,
            if_crash_loop: false,
        }),
        Verb::Rollback | Verb::Deploy => match service {
            Some(service) if verb == Verb::Rollback => Answer::Understood {
                intent: Intent::Rollback { service },
                lang,
            },
            Some(service) => Answer::Understood {
                intent: Intent::Deploy { service },
                lang,
            },
            None => not_understood(lang, vocab, "which service?"),
        },
        Verb::Logs | Verb::Errors => Answer::Understood {
            intent: logs(text, &lower, service),
            lang,
        },
        Verb::Doctor => Answer::Understood {
            intent: Intent::Doctor { service },
            lang,
        },
        Verb::Status => Answer::Understood {
            intent: Intent::Status { service },
            lang,
        },
        Verb::Silence => silence(text, &words, service, lang, vocab),
        Verb::Ack => Answer::Understood {
            intent: Intent::Ack {
                alert: alert_id(&words),
            },
            lang,
        },
        Verb::Switch => match environment_of(text, &words, vocab) {
            Some(environment) => Answer::Understood {
                intent: Intent::SwitchEnvironment { environment },
                lang,
            },
            None => not_understood(lang, vocab, "which environment?"),
        },
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Verbs whose particle may come after the object: "bring the db up", "shut everything
/// down", "get the cache running". Read before the table, where "running" means status.
const PHRASAL: &[(Verb, &[&str], &[&str])] = &[
    (
        Verb::Start,
        &["bring", "fire", "spin", "power", "boot", "start", "get"],
        &["up", "running", "going", "started"],
    ),
    (
        Verb::Stop,
        &[
            "bring", "take", "shut", "power", "spin", "turn", "switch", "wind",
        ],
        &["down", "off"],
    ),
];

/// Words that move to another environment when one is named: "go to dev", "use prod".
const MOVES: &[&str] = &["go", "use", "change", "move", "switch", "swap", "flip"];

/// A question about a state ("is payments up?", "are the workers down?") is a status.
fn state_question(words: &[String]) -> bool {
    matches!(words.first().map(String::as_str), Some("is" | "are"))
        && words
            .iter()
            .any(|w| ["up", "down", "running", "alive", "healthy"].contains(&w.as_str()))
}

fn phrasal(words: &[String]) -> Option<Verb> {
    PHRASAL.iter().find_map(|(verb, heads, particles)| {
        let at = words.iter().position(|w| heads.contains(&w.as_str()))?;
        let after = &words[at + 1..words.len().min(at + 5)];
        after
            .iter()
            .any(|w| particles.contains(&w.as_str()))
            .then_some(*verb)
    })
}

/// The phrase's verb: a state question, a phrasal verb, a move to a named environment, then
/// the first verb of the table.
fn verb_of(lower: &str, words: &[String], vocab: &Vocabulary) -> Option<Verb> {
    if state_question(words) {
        return Some(Verb::Status);
    }
    if let Some(verb) = phrasal(words) {
        return Some(verb);
    }
    let env_named = words.iter().any(|w| vocab.environments.contains(w));
    if env_named && words.iter().any(|w| MOVES.contains(&w.as_str())) {
        return Some(Verb::Switch);
    }
    table_verb(lower, words)
}

/// The first verb of the table the phrase holds, a one-letter typo forgiven in words of
/// five letters or more ("restrat", "rollbakc").
fn table_verb(lower: &str, words: &[String]) -> Option<Verb> {
    let exact = VERBS.iter().find(|(_, en, zh)| {
        en.iter()
            .any(|w| lower.contains(&format!(" {w} ")) || words_contain(words, w))
            || zh.iter().any(|w| lower.contains(w))
    });
    if let Some((verb, ..)) = exact {
        return Some(*verb);
    }
    VERBS
        .iter()
        .map(|(verb, en, _)| (verb, en))
        .find_map(|(verb, en)| {
            let near = |w: &String| en.iter().any(|v| !v.contains(' ') && typo_of(w, v));
            words.iter().any(near).then_some(*verb)
        })
}

/// A one-letter typo of a verb; in four-letter verbs only swapped letters ("stpo"), since
/// one changed letter turns too many words into verbs ("will" ~ "kill").
fn typo_of(word: &str, verb: &str) -> bool {
    match verb.len() {
        0..=3 => false,
        4 => {
            word != verb
                && sorted(word) == sorted(verb)
                && strsim::damerau_levenshtein(word, verb) == 1
        }
        _ => strsim::damerau_levenshtein(word, verb) == 1,
    }
}

fn sorted(word: &str) -> Vec<char> {
    let mut chars: Vec<char> = word.chars().collect();
    chars.sort_unstable();
    chars
}

fn words_contain(words: &[String], phrase: &str) -> bool {
    let parts: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(parts.len())
        .any(|w| w.iter().zip(&parts).all(|(a, b)| a == b))
}

fn is_verb_word(word: &str) -> bool {
    VERBS.iter().any(|(_, en, _)| {
        en.iter()
            .any(|v| !v.contains(' ') && strsim::damerau_levenshtein(word, v) <= 1)
    })
}

/// The service named, `Ok(None)` when none is, `Err` with the candidates when a typo is
/// equally near two.
fn service_of(
    words: &[String],
    text: &str,
    vocab: &Vocabulary,
) -> Result<Option<String>, Vec<String>> {
    match names::find(words, &vocab.services, &is_verb_word) {
        Found::Exact(s) | Found::Near(s) => Ok(Some(s)),
        Found::Ambiguous(list) => Err(list),
        Found::None => Ok(names::find_prefix(text, &[], &vocab.services)),
    }
}

fn environment_of(text: &str, words: &[String], vocab: &Vocabulary) -> Option<String> {
    match names::find(words, &vocab.environments, &is_verb_word) {
        Found::Exact(e) | Found::Near(e) => Some(e),
        _ => names::find_prefix(text, words, &vocab.environments),
    }
}

fn crash_loop(lower: &str) -> bool {
    [
        "crash",
        "keeps dying",
        "keeps failing",
        "keeps restarting",
        "loop",
        "崩溃",
        "挂掉",
        "一直挂",
        "反复挂",
        "老是挂",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn logs(text: &str, lower: &str, service: Option<String>) -> Intent {
    let level = if ["error", "exception", "错误", "报错", "异常"]
        .iter()
        .any(|w| lower.contains(w))
    {
        Some("error")
    } else if ["warn", "警告"].iter().any(|w| lower.contains(w)) {
        Some("warn")
    } else if lower.contains("debug") {
        Some("debug")
    } else {
        None
    };
    let pattern = QUOTED.captures(text).map(|c| c[1].to_string()).or_else(|| {
        PATTERN
            .captures(text)
            .and_then(|c| c.get(1).or(c.get(2)))
            .map(|m| m.as_str().to_string())
    });
    Intent::Logs {
        service,
        level: level.map(String::from),
        since_secs: duration::find(lower),
        pattern,
    }
}

/// Silence needs a scope (K=V matchers, a service, or a word before "alerts") and a
/// duration: without either it asks rather than muting more, or longer, than meant.
fn silence(
    text: &str,
    words: &[String],
    service: Option<String>,
    lang: Lang,
    vocab: &Vocabulary,
) -> Answer {
    let Some(for_secs) = duration::find(&text.to_lowercase()) else {
        return not_understood(
            lang,
            vocab,
            "for how long? e.g. \"silence service=api for 1h\"",
        );
    };
    let mut matchers: Vec<String> = MATCHER
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .collect();
    if matchers.is_empty() {
        if let Some(service) = service {
            matchers.push(format!("service={service}"));
        } else if let Some(topic) = topic(words) {
            matchers.push(format!("alertname=~.*{topic}.*"));
        }
    }
    if matchers.is_empty() {
        return not_understood(
            lang,
            vocab,
            "silence which alerts? e.g. \"silence service=api for 1h\"",
        );
    }
    Answer::Understood {
        intent: Intent::Silence { matchers, for_secs },
        lang,
    }
}

/// "disk" in "silence disk alerts", "磁盘告警" → no: Chinese topics are not ASCII words.
fn topic(words: &[String]) -> Option<String> {
    let at = words.iter().position(|w| w.starts_with("alert"))?;
    let word = words.get(at.checked_sub(1)?)?;
    (!is_verb_word(word) && !["the", "all", "these", "those", "my"].contains(&word.as_str()))
        .then(|| word.clone())
}

fn alert_id(words: &[String]) -> Option<String> {
    words
        .iter()
        .find(|w| {
            w.len() >= 4
                && w.chars().all(|c| c.is_ascii_hexdigit())
                && w.chars().any(|c| c.is_ascii_digit())
        })
        .cloned()
}

fn not_understood(lang: Lang, vocab: &Vocabulary, why: &str) -> Answer {
    let example = vocab.services.first().map_or("api", String::as_str);
    let (message, suggestions) = match lang {
        Lang::English => (
            format!("I did not understand ({why}). Try one of:"),
            vec![
                format!("restart {example}"),
                format!("show errors from {example} in the last 10 minutes"),
                format!("why is {example} slow"),
                format!("silence service={example} for 1h"),
            ],
        ),
        Lang::Chinese => (
            format!("我没有理解（{why}）。可以试试："),
            vec![
                format!("重启 {example}"),
                format!("过去十分钟 {example} 的错误日志"),
                format!("{example} 为什么很慢"),
                format!("静默 service={example} 两小时"),
            ],
        ),
    };
    Answer::NotUnderstood {
        lang,
        message,
        suggestions,
    }
}
