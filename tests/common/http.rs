//! Raw HTTP/1.x over an engine's Unix socket, as a REST client or `uc serve` would speak it:
//! a request and its whole answer, or a Server-Sent Events stream read event by event.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An answer: status and body (parsed as JSON when it is JSON, else `Value::String`).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Answer {
    /// The `field` of an error answer.
    pub fn field(&self) -> Option<&str> {
        self.body["field"].as_str()
    }
}

pub struct Socket(pub PathBuf);

impl Socket {
    pub fn of(state: &Path, workspace: &str) -> Self {
        Self(state.join(workspace).join("engine.sock"))
    }

    /// HTTP/1.0, so the answer is never chunked and ends when the engine closes.
    pub fn request(&self, method: &str, path: &str, body: &str) -> Answer {
        let mut stream = UnixStream::connect(&self.0).expect("engine socket");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: uc\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .expect("send");
        // An engine refusing a body too large answers and closes before reading it all.
        let _ = stream.write_all(body.as_bytes());
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("answer");
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").expect("head");
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        let body = serde_json::from_str(body)
            .unwrap_or_else(|_| serde_json::Value::String(body.to_owned()));
        Answer { status, body }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.request("GET", path, "")
    }

    pub fn post(&self, path: &str, body: &str) -> Answer {
        self.request("POST", path, body)
    }

    /// Opens an SSE stream, sending `Last-Event-ID` when given.
    pub fn events(&self, path: &str, last_id: Option<&str>) -> Sse {
        let mut stream = UnixStream::connect(&self.0).expect("engine socket");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let last = last_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
        write!(stream, "GET {path} HTTP/1.0\r\nHost: uc\r\n{last}\r\n").expect("send");
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).expect("status line");
        assert!(line.contains(" 200 "), "{line}");
        loop {
            line.clear();
            reader.read_line(&mut line).expect("header");
            if line.trim().is_empty() {
                break;
            }
        }
        Sse { reader }
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: serde_json::Value,
}

impl SseEvent {
    /// The sequence number of an engine event id (`<epoch>-<seq>`).
    pub fn seq(&self) -> u64 {
        let id = self.id.as_deref().expect("id");
        id.rsplit('-')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("seq")
    }
}

pub struct Sse {
    reader: BufReader<UnixStream>,
}

impl Sse {
    /// The next event with data (keep-alive comments skipped).
    pub fn next(&mut self) -> SseEvent {
        let (mut id, mut event, mut data) = (None, None, String::new());
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).expect("sse line");
            assert!(n > 0, "the stream ended");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !data.is_empty() {
                    let data = serde_json::from_str(&data).expect("json data");
                    return SseEvent { id, event, data };
                }
                continue;
            }
            if let Some(v) = line.strip_prefix("id:") {
                id = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("event:") {
                event = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
    }

    /// Events until `done` says so, within `timeout`.
    pub fn until(&mut self, timeout: Duration, done: impl Fn(&SseEvent) -> bool) -> Vec<SseEvent> {
        let start = Instant::now();
        let mut out = Vec::new();
        loop {
            assert!(start.elapsed() < timeout, "timed out after {out:?}");
            let event = self.next();
            let stop = done(&event);
            out.push(event);
            if stop {
                return out;
            }
        }
    }
}
