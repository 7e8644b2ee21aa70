//! The model's answer read back: its explanation, and each command it proposes either
//! read into an allowlisted [`Intent`] or refused. A proposal is only ever text until the
//! user confirms the intent it was read into; the text itself is never run.

use serde::Serialize;

use super::super::ask::Vocabulary;
use super::super::intent::Intent;
use crate::config::values;

/// The commands the model may propose, as the system prompt lists them.
pub const ALLOWLIST: &[&str] = &[
    "uc start <service>|all",
    "uc stop <service>|all",
    "uc restart <service>|all",
    "uc logs <service> [--level error|warn|info|debug] [--since 10m] [--grep TEXT]",
    "uc alerts silence --match service=<service> --for 1h",
    "uc alerts ack <alert-id>",
    "uc deploy <service>",
    "uc deploy rollback <service>",
    "uc env use <environment>",
    "uc status",
    "uc doctor [<service>]",
];

/// What the model said, restored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub explanation: String,
    pub proposals: Vec<Proposal>,
}

/// One proposed command and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    /// As the model wrote it, placeholders restored.
    pub command: String,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Allowed { intent: Intent },
    Refused { why: String },
}

/// Splits an answer (already restored) into explanation and proposals: `COMMAND:` lines,
/// the lines of fenced code blocks, and lines that start with `uc ` or `$ ` are proposals.
/// Anything command-like is taken out of the explanation so nothing runnable is shown
/// that was not checked.
pub fn read(answer: &str, vocab: &Vocabulary) -> Reply {
    let answer = printable(answer);
    let mut explanation = Vec::new();
    let mut proposals = Vec::new();
    let mut fenced = false;
    for line in answer.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let command = strip_prefix_ci(trimmed, "command:")
            .map(str::trim)
            .or_else(|| fenced.then_some(trimmed))
            .or_else(|| trimmed.starts_with("uc ").then_some(trimmed))
            .or_else(|| trimmed.strip_prefix("$ "));
        match command {
            Some(c) if !c.is_empty() => {
                let command = c
                    .trim_start_matches("$ ")
                    .trim_matches('`')
                    .trim()
                    .to_owned();
                let verdict = match parse(&command, vocab) {
                    Ok(intent) => Verdict::Allowed { intent },
                    Err(why) => Verdict::Refused { why },
                };
                proposals.push(Proposal { command, verdict });
            }
            Some(_) => {}
            None => explanation.push(line),
        }
    }
    Reply {
        explanation: explanation.join("\n").trim().to_owned(),
        proposals,
    }
}

