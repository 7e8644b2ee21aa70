//! The TUI's deploy requests: start a deploy or a rollback, read the recorded deploys; each
//! in its own task so the TUI never waits on the engine. The stages follow as events.

use tokio::sync::mpsc;

use crate::client::Client;
use crate::deploy::Ask;
use crate::tui::Update;

/// Deploys of the history the pane asks for.
const HISTORY_LIMIT: usize = crate::tui::deploys::KEPT;

pub fn ask(client: &Client, service: String, ask: Ask, updates: mpsc::UnboundedSender<Update>) {
    let client = client.clone();
    tokio::spawn(async move {
        let result = match &ask {
            Ask::Deploy { git_ref } => client.deploy(&service, git_ref.as_deref()).await,
            Ask::Rollback { release } => client.rollback(&service, release.as_deref()).await,
            Ask::Decide { approve, .. } => client.decide(&service, *approve).await,
            Ask::Push {
                git_ref, commit, ..
            } => client.pushed(&service, git_ref, commit, None).await,
        };
        let result = result.map_err(|e| e.to_string());
        let _ = updates.send(Update::DeployStarted { service, result });
    });
}

pub fn history(client: &Client, updates: mpsc::UnboundedSender<Update>) {
    let client = client.clone();
    tokio::spawn(async move {
        let result = client.deploys(None, Some(HISTORY_LIMIT)).await;
        let _ = updates.send(Update::DeployHistory(result.map_err(|e| e.to_string())));
    });
}
