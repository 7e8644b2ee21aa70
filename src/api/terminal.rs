//! A service's live terminal: `GET /api/v1/services/{name}/terminal` streams its tmux
//! window (Server-Sent Events: the screen, then the pane's output as it comes) and
//! `POST /api/v1/services/{name}/terminal/keys` types into it. Closing the stream leaves the
//! service alone.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures::StreamExt;
use serde::Deserialize;

use crate::api::{Api, Name, Refusal, check_name};
use crate::protocol::CommandError;
use crate::supervisor::tmux::{Chunk, MAX_TERMINALS, Screen, Terminal, TerminalError};

/// Text typed in one request, at most.
const TEXT_MAX: usize = 16 * 1024;
/// Named keys in one request, at most.
const KEYS_MAX: usize = 32;
/// A closed tab is noticed at the next write: an idle pane's stream writes this often.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// `screen` event: the pane's size and what draws it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScreenEvent {
    pub cols: u16,
    pub rows: u16,
    /// Text with escape sequences that draws the screen on a cleared terminal, cursor last.
    pub text: String,
}

/// Server-Sent Events: `event: screen` (a [`ScreenEvent`], first and again when the pane is
/// resized), `event: output` (`data:` the pane's bytes in base64), `event: closed` when the
/// service's window closes (the stream ends).
#[utoipa::path(get, path = "/services/{name}/terminal", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    responses(
        (status = 200, description = "A `text/event-stream`: `screen` (its `data` a \
            `ScreenEvent`: cols, rows, text), then `output` (base64 bytes) as the pane prints, \
            `closed` at the end",
            content_type = "text/event-stream", body = super::events::SseEvent),
        (status = 404, description = "No such service", body = CommandError),
        (status = 409, description = "The service has no window (not running)", body = CommandError),
        (status = 429, description = "Too many terminals open in this workspace", body = CommandError)))]
pub async fn stream(State(api): State<Api>, name: Name) -> Response {
    let window = match window_of(&api, &name.0) {
        Ok(window) => window,
        Err(refusal) => return refusal.into_response(),
    };
    let (screen, terminal) = match api.terminals.open(&name.0, &window).await {
        Ok(opened) => opened,
        Err(e) => return refused(&name.0, &e).into_response(),
    };
    let first = futures::stream::once(async move { screen_event(&screen) });
    let rest = futures::stream::unfold(Some(terminal), next_event);
    let events = first.chain(rest).map(Ok::<_, Infallible>);
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

async fn next_event(terminal: Option<Terminal>) -> Option<(sse::Event, Option<Terminal>)> {
    let mut terminal = terminal?;
    match terminal.next().await {
        Chunk::Output(bytes) => {
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            Some((
                sse::Event::default().event("output").data(data),
                Some(terminal),
            ))
        }
        Chunk::Screen(screen) => Some((screen_event(&screen), Some(terminal))),
        Chunk::Closed => Some((sse::Event::default().event("closed").data("{}"), None)),
    }
}

fn screen_event(screen: &Screen) -> sse::Event {
    let event = ScreenEvent {
        cols: screen.cols,
        rows: screen.rows,
        text: screen.text.clone(),
    };
    let data = serde_json::to_string(&event).unwrap_or_default();
    sse::Event::default().event("screen").data(data)
}

/// The body of `POST /api/v1/services/{name}/terminal/keys`: text typed as it is, then
/// named keys pressed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "ls -l\r", "keys": ["C-c"]}))]
pub struct Keys {
    /// Typed as it is: control characters and escape sequences are sent as the bytes they
    /// are (`\r` is Enter, `\u0003` is Ctrl-C).
    #[serde(default)]
    text: String,
    /// tmux key names, pressed after the text: `Enter`, `C-c`, `Up`, `F5` (a name tmux
    /// does not know is typed as text, as `send-keys` does).
    #[serde(default)]
    keys: Vec<String>,
}

/// Types into the service's window like `tmux send-keys`.
#[utoipa::path(post, path = "/services/{name}/terminal/keys", tag = "services",
    params(("name" = String, Path, description = "Service name")),
    request_body = Keys,
    responses(
        (status = 204, description = "Typed"),
        (status = 400, description = "The body is wrong; `field` says where", body = CommandError),
        (status = 404, description = "No such service", body = CommandError),
        (status = 409, description = "The service has no window (not running)", body = CommandError)))]
