//! `uc ask "TEXT"`: the assistant's parser reads the sentence against the workspace's
//! names, prints its reading, and runs it as the CLI verb that does the same thing — a
//! mutating one only after `[y/N]` on a terminal or `--yes`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Parser;

use super::output::outln;
use super::{Cli, CliResult, Failure};
use crate::assist::{Answer, Intent, Vocabulary, ask, duration};
use crate::config::Source;
use crate::protocol::ServiceState;

#[derive(Debug, Clone, clap::Args)]
pub struct AskArgs {
    /// What to do, in English or Chinese ("restart api", "过去十分钟 worker 的错误日志")
    pub text: String,
    /// Act without asking (a mutating reading otherwise asks `[y/N]` on the terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the reading as JSON and do nothing
    #[arg(long)]
    pub json: bool,
    /// Also ask the configured model (`assistant.llm`), anonymized, for an explanation and
    /// proposals; a sentence the parser does not understand goes to it anyway
    #[arg(long)]
    pub explain: bool,
}

pub async fn run(cli: &Cli, source: Source, args: AskArgs) -> CliResult {
    let ws = source.load().map_err(Failure::input)?;
    let vocab = Vocabulary {
        services: ws.services.iter().map(|s| s.name.clone()).collect(),
        environments: ws.environments.iter().map(|e| e.name.clone()).collect(),
    };
    let answer = ask(&args.text, &vocab);
    let understood = matches!(answer, Answer::Understood { .. });
    // `--json` alone only reads: it never reaches out to a model.
    if args.explain || (!understood && !args.json && ws.assistant.llm.is_some()) {
        return super::llm_cmd::ask(cli, &source, &ws, &args, answer).await;
    }
    if args.json {
        let json = serde_json::to_string(&answer).map_err(Failure::runtime)?;
        outln!("{json}")?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}", answer.reading())?;
    let Answer::Understood { intent, .. } = answer else {
        return Ok(ExitCode::from(2));
    };
    act(cli, &source, intent, args.yes).await
}

/// Runs a reading, the parser's or an allowlisted proposal of the model's: a mutating one
/// only once confirmed.
pub(super) async fn act(cli: &Cli, source: &Source, intent: Intent, yes: bool) -> CliResult {
    if let Intent::Restart {
        service: Some(name),
        if_crash_loop: true,
    } = &intent
        && !crash_looping(source, name).await?
    {
        outln!("{name} is not crash-looping: nothing done")?;
        return Ok(ExitCode::SUCCESS);
    }
    if intent.mutates() && !confirmed(yes)? {
        outln!("nothing done")?;
        return Ok(ExitCode::from(1));
    }
    let Some(argv) = argv(&intent) else {
        return Err(Failure::input(anyhow!(
            "\"if it keeps crashing\" needs a service name"
        )));
    };
    let mut sub = Cli::try_parse_from(argv).map_err(|e| Failure::runtime(anyhow!("{e}")))?;
    sub.file = cli.file.clone();
    sub.demo = cli.demo;
    sub.read_only = cli.read_only;
    // What the user confirmed is on the audit record as done through the assistant.
    crate::client::set_via(crate::api::CLI_ASSISTANT);
    Box::pin(super::dispatch(sub)).await
}

/// "if it keeps crashing": the engine reports the service as crash-looping right now.
async fn crash_looping(source: &Source, name: &str) -> Result<bool, Failure> {
    let client = super::running(source, super::paths(source)?).await?;
    let snapshot = client.snapshot().await?;
    Ok(snapshot
        .services
        .iter()
        .any(|s| s.name == name && s.state == ServiceState::CrashLooping))
}

/// `--yes`, else a `y` typed on the terminal; never a yes read from a pipe.
fn confirmed(yes: bool) -> Result<bool, Failure> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::input(anyhow!(
            "this changes something: confirm on a terminal or pass --yes"
        )));
    }
    print!("[y/N] ");
    std::io::stdout().flush().map_err(Failure::runtime)?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(Failure::runtime)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "是"))
}

/// The `uc` command line doing what the intent says: the same code path as typing it.
fn argv(intent: &Intent) -> Option<Vec<String>> {
    let all = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
    let mut argv = vec!["uc".to_string()];
    let words: Vec<String> = match intent {
        Intent::Start { service } => [vec!["up".into()], all(service)].concat(),
        Intent::Stop { service } => [vec!["down".into()], all(service)].concat(),
        Intent::Restart {
            service: Some(s), ..
        } => vec!["restart".into(), s.clone()],
        Intent::Restart {
            service: None,
            if_crash_loop: false,
        } => vec!["restart".into(), "*".into()],
        Intent::Restart { .. } => return None,
        Intent::Doctor { service } => [vec!["doctor".into()], all(service)].concat(),
        Intent::Logs {
            service,
            level,
            since_secs,
            pattern,
        } => {
            let mut w = vec!["logs".to_string()];
            w.extend(all(service));
            if let Some(l) = level {
                w.extend(["--level".into(), l.clone()]);
            }
            if let Some(s) = since_secs {
                w.extend(["--since".into(), duration::short(*s)]);
            }
            if let Some(p) = pattern {
                w.extend(["--grep".into(), regex::escape(p)]);
            }
            w
        }
        Intent::Silence { matchers, for_secs } => {
            let mut w = vec!["alerts".to_string(), "silence".into()];
            for m in matchers {
                w.extend(["--match".into(), m.clone()]);
            }
            w.extend(["--for".into(), duration::short(*for_secs)]);
            w
        }
        Intent::Rollback { service } => vec!["deploy".into(), "rollback".into(), service.clone()],
        Intent::Deploy { service } => vec!["deploy".into(), service.clone()],
        Intent::SwitchEnvironment { environment } => {
            vec!["env".into(), "use".into(), environment.clone()]
        }
        Intent::Status { .. } => vec!["status".into()],
        Intent::Ack { alert: Some(id) } => vec!["alerts".into(), "ack".into(), id.clone()],
        Intent::Ack { alert: None } => vec!["alerts".into()],
    };
    argv.extend(words);
    Some(argv)
}
