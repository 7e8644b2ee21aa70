//! The `:` command line: parsing (`start api web`, `quit`), completion and the command list
//! the help pane shows.

use super::graphs::TimeWindow;
use super::suggest::did_you_mean;

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
    Help,
    Quit,
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
) -> Result<CmdLine, String> {
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else {
        return Err("empty command".to_string());
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
        "show" if args.len() > 1 => Err("usage: show NAME".to_string()),
        "show" => names().map(|mut n| CmdLine::Show(n.remove(0))),
        "filter" => Ok(CmdLine::Filter(args.join(" "))),
        "window" => match args.as_slice() {
            [arg] => match TimeWindow::parse(arg) {
                Some(window) => Ok(CmdLine::Window(window)),
                // `window` used to be another name of `show`: keep `window NAME` working.
                None if !arg.starts_with(|c: char| c.is_ascii_digit()) => {
                    names().map(|mut n| CmdLine::Show(n.remove(0)))
                }
                None => Err(format!(
                    "unknown time window `{arg}` (use 1m, 5m, 1h or 24h)"
                )),
            },
            _ => Err("usage: window 1m|5m|1h|24h".to_string()),
        },
        "host" => none().map(|()| CmdLine::Host),
        "services" => none().map(|()| CmdLine::Services),
        "up" => none().map(|()| CmdLine::StartAll),
        "stop-all" => none().map(|()| CmdLine::StopAll),
        "down" => none().map(|()| CmdLine::Down),
        "help" => none().map(|()| CmdLine::Help),
        _ => none().map(|()| CmdLine::Quit),
    }
}

fn unknown_command(word: &str) -> String {
    match did_you_mean(word, command_names()) {
        Some(name) => format!("unknown command `{word}` (did you mean `{name}`?)"),
        None => format!(
            "unknown command `{word}` (commands: {})",
            COMMANDS
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn no_arguments(command: &str, args: &[&str]) -> Result<(), String> {
    match args.first() {
        None => Ok(()),
        Some(arg) => Err(format!("`{command}` takes no arguments (got `{arg}`)")),
    }
}

/// The service names of a command: its arguments, checked, or the selected service.
fn names(
    command: &str,
    args: &[&str],
    services: Option<&[&str]>,
    selected: Option<&str>,
) -> Result<Vec<String>, String> {
    if args.is_empty() {
        return selected
            .map(|s| vec![s.to_string()])
            .ok_or_else(|| format!("usage: {command} NAME… (no service is selected)"));
    }
    if let Some(known) = services
        && let Some(arg) = args.iter().find(|a| !known.contains(a))
    {
        return Err(unknown_service(arg, known));
    }
    Ok(args.iter().map(|a| a.to_string()).collect())
}

fn unknown_service(name: &str, known: &[&str]) -> String {
    match did_you_mean(name, known.iter().copied()) {
        Some(s) => format!("no service `{name}` (did you mean `{s}`?)"),
        None if known.is_empty() => format!("no service `{name}`: the workspace has none"),
        None => format!("no service `{name}` (services: {})", known.join(", ")),
    }
}

/// Tab completion: the command name for the first word, service names after it. Returns the
/// new line, or `None` when nothing completes.
pub fn complete(line: &str, services: &[&str]) -> Option<String> {
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
        services
            .iter()
            .copied()
            .filter(|s| s.starts_with(word))
            .collect()
    };
    let completed = match candidates.as_slice() {
        [] => return None,
        [one] => format!("{one} "),
        many => common_prefix(many),
    };
    (completed.trim_end() != word || completed.ends_with(' ')).then(|| format!("{head}{completed}"))
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

    fn ok(line: &str) -> CmdLine {
        parse(line, Some(SERVICES), Some("db")).unwrap()
    }

    fn err(line: &str) -> String {
        parse(line, Some(SERVICES), None).unwrap_err()
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
    }
}
