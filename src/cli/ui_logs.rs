//! The TUI's log stream and pattern list: one engine stream at a time, replaced when the
//! logs pane's filter changes, reopened (without repeating lines) when the engine restarts.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::Client;
use crate::logs::{LogQuery, LogStreamEvent};
use crate::tui::Update;

/// The stream the logs pane follows; dropping it ends the stream.
#[derive(Default)]
pub struct LogFeed {
    task: Option<JoinHandle<()>>,
}

impl Drop for LogFeed {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl LogFeed {
    /// Follow `query` instead of whatever was followed before.
    pub fn follow(
        &mut self,
        client: &Client,
        query: LogQuery,
        updates: mpsc::UnboundedSender<Update>,
    ) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.task = Some(tokio::spawn(stream(client.clone(), query, updates)));
    }
}

async fn stream(client: Client, query: LogQuery, updates: mpsc::UnboundedSender<Update>) {
    let mut last_seq: Option<u64> = None;
    loop {
        if let Ok(mut stream) = client.follow_logs(&query).await {
            while let Some(Ok(mut event)) = stream.next().await {
                // After a reconnect the backfill repeats lines already shown.
                if let LogStreamEvent::Lines { lines } = &mut event {
                    lines.retain(|l| last_seq.is_none_or(|last| l.seq > last));
                    last_seq = lines.last().map(|l| l.seq).or(last_seq);
                    if lines.is_empty() {
                        continue;
                    }
                }
                if updates.send(Update::Log(event)).is_err() {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The engine's pattern list, once.
pub fn patterns(client: &Client, updates: mpsc::UnboundedSender<Update>) {
    let client = client.clone();
    tokio::spawn(async move {
        let result = client.log_patterns().await.map_err(|e| e.to_string());
        let _ = updates.send(Update::Patterns(result));
    });
}
