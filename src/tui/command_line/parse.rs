//! The `:` command line: parsing (`start api web`, `ack 3f2a`, `quit`), completion and the
//! command list the help pane shows.

use crate::protocol::silence_duration;
use crate::tui::graphs::TimeWindow;
use crate::tui::silences::form::parse_matchers;
use crate::tui::suggest::did_you_mean;

/// Why a command line does not parse; shown in the status line as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandLineError {
    #[error("empty command")]
    Empty,
    /// The command exists but its arguments are not what it takes.
    #[error("usage: {0}")]
    Usage(&'static str),
    #[error("unknown command `{word}` ({hint})")]
    UnknownCommand { word: String, hint: String },
    #[error("`{command}` takes no arguments (got `{arg}`)")]
    NoArguments { command: &'static str, arg: String },
    #[error("usage: {command} NAME… (no service is selected)")]
    NoServiceSelected { command: &'static str },
    #[error("no service `{name}` ({hint})")]
    UnknownService { name: String, hint: String },
    #[error("no service `{0}`: the workspace has none")]
    NoServices(String),
    #[error("unknown time window `{0}` (use 1m, 5m, 1h or 24h)")]
    UnknownWindow(String),
    #[error("usage: {SILENCE_USAGE}: the duration comes last")]
    DurationNotLast,
    /// A silence's duration or matchers, as the alerts' parsers explain them.
    #[error("{0}")]
    Silence(String),
}

const SILENCE_USAGE: &str = "silence MATCHER… DURATION (e.g. silence service=api 2h)";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdLine {
    Start(Vec<String>),
    Stop(Vec<String>),
    Restart(Vec<String>),
    StartAll,
    StopAll,
    Down,
    Show(String),
    Filter(String),
    Window(TimeWindow),
    Host,
    Services,
    /// The logs pane, of one service or (`None`) every service.
    Logs(Option<String>),
    Patterns,
    /// A regex the logs pane's lines must match; empty clears it.
    Grep(String),
    Alerts,
    Silences,
    /// An alert id (or unique prefix); `None`: the selected alert.
    Ack(Option<String>),
    /// Checked matchers, then a checked duration.
    Silence {
        matchers: Vec<String>,
        duration: String,
    },
    /// A silence id (or unique prefix).
    Expire(String),
    /// Plan a playbook and ask before running it; `dry_run`: only show the plan. The engine
    /// checks the name; `None` asks for one.
    Playbook {
        name: Option<String>,
        dry_run: bool,
    },
    /// A workspace of the projects file; `None`: the overview.
    Ctx(Option<String>),
    /// A sentence for the assistant's parser, as typed.
    Ask(String),
    /// The assistant's findings.
    Doctor,
    Help,
    Quit,
}

/// What completion offers after a command's name.
#[derive(Debug, Default)]
pub struct Words<'a> {
    pub services: Vec<&'a str>,
    pub alerts: Vec<&'a str>,
    pub silences: Vec<&'a str>,
    pub playbooks: Vec<&'a str>,
}

/// A command the line understands: name, aliases, arguments, description.
pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub args: &'static str,
    pub description: &'static str,
}

pub const COMMANDS: &[Spec] = &[
    spec(
        "start",
        &[],
        "[NAME…]",
        "Start services and what they depend on",
    ),
    spec(
        "stop",
        &[],
        "[NAME…]",
        "Stop services and what depends on them",
    ),
    spec("restart", &[], "[NAME…]", "Restart services"),
    spec("up", &["start-all"], "", "Start every service"),
    spec("stop-all", &[], "", "Stop every service (asks first)"),
    spec(
        "down",
        &[],
        "",
        "Stop everything, the engine and tmux (asks first)",
    ),
    spec("show", &[], "[NAME]", "Show a service's live tmux window"),
    spec("filter", &[], "[TEXT]", "Filter services by name or tag"),
    spec(
        "window",
        &[],
        "WINDOW",
        "The graphs' time window: 1m, 5m, 1h or 24h",
    ),
    spec("host", &[], "", "Show the host view"),
    spec("services", &[], "", "Show the services"),
    spec(
        "logs",
        &[],
        "[NAME]",
        "Show the logs of a service, or of every service",
    ),
    spec("patterns", &[], "", "Show the log patterns"),
    spec(
        "grep",
        &[],
        "[REGEX]",
        "Show only log lines matching a regex (none clears)",
    ),
    spec("alerts", &[], "", "Show the alerts"),
    spec("silences", &[], "", "Show the silences"),
    spec(
        "ack",
        &[],
        "[ID]",
        "Acknowledge an alert by id, id prefix or selection",
    ),
    spec(
        "silence",
        &[],
        "K=V… FOR",
        "Silence alerts, e.g. silence service=api 2h",
    ),
    spec("expire", &[], "ID", "Expire a silence now (asks first)"),
    spec(
        "playbook",
        &["heal"],
        "NAME [--dry-run]",
        "Plan a clean-up playbook, then ask to run it",
    ),
    spec(
        "ctx",
        &["workspace"],
        "[NAME]",
        "Open a listed workspace; without a name, the overview",
    ),
    spec(
        "ask",
        &[],
        "TEXT",
        "Ask in words: restart api, 重启 api (asks first)",
    ),
    spec(
        "doctor",
        &["assistant"],
        "",
        "Show the assistant's findings and actions",
    ),
    spec("help", &[], "", "Show the help"),
    spec("quit", &["q"], "", "Quit the TUI (services keep running)"),
];