pub async fn keys(State(api): State<Api>, name: Name, body: Bytes) -> Response {
    let keys = match parse_keys(&body) {
        Ok(keys) => keys,
        Err(refusal) => return refusal.into_response(),
    };
    let window = match window_of(&api, &name.0) {
        Ok(window) => window,
        Err(refusal) => return refusal.into_response(),
    };
    match api
        .terminals
        .send_keys(&window, &keys.text, &keys.keys)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => refused(&name.0, &e).into_response(),
    }
}

fn parse_keys(body: &[u8]) -> Result<Keys, Refusal> {
    let bad = |field: &str, text: String| {
        Refusal(StatusCode::BAD_REQUEST, CommandError::field(field, text))
    };
    let keys: Keys = serde_json::from_slice(body).map_err(|e| bad("body", e.to_string()))?;
    if keys.text.is_empty() && keys.keys.is_empty() {
        return Err(bad("text", "give text or keys".into()));
    }
    if keys.text.len() > TEXT_MAX {
        return Err(bad("text", format!("at most {TEXT_MAX} bytes at once")));
    }
    if keys.keys.len() > KEYS_MAX {
        return Err(bad("keys", format!("at most {KEYS_MAX} keys at once")));
    }
    for (i, key) in keys.keys.iter().enumerate() {
        let named = !key.is_empty()
            && key.len() <= 16
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !named {
            return Err(bad(
                &format!("keys[{i}]"),
                format!("`{}` is not a key name", key.escape_debug()),
            ));
        }
    }
    Ok(keys)
}

/// The tmux window of service `name`: 404 when there is no such service, 409 when it has
/// no window.
fn window_of(api: &Api, name: &str) -> Result<String, Refusal> {
    check_name(name, "name")?;
    let snapshot = api.hub.snapshot();
    let Some(status) = snapshot.service(name) else {
        return Err(Refusal(
            StatusCode::NOT_FOUND,
            CommandError::field("name", format!("unknown service `{name}`")),
        ));
    };
    status.window.clone().ok_or_else(|| no_window(name))
}

fn no_window(name: &str) -> Refusal {
    Refusal(
        StatusCode::CONFLICT,
        CommandError::new(format!("service `{name}` has no window"))
            .with_hint(format!("start it: `uc up {name}`")),
    )
}

fn refused(name: &str, e: &TerminalError) -> Refusal {
    match e {
        TerminalError::Busy => Refusal(
            StatusCode::TOO_MANY_REQUESTS,
            CommandError::new(e.to_string()).with_hint(format!(
                "close a terminal tab: at most {MAX_TERMINALS} per workspace"
            )),
        ),
        TerminalError::Gone => no_window(name),
        TerminalError::Tmux(_) => Refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            CommandError::new(e.to_string()),
        ),
        // A capture started by an older `uc` has no tap; it lasts as long as the window.
        TerminalError::NoTap(_) => Refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            CommandError::new(e.to_string())
                .with_hint("`uc down` then `uc up` starts the workspace's captures anew"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_named_or_typed() {
        assert!(parse_keys(br#"{"text": "ls\r"}"#).is_ok());
        assert!(parse_keys(br#"{"keys": ["C-c", "Enter"]}"#).is_ok());
        let field = |body: &[u8]| parse_keys(body).err().and_then(|r| r.1.field);
        assert_eq!(field(b"{}").as_deref(), Some("text"));
        assert_eq!(field(br#"{"keys": ["a;b"]}"#).as_deref(), Some("keys[0]"));
        assert_eq!(field(br#"{"what": 1}"#).as_deref(), Some("body"));
    }
}
