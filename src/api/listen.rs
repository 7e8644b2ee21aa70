//! The accept loop of the engine's HTTP listeners (its Unix socket and Prometheus' `/metrics`),
//! in place of `axum::serve`, which keeps a connection that stalls mid-request forever: enough
//! of them took every file descriptor and `uc status` timed out.
//!
//! - A request's head must arrive within [`Limits::request_timeout`] (hyper's header read
//!   timeout, which also closes a keep-alive connection idle that long), and its body too.
//! - At most [`Limits::max_connections`] are open. A connection is *waiting* until a request
//!   has fully arrived and again once its answer is sent; it is *busy* while a handler runs or
//!   its answer streams (an SSE stream is busy for its whole life). At the cap, a new
//!   connection closes the oldest waiting one, so stalled sockets cannot keep `uc status`
//!   out; when every one is busy, the new connection is refused. Busy ones are never touched.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode};
use axum::serve::Listener;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::oneshot;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// For a request's head, then for its body.
    pub request_timeout: Duration,
    /// Longest request body.
    pub max_body: usize,
}

/// The engine's socket: every frontend's requests and event streams (a TUI holds a few,
/// and `uc serve` forwards each SSE subscriber of the REST API as a connection of its own:
/// a thousand web pages following one workspace must fit).
pub const SOCKET: Limits = Limits {
    max_connections: 2048,
    request_timeout: Duration::from_secs(5),
    max_body: 2 << 20,
};

/// Prometheus' `/metrics`: a scraper or two.
pub const METRICS: Limits = Limits {
    max_connections: 32,
    request_timeout: Duration::from_secs(5),
    max_body: 64 << 10,
};

/// Serves `router` on `listener` until the task is dropped.
/// Each request carries its peer's address as [`ConnectInfo`].
pub async fn serve<L>(mut listener: L, router: Router, limits: Limits)
where
    L: Listener,
    L::Addr: Clone + Sync + 'static,
{
    let open = Connections::new(limits.max_connections);
    loop {
        let (io, peer) = listener.accept().await;
        // Refused: dropping closes it.
        let Some((connection, closed)) = open.admit() else {
            tracing::warn!(
                max = limits.max_connections,
                "refused a connection: all are busy"
            );
            continue;
        };
        let router = router.clone();
        let accepted = Accepted {
            connection,
            closed,
            peer,
        };
        tokio::spawn(serve_connection(io, router, accepted, limits));
    }
}

/// A connection let in, and who is on the other end.
struct Accepted<A> {
    connection: Connection,
    closed: oneshot::Receiver<()>,
    peer: A,
}

async fn serve_connection<I, A>(io: I, router: Router, accepted: Accepted<A>, limits: Limits)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    A: Clone + Send + Sync + 'static,
{
    let Accepted {
        connection,
        closed,
        peer,
    } = accepted;
    let (open, id) = (connection.open.clone(), connection.id);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let (router, open) = (router.clone(), open.clone());
        request.extensions_mut().insert(ConnectInfo(peer.clone()));
        async move { Ok::<_, Infallible>(answer(request, router, &open, id, limits).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout);
    let served = builder.serve_connection(TokioIo::new(io), service);
    // Either way the connection is dropped, and with it the socket.
    tokio::select! {
        _ = served => {}
        _ = closed => {}
    }
}

async fn answer(
    request: Request<Incoming>,
    router: Router,
    open: &Connections,
    id: u64,
    limits: Limits,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let too_large = || {
        let limit = crate::format::bytes(limits.max_body as f64);
        let text = format!("the request body is over {limit}");
        refuse(StatusCode::PAYLOAD_TOO_LARGE, text)
    };
    // Refused before reading, when the client says how much it will send.
    if body.size_hint().lower() > limits.max_body as u64 {
        return too_large();
    }
    let read = Limited::new(body, limits.max_body).collect();
    let body = match tokio::time::timeout(limits.request_timeout, read).await {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => return too_large(),
        Ok(Err(e)) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            );
        }
        Err(_) => {
            let text = "the request body did not arrive in time";
            return refuse(StatusCode::REQUEST_TIMEOUT, text.into());
        }
    };
    let busy = open.busy(id);
    let Ok(response) = router
        .oneshot(Request::from_parts(parts, Body::from(body)))
        .await;
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            // Held by the answer's body: busy until it is sent, or the client left.
            let _busy = &busy;
            frame
        }))
    })
}

fn refuse(code: StatusCode, text: String) -> Response<Body> {
    crate::api::error(code, crate::protocol::CommandError::field("body", text))
}

/// The open connections, oldest first.
#[derive(Clone)]
struct Connections {
    max: usize,
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    open: BTreeMap<u64, Slot>,
}

struct Slot {
    /// Handlers running or answers streaming.
    busy: usize,
    close: Option<oneshot::Sender<()>>,
}

/// A connection's place among the open ones, given up when it is dropped.
struct Connection {
    id: u64,
    open: Connections,
}

/// One handler running or answer streaming on a connection.
struct Busy {
    id: u64,
    open: Connections,
}

impl Connections {
    fn new(max: usize) -> Self {
        Self {
            max,
            inner: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a new connection, closing the oldest waiting one at the cap, and what
    /// fires when a newer one takes its place in turn; `None` when every open connection
    /// is busy.
    fn admit(&self) -> Option<(Connection, oneshot::Receiver<()>)> {
        let mut inner = self.lock();
        if inner.open.len() >= self.max {
            let oldest = inner
                .open
                .iter()
                .find(|(_, slot)| slot.busy == 0)
                .map(|(id, _)| *id)?;
            if let Some(close) = inner.open.remove(&oldest).and_then(|mut s| s.close.take()) {
                let _ = close.send(());
            }
        }
        let id = inner.next;
        inner.next += 1;
        let (close, closed) = oneshot::channel();
        let slot = Slot {
            busy: 0,
            close: Some(close),
        };
        inner.open.insert(id, slot);
        let connection = Connection {
            id,
            open: self.clone(),
        };
        Some((connection, closed))
    }

    fn busy(&self, id: u64) -> Busy {
        if let Some(slot) = self.lock().open.get_mut(&id) {
            slot.busy += 1;
        }
        Busy {
            id,
            open: self.clone(),
        }
    }

    #[cfg(test)]
    fn ids(&self) -> Vec<u64> {
        self.lock().open.keys().copied().collect()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.open.lock().open.remove(&self.id);
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(slot) = self.open.lock().open.get_mut(&self.id) {
            slot.busy = slot.busy.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_waiting_connection_makes_room() {
        let open = Connections::new(3);
        let (_a, mut a_closed) = open.admit().unwrap();
        let (b, _) = open.admit().unwrap();
        let _b_busy = open.busy(b.id);
        let _c = open.admit().unwrap();
        let _d = open.admit().unwrap();
        assert_eq!(open.ids(), [1, 2, 3], "a, the oldest waiting, made room");
        assert!(a_closed.try_recv().is_ok(), "a was told to close");
        let _c_busy = open.busy(2);
        let d_busy = open.busy(3);
        assert!(open.admit().is_none(), "every open connection is busy");
        drop(d_busy);
        let (e, _) = open.admit().unwrap();
        assert_eq!(open.ids(), [1, 2, e.id]);
        drop(e);
        assert_eq!(open.ids(), [1, 2]);
    }
}
