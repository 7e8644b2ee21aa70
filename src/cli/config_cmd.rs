//! `uc config check`: the workspace file, and the rules and channels files it uses.

use std::process::ExitCode;

use super::{CliResult, Failure, load};
use crate::alerts::{channels_for, rules_for};
use crate::engine::Source;

pub fn check(source: &Source) -> CliResult {
    let (ws, _) = load(source)?;
    let file = ws
        .file
        .as_ref()
        .map_or_else(|| "built-in demo".to_string(), |f| f.display().to_string());
    println!(
        "{file}: ok — workspace `{}`, {} service{}",
        ws.name,
        ws.services.len(),
        plural(ws.services.len())
    );
    if !ws.alerts.enabled {
        println!("alerts: disabled");
        return Ok(ExitCode::SUCCESS);
    }
    let rules = rules_for(&ws.alerts).map_err(Failure::input)?;
    let rules_file = ws
        .alerts
        .rules
        .as_ref()
        .map_or_else(|| "built-in rules".to_string(), |f| f.display().to_string());
    println!(
        "{rules_file}: ok — {} rule{}",
        rules.rules.len(),
        plural(rules.rules.len())
    );
    let names: Vec<&str> = ws.services.iter().map(|s| s.name.as_str()).collect();
    for (rule, service) in rules.unknown_services(&names) {
        eprintln!(
            "warning: rule {rule} names service `{service}`, which this workspace does not have"
        );
    }
    let channels = channels_for(&ws.alerts).map_err(Failure::input)?;
    if let Some(path) = &ws.alerts.channels {
        let count = channels.channels.len();
        println!("{}: ok — {count} channel{}", path.display(), plural(count));
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