const fn spec(
    name: &'static str,
    aliases: &'static [&'static str],
    args: &'static str,
    description: &'static str,
) -> Spec {
    Spec {
        name,
        aliases,
        args,
        description,
    }
}

fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
}

/// Parse a command line. `services` are the known names (`None` before the first snapshot:
/// names are not checked); `selected` stands in when a command needs a name and has none.
pub fn parse(
    line: &str,
    services: Option<&[&str]>,
    selected: Option<&str>,
) -> Result<CmdLine, CommandLineError> {
    use CommandLineError::Usage;
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else {
        return Err(CommandLineError::Empty);
    };
    let args: Vec<&str> = words.collect();
    let spec = COMMANDS
        .iter()
        .find(|c| c.name == word || c.aliases.contains(&word))
        .ok_or_else(|| unknown_command(word))?;
    let names = || names(spec.name, &args, services, selected);
    let none = || no_arguments(spec.name, &args);
    match spec.name {
        "start" => names().map(CmdLine::Start),
        "stop" => names().map(CmdLine::Stop),
        "restart" => names().map(CmdLine::Restart),
        "show" if args.len() > 1 => Err(Usage("show NAME")),
        "show" => names().map(|mut n| CmdLine::Show(n.remove(0))),
        "filter" => Ok(CmdLine::Filter(args.join(" "))),
        "window" => match args.as_slice() {
            [arg] => match TimeWindow::parse(arg) {
                Some(window) => Ok(CmdLine::Window(window)),
                // `window` used to be another name of `show`: keep `window NAME` working.
                None if !arg.starts_with(|c: char| c.is_ascii_digit()) => {
                    names().map(|mut n| CmdLine::Show(n.remove(0)))
                }
                None => Err(CommandLineError::UnknownWindow(arg.to_string())),
            },
            _ => Err(Usage("window 1m|5m|1h|24h")),
        },
        "host" => none().map(|()| CmdLine::Host),
        "services" => none().map(|()| CmdLine::Services),
        "logs" => match args.as_slice() {
            [] => Ok(CmdLine::Logs(None)),
            [_] => names().map(|mut n| CmdLine::Logs(Some(n.remove(0)))),
            _ => Err(Usage("logs [NAME]")),
        },
        "patterns" => none().map(|()| CmdLine::Patterns),
        // The regex is the rest of the line as typed: its spaces matter.
        "grep" => Ok(CmdLine::Grep(rest_of(line, word).to_string())),
        "alerts" => none().map(|()| CmdLine::Alerts),
        "silences" => none().map(|()| CmdLine::Silences),
        "ack" => match args.as_slice() {
            [] => Ok(CmdLine::Ack(None)),
            [id] => Ok(CmdLine::Ack(Some(id.to_string()))),
            _ => Err(Usage("ack ID")),
        },
        "silence" => silence(&args),
        "expire" => match args.as_slice() {
            [id] => Ok(CmdLine::Expire(id.to_string())),
            _ => Err(Usage("expire ID (the silences list shows the ids)")),
        },
        "playbook" => playbook(&args),
        "up" => none().map(|()| CmdLine::StartAll),
        "stop-all" => none().map(|()| CmdLine::StopAll),
        "down" => none().map(|()| CmdLine::Down),
        "help" => none().map(|()| CmdLine::Help),
        "ask" => match rest_of(line, word) {
            "" => Err(Usage("ask TEXT (e.g. ask restart api)")),
            text => Ok(CmdLine::Ask(text.to_string())),
        },
        "doctor" => none().map(|()| CmdLine::Doctor),
        "ctx" => match args.as_slice() {
            [] => Ok(CmdLine::Ctx(None)),
            [name] => Ok(CmdLine::Ctx(Some(name.to_string()))),
            _ => Err(Usage("ctx [NAME]")),
        },
        _ => none().map(|()| CmdLine::Quit),
    }
}

