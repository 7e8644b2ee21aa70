//! `GET /api/v1/events`: the hub's events as Server-Sent Events. Each carries `id:
//! <epoch>-<seq>` and `event: <kind>` (the JSON's `event` tag). A client reconnecting with
//! `Last-Event-ID` gets exactly the events after it while the hub still keeps them
//! (`protocol::hub::REPLAY`); otherwise, and for an id from another engine, an `event:
//! resync` and then a fresh snapshot. A client that falls behind the live channel resumes
//! the same way from the last event it was sent.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{self, KeepAlive, Sse};
use futures::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::api::Api;
use crate::protocol::hub::{Recorded, Resume};
use crate::protocol::{Event, Hub};

/// The name of the SSE event that tells a client to drop its state: a snapshot follows.
pub const RESYNC: &str = "resync";

/// One Server-Sent Event as a client reads it off a stream (for the OpenAPI document: the
/// routes answer `text/event-stream`).
#[derive(Debug, utoipa::ToSchema)]
pub struct SseEvent {
    /// Resume after it with `Last-Event-ID`.
    pub id: Option<String>,
    /// The kind: `snapshot`, `service`, `resync`, `lines`, ...
    pub event: String,
    /// The event's JSON.
    pub data: String,
}

/// Server-Sent Events; the first is a snapshot unless `Last-Event-ID` resumes a stream.
#[utoipa::path(get, path = "/events", tag = "events",
    params(("Last-Event-ID" = Option<String>, Header,
        description = "The id of the last event received: resume after it")),
    responses((status = 200, description = "An endless `text/event-stream`: `id: <epoch>-<seq>`, \
        `event: snapshot|service|metrics|alerts|...|resync`, `data: <Event JSON>`",
        content_type = "text/event-stream", body = SseEvent)))]
pub async fn events(
    State(api): State<Api>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<sse::Event, Infallible>>> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let stream = futures::stream::unfold(Events::new(api.hub, last.as_deref()), |mut s| async {
        let event = s.next().await?;
        Some((Ok(event), s))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

struct Events {
    hub: Hub,
    /// Ready to send before the next live event.
    queued: VecDeque<sse::Event>,
    rx: broadcast::Receiver<Event>,
    /// The sequence number of the last event sent (or about to be, from `queued`).
    seq: u64,
    done: bool,
}

impl Events {
    fn new(hub: Hub, last: Option<&str>) -> Self {
        let resumed = hub.resume(last);
        let mut events = Self {
            hub,
            queued: VecDeque::new(),
            rx: resumed.rx,
            seq: resumed.seq,
            done: false,
        };
        events.start(resumed.start, resumed.seq);
        events
    }

    fn start(&mut self, start: Resume, seq: u64) {
        match start {
            Resume::Fresh(snapshot) => self.queue(seq, &Event::Snapshot(snapshot)),
            Resume::Replay(events) => {
                for recorded in events {
                    self.queued.push_back(recorded_sse(&self.hub, &recorded));
                }
            }
            Resume::Resync { reason, snapshot } => {
                let data = serde_json::json!({ "event": RESYNC, "reason": reason });
                self.queued
                    .push_back(sse::Event::default().event(RESYNC).data(data.to_string()));
                self.queue(seq, &Event::Snapshot(snapshot));
            }
        }
        self.seq = seq;
    }

    fn queue(&mut self, seq: u64, event: &Event) {
        self.queued.push_back(to_sse(&self.hub, seq, event));
    }

    async fn next(&mut self) -> Option<sse::Event> {
        if let Some(event) = self.queued.pop_front() {
            return Some(event);
        }
        if self.done {
            return None;
        }
        loop {
            match self.rx.recv().await {
                Ok(event) => {
                    self.seq += 1;
                    self.done = matches!(event, Event::Shutdown);
                    // Written once by the hub for every stream, unless already dropped.
                    return Some(match self.hub.recorded(self.seq) {
                        Some(recorded) => recorded_sse(&self.hub, &recorded),
                        None => to_sse(&self.hub, self.seq, &event),
                    });
                }
                Err(RecvError::Lagged(_)) => {
                    let resumed = self.hub.resume(Some(&self.hub.event_id(self.seq)));
                    self.rx = resumed.rx;
                    self.start(resumed.start, resumed.seq);
                    if let Some(event) = self.queued.pop_front() {
                        return Some(event);
                    }
                }
                Err(RecvError::Closed) => {
                    self.done = true;
                    return Some(to_sse(&self.hub, self.seq, &Event::Shutdown));
                }
            }
        }
    }
}

fn to_sse(hub: &Hub, seq: u64, event: &Event) -> sse::Event {
    sse::Event::default()
        .id(hub.event_id(seq))
        .event(event.kind())
        .data(crate::protocol::hub::to_json(event))
}

fn recorded_sse(hub: &Hub, recorded: &Recorded) -> sse::Event {
    sse::Event::default()
        .id(hub.event_id(recorded.seq))
        .event(recorded.kind)
        .data(&*recorded.json)
}
