//! Webhooks in and out.
//!
//! In: `POST /api/v1/hooks/<name>` (served by `api::hooks`) hands the delivery to
//! [`Incoming::receive`]: the signature is verified with the hook's secret (`verify`), the
//! push is read (`push`), recorded once per delivery id (`received`) and published as
//! `Event::GitPush`. Out: [`outgoing`] turns the hub's events into deliveries of the
//! subscribed kinds, queued in an outbox of their own (`alerts::outbox`, sent by
//! `alerts::deliver` like notifications).

pub mod outgoing;
pub mod push;
pub mod received;
pub mod verify;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use self::push::{Arrival, GitPush};
use self::received::Received;
use self::verify::{Refusal, StandardHeaders};
use crate::clock::now_ms;
use crate::config::webhooks::{HookFormat, Webhooks};
use crate::protocol::{Event, Hub};
use crate::store::StoreError;

/// The headers a delivery may be signed and named with, as they arrived.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub github_signature: Option<String>,
    pub github_delivery: Option<String>,
    pub github_event: Option<String>,
    pub webhook_id: Option<String>,
    pub webhook_timestamp: Option<String>,
    pub webhook_signature: Option<String>,
}

/// What became of a verified delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Recorded and published.
    Accepted(GitPush),
    /// Its delivery id was seen before: nothing was published again.
    Duplicate(String),
    /// A verified event that is not a push (GitHub's `ping`, other events).
    Ignored(String),
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("unknown hook `{0}`")]
    UnknownHook(String),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{field}: {message}")]
    Malformed {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The incoming hooks of the workspace and the file their deliveries are kept in.
#[derive(Clone)]
pub struct Incoming {
    hooks: Arc<Webhooks>,
    received: Arc<Mutex<Option<Received>>>,
    path: PathBuf,
    hub: Hub,
}

impl Incoming {
    pub fn new(hooks: Webhooks, path: PathBuf, hub: Hub) -> Self {
        Self {
            hooks: Arc::new(hooks),
            received: Arc::new(Mutex::new(None)),
            path,
            hub,
        }
    }

    /// Verifies, records and publishes one delivery to `hook`. Blocking (SQLite).
    pub fn receive(
        &self,
        hook: &str,
        delivery: &Delivery,
        body: &[u8],
    ) -> Result<Answer, HookError> {
        let config =
            (self.hooks.incoming(hook)).ok_or_else(|| HookError::UnknownHook(hook.to_owned()))?;
        let secret = config.secret.expose();
        let (id, event) = match config.format {
            HookFormat::GitHub => {
                verify::github(secret, delivery.github_signature.as_deref(), body)?;
                let id = required(&delivery.github_delivery, "X-GitHub-Delivery")?;
                (id, delivery.github_event.as_deref().unwrap_or("push"))
            }
            HookFormat::Standard => {
                let headers = StandardHeaders {
                    id: delivery.webhook_id.as_deref(),
                    timestamp: delivery.webhook_timestamp.as_deref(),
                    signature: delivery.webhook_signature.as_deref(),
                };
                verify::standard(secret, headers, body, now_ms() / 1000)?;
                (required(&delivery.webhook_id, "webhook-id")?, "push")
            }
        };
        if event != "push" {
            return Ok(Answer::Ignored(event.to_owned()));
        }
        let arrival = Arrival {
            hook,
            delivery: id,
            at: now_ms(),
        };
        let push = GitPush::parse(arrival, body).map_err(|e| HookError::Malformed {
            field: e.field,
            message: e.message,
        })?;
        if !self.record(&push)? {
            return Ok(Answer::Duplicate(id.to_owned()));
        }
        self.hub.publish(Event::GitPush(push.clone()));
        Ok(Answer::Accepted(push))
    }

    /// The file is opened at the first delivery: a workspace without incoming hooks never
    /// creates it.
    fn record(&self, push: &GitPush) -> Result<bool, StoreError> {
        let mut slot = self.received.lock().unwrap_or_else(PoisonError::into_inner);
        let received = match &mut *slot {
            Some(received) => received,
            empty @ None => empty.insert(Received::open(&self.path)?),
        };
        received.record(push)
    }
}

fn required<'a>(value: &'a Option<String>, header: &'static str) -> Result<&'a str, HookError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or(HookError::Malformed {
            field: header,
            message: "missing".to_owned(),
        })
}
