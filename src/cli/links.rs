//! Links with other workspaces as the CLI shows them: under `uc status`, and the warning
//! `uc stop` / `uc down` print when a service elsewhere depends on what stops.

use crate::client::Client;
use crate::protocol::links::{stopping, stranded};
use crate::protocol::{ServiceStatus, Snapshot};

/// Warn, on stderr, about each active service of another workspace that stopping `names`
/// (all when empty) leaves without its dependency. The stop goes ahead: the other workspace
/// is its own user's to stop.
pub async fn warn_stranded(client: &Client, names: &[String]) {
    let Ok(snapshot) = client.snapshot().await else {
        return;
    };
    let stops = stopping(&snapshot.services, names);
    for s in stranded(&snapshot.services, &stops) {
        eprintln!("warning: {s}");
    }
}

/// One line per service linked with another workspace: `api depends on operation/db`,
/// `db needed by hvac/api, hvac/web (not running)`.
pub fn lines(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    for s in &snapshot.services {
        let remote = s.remote_dependencies();
        if !remote.is_empty() {
            out.push_str(&format!("{} depends on {}\n", s.name, remote.join(", ")));
        }
        if !s.needed_by.is_empty() {
            out.push_str(&format!("{} needed by {}\n", s.name, needed_by(s)));
        }
    }
    out
}

/// `hvac/api, hvac/web (not running)`.
pub fn needed_by(s: &ServiceStatus) -> String {
    let names: Vec<String> = s
        .needed_by
        .iter()
        .map(|d| match d.active {
            true => d.service.clone(),
            false => format!("{} (not running)", d.service),
        })
        .collect();
    names.join(", ")
}
