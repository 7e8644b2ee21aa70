//! The TUI assistant's glue: the diagnosis read in a task of its own, and what the user
//! confirmed in the assistant sent with a client that says so, for the audit log.

use tokio::sync::mpsc;

use crate::client::Client;
use crate::tui::{Request, Update};

pub fn doctor(client: &Client, updates: mpsc::UnboundedSender<Update>) {
    let client = client.clone();
    tokio::spawn(async move {
        let result = client.doctor(None).await.map_err(|e| e.to_string());
        let _ = updates.send(Update::Doctor(result));
    });
}

/// The client to send `request` with, and the request itself: an assisted one is sent
/// as any other, named `tui (assistant)` in the engine's audit record.
pub fn assisted(client: &Client, request: Request) -> (Client, Request) {
    match request {
        Request::Assisted(inner) => (client.clone().via(crate::api::ASSISTANT), *inner),
        request => (client.clone(), request),
    }
}
