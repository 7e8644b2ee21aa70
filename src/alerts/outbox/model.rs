//! What the outbox stores and answers: rows, their states, tries.

use serde::{Deserialize, Serialize};

use crate::alerts::route::Notification;

/// How a notification enters the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission<'a> {
    Send,
    /// Send, replacing any notification of the channel that is still waiting (Alertmanager
    /// forwards: only the latest state matters).
    Replace,
    /// Record without sending (the channel is disabled or unknown), with the reason.
    Skip(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowState {
    Pending,
    Delivered,
    /// Gave up after trying for the whole retry window.
    Failed,
    Skipped,
    /// Replaced by a newer forward before it was sent.
    Superseded,
}

impl RowState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Superseded => "superseded",
        }
    }

    pub(super) fn parse(text: &str) -> Self {
        match text {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            "skipped" => Self::Skipped,
            "superseded" => Self::Superseded,
            _ => Self::Pending,
        }
    }
}

/// A notification waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub id: i64,
    pub notification: Notification,
    pub enqueued_at: u64,
    /// Tries so far.
    pub attempts: u32,
    pub next_attempt_at: u64,
    pub last_error: Option<String>,
}

/// What happened to a notification after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    /// Failed; tried again later.
    Retry,
    /// Failed for the last time.
    Failed,
    Skipped,
}

impl Outcome {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry => "retry",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    pub(super) fn parse(text: &str) -> Self {
        match text {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            "skipped" => Self::Skipped,
            _ => Self::Retry,
        }
    }
}

/// One try, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub notification: i64,
    pub dedup_key: String,
    pub channel: String,
    /// Unix ms.
    pub at: u64,
    pub duration_ms: u64,
    pub outcome: Outcome,
    /// HTTP status or SMTP reply code.
    pub code: Option<u16>,
    /// Response text or error.
    pub detail: String,
}

/// A notification and where it stands, as listed (`uc hooks deliveries`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub channel: String,
    pub group_key: String,
    pub dedup_key: String,
    pub state: RowState,
    /// Tries so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Unix ms; only while pending.
    pub next_attempt_at: Option<u64>,
    pub enqueued_at: u64,
    pub done_at: Option<u64>,
}

/// A try to record, and what follows from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tried<'a> {
    pub at: u64,
    pub duration_ms: u64,
    pub code: Option<u16>,
    pub detail: &'a str,
    pub next: Next,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(u64),
    Failed,
    Skipped,
}

/// What the UI shows of a channel's past.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelSummary {
    pub last_delivered_at: Option<u64>,
    /// The last try's error, unless a delivery came after it.
    pub last_error: Option<String>,
}

/// A try kept in memory until the outbox can record it (its file could not be written).
#[derive(Debug, Clone, PartialEq)]
pub struct TriedOwned {
    pub at: u64,
    pub duration_ms: u64,
    pub code: Option<u16>,
    pub detail: String,
    pub next: Next,
}

impl TriedOwned {
    pub fn borrow(&self) -> Tried<'_> {
        Tried {
            at: self.at,
            duration_ms: self.duration_ms,
            code: self.code,
            detail: &self.detail,
            next: self.next,
        }
    }
}

impl From<&Tried<'_>> for TriedOwned {
    fn from(t: &Tried<'_>) -> Self {
        Self {
            at: t.at,
            duration_ms: t.duration_ms,
            code: t.code,
            detail: t.detail.to_owned(),
            next: t.next,
        }
    }
}
