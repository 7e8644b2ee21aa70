//! `uc config check | render | schema`: an environment's effective config, checked or
//! printed, and the JSON Schema editors use.

use std::process::ExitCode;

use super::output::{out, outln};
use super::{CliResult, Failure};
use crate::alerts::{channels_for, rules_for};
use crate::config::Source;
use crate::config::{self, ConfigError, Loaded, Problem, Workspace};

/// `uc config render`: the effective YAML, secrets as references.
pub fn render(source: &Source, env: Option<&str>) -> CliResult {
    let loaded = load(source, env).0.map_err(Failure::input)?;
    out!("{}", loaded.effective)?;
    Ok(ExitCode::SUCCESS)
}

/// `uc config schema`: JSON Schema (draft-07) of the workspace or an overlay file.
pub fn schema(overlay: bool) -> CliResult {
    let schema = if overlay {
        config::overlay_schema()
    } else {
        config::workspace_schema()
    };
    let text = serde_json::to_string_pretty(&schema).map_err(Failure::runtime)?;
    outln!("{text}")?;
    Ok(ExitCode::SUCCESS)
}

/// The environment's effective config, and its warnings even when it has errors.
fn load(source: &Source, env: Option<&str>) -> (Result<Loaded, ConfigError>, Vec<Problem>) {
    match source {
        Source::File(path) => config::check_env(path, env),
        Source::Demo => {
            let loaded = crate::config::demo_dir().and_then(|www| config::demo_loaded(&www, env));
            let warnings = loaded
                .as_ref()
                .map(|l| l.warnings.clone())
                .unwrap_or_default();
            (loaded, warnings)
        }
    }
}

/// Prints every error and warning with its snippet; exit code 2 when there are errors.
pub fn check(source: &Source, env: Option<&str>) -> CliResult {
    let (loaded, warnings) = load(source, env);
    for warning in &warnings {
        print_problem(warning);
    }
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(ConfigError::Invalid { problems }) => {
            for problem in &problems {
                print_problem(problem);
            }
            let count = problems.len();
            eprintln!("{count} error{}", plural(count));
            return Ok(ExitCode::from(2));
        }
        Err(err) => return Err(Failure::input(err)),
    };
    let ws = &loaded.workspace;
    let file = ws
        .file
        .as_ref()
        .map_or_else(|| "built-in demo".to_string(), |f| f.display().to_string());
    let env = ws
        .environment
        .as_ref()
        .map_or_else(String::new, |e| format!(", environment `{e}`"));
    outln!(
        "{file}: ok — workspace `{}`{env}, {} service{}",
        ws.name,
        ws.services.len(),
        plural(ws.services.len())
    )?;
    alerts(ws)
}

fn print_problem(problem: &Problem) {
    eprintln!("{problem}");
    if let Some(snippet) = problem.snippet() {
        eprintln!("{snippet}");
    }
}

/// The rules and channels files the workspace uses.
fn alerts(ws: &Workspace) -> CliResult {
    if !ws.alerts.enabled {
        outln!("alerts: disabled")?;
        return Ok(ExitCode::SUCCESS);
    }
    let rules = rules_for(&ws.alerts).map_err(Failure::input)?;
    let rules_file = ws
        .alerts
        .rules
        .as_ref()
        .map_or_else(|| "built-in rules".to_string(), |f| f.display().to_string());
    outln!(
        "{rules_file}: ok — {} rule{}",
        rules.own(),
        plural(rules.own())
    )?;
    let names: Vec<&str> = ws.services.iter().map(|s| s.name.as_str()).collect();
    for (rule, service) in rules.unknown_services(&names) {
        eprintln!(
            "warning: rule {rule} names service `{service}`, which this workspace does not have"
        );
    }
    let channels = channels_for(&ws.alerts).map_err(Failure::input)?;
    if let Some(path) = &ws.alerts.channels {
        let count = channels.channels.len();
        outln!("{}: ok — {count} channel{}", path.display(), plural(count))?;
        for channel in &channels.channels {
            if let Some(reason) = channel.disabled() {
                eprintln!("warning: channel {} is disabled: {reason}", channel.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