/// The text after the command word, trimmed.
fn rest_of<'a>(line: &'a str, word: &str) -> &'a str {
    let line = line.trim_start();
    line.get(word.len()..).unwrap_or_default().trim()
}

/// `silence MATCHER… DURATION`: the duration comes last.
fn silence(args: &[&str]) -> Result<CmdLine, CommandLineError> {
    let [matchers @ .., duration] = args else {
        return Err(CommandLineError::Usage(SILENCE_USAGE));
    };
    if let Err(error) = silence_duration(duration) {
        return Err(if duration.contains('=') {
            CommandLineError::DurationNotLast
        } else {
            CommandLineError::Silence(error)
        });
    }
    if matchers.is_empty() {
        return Err(CommandLineError::Usage(SILENCE_USAGE));
    }
    // Quoted values with spaces arrive split: the matchers are joined and split again.
    let matchers = crate::tui::silences::form::split_matchers(&matchers.join(" "));
    parse_matchers(&matchers).map_err(CommandLineError::Silence)?;
    Ok(CmdLine::Silence {
        matchers,
        duration: duration.to_string(),
    })
}

/// `playbook NAME [--dry-run]`, the flag on either side.
fn playbook(args: &[&str]) -> Result<CmdLine, CommandLineError> {
    const DRY_RUN: &str = "--dry-run";
    let dry_run = args.contains(&DRY_RUN);
    match args
        .iter()
        .filter(|a| **a != DRY_RUN)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => Ok(CmdLine::Playbook {
            name: None,
            dry_run,
        }),
        [name] if !name.starts_with('-') => Ok(CmdLine::Playbook {
            name: Some(name.to_string()),
            dry_run,
        }),
        _ => Err(CommandLineError::Usage("playbook NAME [--dry-run]")),
    }
}

