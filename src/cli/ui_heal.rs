//! The TUI's healing requests: the heal history and the playbook list after each (re)connect,
//! and playbook runs, each in its own task so the TUI never waits on the engine.

use tokio::sync::mpsc;

use crate::client::Client;
use crate::tui::Update;
use crate::tui::heal::playbook::PlaybookMode;

/// How far back the details' heal events go when the TUI connects.
const HISTORY_SECS: u64 = 86_400;

/// The last day's heal events (as many as the TUI keeps) and the playbook names.
pub fn prefill(client: &Client, updates: &mpsc::UnboundedSender<Update>) {
    let (history_client, history_updates) = (client.clone(), updates.clone());
    tokio::spawn(async move {
        let limit = Some(crate::tui::heal::KEPT);
        let result = history_client.heal_history(HISTORY_SECS, None, limit).await;
        let _ = history_updates.send(Update::HealHistory(result.map_err(|e| e.to_string())));
    });
    playbooks(client, updates.clone());
}

pub fn playbooks(client: &Client, updates: mpsc::UnboundedSender<Update>) {
    let client = client.clone();
    tokio::spawn(async move {
        let result = client.playbooks().await.map_err(|e| e.to_string());
        let _ = updates.send(Update::Playbooks(result));
    });
}

/// Plan or run playbook `name`; the engine's refusal is passed on in its words.
pub fn run(
    client: &Client,
    name: String,
    mode: PlaybookMode,
    updates: mpsc::UnboundedSender<Update>,
) {
    let client = client.clone();
    tokio::spawn(async move {
        let result = client.run_playbook(&name, mode.dry_run()).await;
        let result = result.map_err(|e| e.to_string());
        let _ = updates.send(Update::PlaybookRun { name, mode, result });
    });
}