/// The answer without what a terminal would act on rather than show: escape sequences
/// and other control characters could erase a `REFUSED`, and bidi overrides could show a
/// command other than the one read.
fn printable(answer: &str) -> String {
    answer
        .chars()
        .filter(|c| {
            let invisible = matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            (!c.is_control() || matches!(c, '\n' | '\t')) && !invisible
        })
        .collect()
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Characters a shell would give a meaning: a proposal holding one is not a plain `uc`
/// command line, whatever else it says.
const SHELL: &[char] = &[
    ';', '|', '&', '$', '`', '<', '>', '(', ')', '{', '}', '\\', '\n', '*', '?', '!', '#',
];

/// One command line → the intent it asks for, or why it is refused.
pub fn parse(command: &str, vocab: &Vocabulary) -> Result<Intent, String> {
    if let Some(c) = command.chars().find(|c| SHELL.contains(c)) {
        return Err(format!("not in the allowlist: holds shell syntax `{c}`"));
    }
    let words = split(command)?;
    let Some(("uc", rest)) = words.split_first().map(|(f, r)| (f.as_str(), r)) else {
        return Err("not in the allowlist: only `uc` commands may be proposed".into());
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let service = |name: &str| known(name, &vocab.services, "service");
    let some_or_all = |name: &str| match name {
        "all" => Ok(None),
        name => service(name).map(Some),
    };
    match rest.as_slice() {
        ["start" | "up", name] => Ok(Intent::Start {
            service: some_or_all(name)?,
        }),
        ["stop" | "down", name] => Ok(Intent::Stop {
            service: some_or_all(name)?,
        }),
        ["restart", name] => Ok(Intent::Restart {
            service: some_or_all(name)?,
            if_crash_loop: false,
        }),
        ["logs", name, flags @ ..] => logs(service(name)?, flags),
        ["alerts", "silence", flags @ ..] => silence(flags),
        ["alerts", "ack", id] if id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            Ok(Intent::Ack {
                alert: Some((*id).to_owned()),
            })
        }
        ["deploy", "rollback", name] => Ok(Intent::Rollback {
            service: service(name)?,
        }),
        ["deploy", name] => Ok(Intent::Deploy {
            service: service(name)?,
        }),
        ["env", "use", name] => Ok(Intent::SwitchEnvironment {
            environment: known(name, &vocab.environments, "environment")?,
        }),
        ["status"] => Ok(Intent::Status { service: None }),
        ["doctor"] => Ok(Intent::Doctor { service: None }),
        ["doctor", name] => Ok(Intent::Doctor {
            service: Some(service(name)?),
        }),
        [verb, ..] => Err(format!(
            "not in the allowlist: `uc {verb}` with these arguments"
        )),
        [] => Err("not in the allowlist: no command".into()),
    }
}

fn known(name: &str, names: &[String], what: &str) -> Result<String, String> {
    names
        .iter()
        .find(|n| *n == name)
        .cloned()
        .ok_or_else(|| format!("no {what} named `{name}` in this workspace"))
}

fn logs(service: String, flags: &[&str]) -> Result<Intent, String> {
    let (mut level, mut since_secs, mut pattern) = (None, None, None);
    for pair in flags.chunks(2) {
        match pair {
            ["--level", l @ ("error" | "warn" | "info" | "debug")] => level = Some(l.to_string()),
            ["--since", d] => since_secs = Some(seconds(d)?),
            ["--grep", p] => pattern = Some(p.to_string()),
            _ => {
                return Err(format!(
                    "not in the allowlist: `uc logs` with `{}`",
                    pair.join(" ")
                ));
            }
        }
    }
    Ok(Intent::Logs {
        service: Some(service),
        level,
        since_secs,
        pattern,
    })
}

fn silence(flags: &[&str]) -> Result<Intent, String> {
    let (mut matchers, mut for_secs) = (Vec::new(), None);
    for pair in flags.chunks(2) {
        match pair {
            ["--match", m] if is_matcher(m) => matchers.push(m.to_string()),
            ["--for", d] => for_secs = Some(seconds(d)?),
            _ => {
                let pair = pair.join(" ");
                return Err(format!(
                    "not in the allowlist: `uc alerts silence` with `{pair}`"
                ));
            }
        }
    }
    match (matchers.is_empty(), for_secs) {
        (false, Some(for_secs)) => Ok(Intent::Silence { matchers, for_secs }),
        _ => Err("a silence needs `--match` and `--for`".into()),
    }
}

/// `label=value`, `label!=value`, `label=~regex`: a label name, an operator, a value.
fn is_matcher(m: &str) -> bool {
    let Some(op) = m.find(['=', '!']) else {
        return false;
    };
    let (label, _) = m.split_at(op);
    !label.is_empty()
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && m.len() > op + 1
}

fn seconds(text: &str) -> Result<u64, String> {
    let d = values::duration(text).map_err(|r| r.message)?;
    match d.as_secs() {
        0 => Err(format!("`{text}` is no time at all")),
        secs => Ok(secs),
    }
}

/// Words, with `"…"` or `'…'` holding spaces (`--grep "connection refused"`).
fn split(command: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (None, '"' | '\'') => (quote, started) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (_, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if quote.is_some() {
        return Err("an unclosed quote".into());
    }
    if started {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
#[path = "propose_tests.rs"]
mod tests;
