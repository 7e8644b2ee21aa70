//! `uc ask --explain` and `uc doctor --explain`: the configured model's explanation and
//! proposals. What is sent is anonymized; each proposal is shown with what the allowlist
//! made of it, and `uc ask` runs the allowlisted ones through its own confirmation. With
//! no model configured, nothing is sent and the user is told how to configure one.

use std::process::ExitCode;

use anyhow::anyhow;

use super::ask_cmd::{AskArgs, act};
use super::output::outln;
use super::{Cli, CliResult, Failure, paths, running};
use crate::assist::finding::Severity;
use crate::assist::llm::{Conversation, HOW_TO_CONFIGURE, LlmError, Reply, Verdict};
use crate::assist::{Answer, Intent};
use crate::config::{Source, Workspace};

/// The model's reading of a sentence; then the parser's intent, or when it understood
/// nothing the model's allowlisted proposals, each acted on as `uc ask` acts.
pub async fn ask(
    cli: &Cli,
    source: &Source,
    ws: &Workspace,
    args: &AskArgs,
    answer: Answer,
) -> CliResult {
    let mut conversation = open(ws)?;
    if !args.json {
        outln!("{}", answer.reading())?;
    }
    if let Some(states) = states(source).await {
        conversation.note(&states);
    }
    let reply =
        (conversation.ask(&args.text, &answer.reading()).await).map_err(|e| failed(ws, &e))?;
    if args.json {
        let json = serde_json::json!({ "answer": answer, "model": reply });
        outln!("{json}")?;
        return Ok(ExitCode::SUCCESS);
    }
    show(&reply)?;
    // A sentence the parser understood runs as read; the model's proposals are then only
    // advice. Otherwise its allowlisted proposals run, each confirmed like the parser's.
    let (lang, intents) = match answer {
        Answer::Understood { intent, lang } => (lang, vec![intent]),
        Answer::NotUnderstood { lang, .. } => {
            let mut intents: Vec<Intent> = Vec::new();
            for intent in allowed(&reply) {
                if !intents.contains(&intent) {
                    intents.push(intent);
                }
            }
            (lang, intents)
        }
    };
    if intents.is_empty() {
        outln!("nothing to do")?;
        return Ok(ExitCode::from(2));
    }
    let mut code = ExitCode::SUCCESS;
    for intent in intents {
        outln!("{}", intent.reading(lang))?;
        code = act(cli, source, intent, args.yes).await?;
        if code != ExitCode::SUCCESS {
            break;
        }
    }
    Ok(code)
}

/// `uc doctor --explain`: the findings as `uc doctor` shows them, then the model's words.
/// Its proposals are shown, not run: `uc ask` or the command itself runs one. Exits as
/// `uc doctor` does.
pub async fn doctor(source: Source, service: Option<&str>, json: bool) -> CliResult {
    let ws = source.load().map_err(Failure::input)?;
    let mut conversation = open(&ws)?;
    let client = running(&source, paths(&source)?).await?;
    let diagnosis = client.doctor(service).await?;
    let findings = serde_json::to_string_pretty(&diagnosis).map_err(Failure::runtime)?;
    if !json {
        outln!("{}", super::doctor_cmd::text(&diagnosis).trim_end())?;
    }
    let reply = (conversation.explain(&findings).await).map_err(|e| failed(&ws, &e))?;
    if json {
        let json = serde_json::json!({ "diagnosis": diagnosis, "model": reply });
        outln!("{json}")?;
    } else {
        outln!()?;
        show(&reply)?;
    }
    // As `uc doctor`: a critical finding exits 1, so a script can gate on it.
    let critical = (diagnosis.findings.iter()).any(|f| f.severity == Severity::Critical);
    Ok(if critical {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The services' states from a running engine, `None` when none runs (none is started).
async fn states(source: &Source) -> Option<String> {
    let client = crate::client::Client::new(paths(source).ok()?.socket());
    let snapshot = client.snapshot().await.ok()?;
    let lines: Vec<String> = (snapshot.services.iter())
        .map(|s| {
            let state = serde_json::to_value(s.state).ok();
            let mut line = format!(
                "{}: {}",
                s.name,
                state.as_ref().and_then(|v| v.as_str()).unwrap_or("?")
            );
            if let Some(code) = s.exit_code {
                line += &format!(", last exit code {code}");
            }
            if let Some(signal) = &s.signal {
                line += &format!(", ended by {signal}");
            }
            if s.restarts > 0 {
                line += &format!(", {} restarts", s.restarts);
            }
            line
        })
        .collect();
    Some(format!("Services now: {}.", lines.join("; ")))
}

fn open(ws: &Workspace) -> Result<Conversation, Failure> {
    match Conversation::open(ws) {
        None => Err(Failure::input(anyhow!("{HOW_TO_CONFIGURE}"))),
        Some(opened) => opened.map_err(|e| failed(ws, &e)),
    }
}

/// The model's error, with any of the workspace's secrets a server echoed hidden.
fn failed(ws: &Workspace, e: &LlmError) -> Failure {
    Failure::runtime(anyhow!("{}", ws.secrets.redact(&e.to_string())))
}

fn show(reply: &Reply) -> Result<(), Failure> {
    outln!("The model says:")?;
    for line in reply.explanation.lines() {
        outln!("  {line}")?;
    }
    if reply.proposals.is_empty() {
        return Ok(());
    }
    outln!("It proposes:")?;
    for p in &reply.proposals {
        match &p.verdict {
            Verdict::Allowed { intent } => outln!("  {}  ({})", p.command, intent.canonical())?,
            Verdict::Refused { why } => outln!("  {}  REFUSED, never run: {why}", p.command)?,
        }
    }
    Ok(())
}

fn allowed(reply: &Reply) -> impl Iterator<Item = Intent> + '_ {
    reply.proposals.iter().filter_map(|p| match &p.verdict {
        Verdict::Allowed { intent } => Some(intent.clone()),
        Verdict::Refused { .. } => None,
    })
}