fn unknown_command(word: &str) -> CommandLineError {
    let hint = match did_you_mean(word, command_names()) {
        Some(name) => format!("did you mean `{name}`?"),
        None => format!(
            "commands: {}",
            COMMANDS
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    CommandLineError::UnknownCommand {
        word: word.to_string(),
        hint,
    }
}

fn no_arguments(command: &'static str, args: &[&str]) -> Result<(), CommandLineError> {
    match args.first() {
        None => Ok(()),
        Some(arg) => Err(CommandLineError::NoArguments {
            command,
            arg: arg.to_string(),
        }),
    }
}

/// The service names of a command: its arguments, checked, or the selected service.
fn names(
    command: &'static str,
    args: &[&str],
    services: Option<&[&str]>,
    selected: Option<&str>,
) -> Result<Vec<String>, CommandLineError> {
    if args.is_empty() {
        return selected
            .map(|s| vec![s.to_string()])
            .ok_or(CommandLineError::NoServiceSelected { command });
    }
    if let Some(known) = services
        && let Some(arg) = args.iter().find(|a| !known.contains(a))
    {
        return Err(unknown_service(arg, known));
    }
    Ok(args.iter().map(|a| a.to_string()).collect())
}

fn unknown_service(name: &str, known: &[&str]) -> CommandLineError {
    let hint = match did_you_mean(name, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if known.is_empty() => return CommandLineError::NoServices(name.to_string()),
        None => format!("services: {}", known.join(", ")),
    };
    CommandLineError::UnknownService {
        name: name.to_string(),
        hint,
    }
}

/// Tab completion: the command name for the first word, then service names, alert ids
/// (`ack`) or silence ids (`expire`). Returns the new line, or `None` when nothing completes.
pub fn complete(line: &str, words: &Words) -> Option<String> {
    let (head, word, candidates) = matching(line, words);
    let completed = match candidates.as_slice() {
        [] => return None,
        [one] => format!("{one} "),
        many => common_prefix(many),
    };
    (completed.trim_end() != word || completed.ends_with(' ')).then(|| format!("{head}{completed}"))
}

/// What the last word of `line` may become, when it may become more than one thing: shown
/// while Tab cannot choose.
pub fn candidates(line: &str, words: &Words) -> Vec<String> {
    match matching(line, words).2.as_slice() {
        [] | [_] => Vec::new(),
        many => many.iter().map(ToString::to_string).collect(),
    }
}

/// The line before its last word, the last word, and every completion of it.
fn matching<'a, 'l>(line: &'l str, words: &Words<'a>) -> (&'l str, &'l str, Vec<&'a str>) {
    let (head, word) = match line.rfind(' ') {
        Some(i) => (&line[..=i], &line[i + 1..]),
        None => ("", line),
    };
    let command = head.split_whitespace().next().unwrap_or_default();
    let candidates: Vec<&str> = if head.trim().is_empty() {
        command_names().filter(|c| c.starts_with(word)).collect()
    } else if command == "window" {
        TimeWindow::ALL
            .iter()
            .map(|w| w.label())
            .filter(|w| w.starts_with(word))
            .collect()
    } else {
        let names = match command {
            "ack" => &words.alerts,
            "expire" => &words.silences,
            "playbook" | "heal" => &words.playbooks,
            "silence" | "grep" => return (head, word, Vec::new()),
            _ => &words.services,
        };
        names
            .iter()
            .copied()
            .filter(|s| s.starts_with(word))
            .collect()
    };
    (head, word, candidates)
}

fn common_prefix(words: &[&str]) -> String {
    let first = words.first().copied().unwrap_or_default();
    let mut len = first.len();
    for word in words {
        len = first
            .char_indices()
            .zip(word.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    first[..len].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES: &[&str] = &["api", "db", "web", "worker"];

    fn complete(line: &str, services: &[&str]) -> Option<String> {
        let words = Words {
            services: services.to_vec(),
            alerts: vec!["3f2a00aa", "3f2b00bb", "9c0000cc"],
            silences: vec!["a1b2c3d4"],
            playbooks: vec!["tidy", "rotate-logs", "rotate-tmp"],
        };
        super::complete(line, &words)
    }

    fn ok(line: &str) -> CmdLine {
        parse(line, Some(SERVICES), Some("db")).unwrap()
    }

    fn err(line: &str) -> String {
        parse(line, Some(SERVICES), None).unwrap_err().to_string()
    }

    #[test]
    fn parses_commands() {
        assert_eq!(
            ok("start api web"),
            CmdLine::Start(vec!["api".into(), "web".into()])
        );
        assert_eq!(ok("  stop   api "), CmdLine::Stop(vec!["api".into()]));
        assert_eq!(ok("restart"), CmdLine::Restart(vec!["db".into()]));
        assert_eq!(ok("up"), CmdLine::StartAll);
        assert_eq!(ok("start-all"), CmdLine::StartAll);
        assert_eq!(ok("down"), CmdLine::Down);
        assert_eq!(ok("q"), CmdLine::Quit);
        assert_eq!(ok("window web"), CmdLine::Show("web".into()));
        assert_eq!(ok("window 5m"), CmdLine::Window(TimeWindow::M5));
        assert_eq!(ok("window 24h"), CmdLine::Window(TimeWindow::H24));
        assert_eq!(ok("host"), CmdLine::Host);
        assert_eq!(ok("services"), CmdLine::Services);
        assert_eq!(ok("filter back end"), CmdLine::Filter("back end".into()));
        assert_eq!(
            parse("start anything", None, None),
            Ok(CmdLine::Start(vec!["anything".into()]))
        );
    }

    #[test]
    fn errors_suggest() {
        assert_eq!(
            err("strat api"),
            "unknown command `strat` (did you mean `start`?)"
        );
        assert!(err("frobnicate").contains("(commands: start, stop"));
        assert_eq!(err("start apu"), "no service `apu` (did you mean `api`?)");
        assert_eq!(
            err("start nope"),
            "no service `nope` (services: api, db, web, worker)"
        );
        assert_eq!(err("stop"), "usage: stop NAME… (no service is selected)");
        assert_eq!(err("quit now"), "`quit` takes no arguments (got `now`)");
        assert_eq!(
            err("window 2h"),
            "unknown time window `2h` (use 1m, 5m, 1h or 24h)"
        );
        assert_eq!(err("window"), "usage: window 1m|5m|1h|24h");
        assert_eq!(
            err("window nope"),
            "no service `nope` (services: api, db, web, worker)"
        );
        assert_eq!(err(""), "empty command");
    }

    #[test]
    fn completes_commands_then_services() {
        assert_eq!(complete("res", SERVICES).as_deref(), Some("restart "));
        assert_eq!(complete("st", SERVICES), None);
        assert_eq!(complete("stop w", SERVICES), None);
        assert_eq!(complete("sta", SERVICES).as_deref(), Some("start"));
        assert_eq!(
            complete("stop wo", SERVICES).as_deref(),
            Some("stop worker ")
        );
        assert_eq!(complete("stop a", SERVICES).as_deref(), Some("stop api "));
        assert_eq!(complete("stop x", SERVICES), None);
        assert_eq!(
            complete("window 2", SERVICES).as_deref(),
            Some("window 24h ")
        );
        assert_eq!(complete("window ", SERVICES).as_deref(), None);
        assert_eq!(complete("win", SERVICES).as_deref(), Some("window "));
        assert_eq!(
            complete("ack 9", SERVICES).as_deref(),
            Some("ack 9c0000cc ")
        );
        assert_eq!(complete("ack 3f", SERVICES).as_deref(), Some("ack 3f2"));
        assert_eq!(
            complete("expire ", SERVICES).as_deref(),
            Some("expire a1b2c3d4 ")
        );
        assert_eq!(complete("silence a", SERVICES), None);
    }

    #[test]
    fn parses_alert_commands() {
        assert_eq!(ok("alerts"), CmdLine::Alerts);
        assert_eq!(ok("silences"), CmdLine::Silences);
        assert_eq!(ok("ack"), CmdLine::Ack(None));
        assert_eq!(ok("ack 3f2a"), CmdLine::Ack(Some("3f2a".into())));
        assert_eq!(ok("expire a1b2"), CmdLine::Expire("a1b2".into()));
        assert_eq!(
            ok("silence service=api alertname=~\"High.*\" 2h"),
            CmdLine::Silence {
                matchers: vec!["service=api".into(), "alertname=~\"High.*\"".into()],
                duration: "2h".into(),
            }
        );
        assert_eq!(
            ok("silence team=\"core infra\" 30m"),
            CmdLine::Silence {
                matchers: vec!["team=\"core infra\"".into()],
                duration: "30m".into(),
            }
        );
    }

    #[test]
    fn alert_command_errors() {
        assert_eq!(err("ack a b"), "usage: ack ID");
        assert!(err("expire").starts_with("usage: expire ID"));
        assert!(err("silence").starts_with("usage: silence MATCHER"));
        assert!(err("silence 2h").starts_with("usage: silence MATCHER"));
        assert!(
            err("silence service=api").ends_with("the duration comes last"),
            "{}",
            err("silence service=api")
        );
        assert_eq!(
            err("silence service=api 2x"),
            format!("invalid duration `2x` ({})", crate::config::duration::HINT)
        );
        assert_eq!(
            err("silence service 2h"),
            "`service` is not a matcher; write name=value"
        );
    }

    #[test]
    fn parses_and_completes_playbooks() {
        let playbook = |name: Option<&str>, dry_run| CmdLine::Playbook {
            name: name.map(str::to_string),
            dry_run,
        };
        assert_eq!(ok("playbook tidy"), playbook(Some("tidy"), false));
        assert_eq!(ok("heal tidy --dry-run"), playbook(Some("tidy"), true));
        assert_eq!(ok("playbook --dry-run tidy"), playbook(Some("tidy"), true));
        assert_eq!(ok("playbook"), playbook(None, false));
        assert_eq!(err("playbook a b"), "usage: playbook NAME [--dry-run]");
        assert_eq!(err("playbook --force"), "usage: playbook NAME [--dry-run]");
        assert_eq!(complete("play", SERVICES).as_deref(), Some("playbook "));
        assert_eq!(
            complete("playbook t", SERVICES).as_deref(),
            Some("playbook tidy ")
        );
        assert_eq!(
            complete("heal r", SERVICES).as_deref(),
            Some("heal rotate-")
        );
        assert_eq!(complete("playbook a", SERVICES), None);
    }

    #[test]
    fn parses_log_commands() {
        assert_eq!(ok("logs"), CmdLine::Logs(None));
        assert_eq!(ok("logs api"), CmdLine::Logs(Some("api".into())));
        assert_eq!(err("logs apu"), "no service `apu` (did you mean `api`?)");
        assert_eq!(ok("patterns"), CmdLine::Patterns);
        assert_eq!(
            ok("  grep  status=5\\d\\d  took "),
            CmdLine::Grep("status=5\\d\\d  took".into())
        );
        assert_eq!(ok("grep"), CmdLine::Grep(String::new()));
        assert_eq!(complete("grep a", SERVICES), None);
        assert_eq!(complete("logs w", SERVICES), None);
        assert_eq!(
            complete("logs wo", SERVICES).as_deref(),
            Some("logs worker ")
        );
    }
}
