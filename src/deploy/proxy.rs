//! The built-in reverse proxy of a blue-green service: HTTP/1.1 on the service's public
//! port, each request sent to the colour serving when it arrives (keep-alive connections
//! to the backends, pooled). Moving to the other colour is one atomic store; requests
//! already sent finish where they are, counted per colour so a drain ends as soon as the
//! old colour has none left.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode, Uri, Version};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::model::Colour;

type Body = BoxBody<Bytes, hyper::Error>;

/// Headers about one hop, never passed on (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
];

/// A running proxy; clones share it.
#[derive(Clone)]
pub struct Proxy {
    shared: Arc<Shared>,
}

struct Shared {
    ports: [u16; 2],
    serving: AtomicU8,
    in_flight: [AtomicUsize; 2],
    /// Told when a colour's last request in flight ends.
    idle: Notify,
    client: Client<HttpConnector, Incoming>,
}

/// One request in flight to a colour, until its answer's body has been sent.
struct InFlight {
    shared: Arc<Shared>,
    colour: Colour,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let left = self.shared.in_flight[self.colour.index()].fetch_sub(1, Ordering::AcqRel);
        if left == 1 {
            self.shared.idle.notify_waiters();
        }
    }
}

impl Proxy {
    /// Listens on `listen` and sends requests to 127.0.0.1:`ports[serving]` (inside a
    /// tokio runtime).
    pub fn start(listen: SocketAddr, ports: [u16; 2], serving: Colour) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let proxy = Self {
            shared: Arc::new(Shared {
                ports,
                serving: AtomicU8::new(serving.index() as u8),
                in_flight: [AtomicUsize::new(0), AtomicUsize::new(0)],
                idle: Notify::new(),
                client,
            }),
        };
        tokio::spawn(proxy.clone().accept(listener));
        Ok(proxy)
    }

    pub fn serving(&self) -> Colour {
        match self.shared.serving.load(Ordering::Acquire) {
            0 => Colour::Blue,
            _ => Colour::Green,
        }
    }

    /// New requests go to `colour` from now on.
    pub fn serve(&self, colour: Colour) {
        (self.shared.serving).store(colour.index() as u8, Ordering::Release);
    }

    pub fn in_flight(&self, colour: Colour) -> usize {
        self.shared.in_flight[colour.index()].load(Ordering::Acquire)
    }

    /// Waits until `colour` has no request in flight, at most `limit`; answers how many
    /// it still had then.
    pub async fn drained(&self, colour: Colour, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        loop {
            let idle = self.shared.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            let left = self.in_flight(colour);
            if left == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.in_flight(colour);
            }
        }
    }

    async fn accept(self, listener: TcpListener) {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, most likely: let some connections end.
                    tracing::warn!("proxy accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let proxy = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let proxy = proxy.clone();
                    async move { Ok::<_, Infallible>(proxy.forward(request, peer).await) }
                });
                let served = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Err(e) = served {
                    tracing::debug!("proxy connection from {peer}: {e}");
                }
            });
        }
    }

    async fn forward(&self, mut request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let colour = self.serving();
        let shared = &self.shared;
        shared.in_flight[colour.index()].fetch_add(1, Ordering::AcqRel);
        let guard = InFlight {
            shared: shared.clone(),
            colour,
        };
        let port = shared.ports[colour.index()];
        let path = (request.uri().path_and_query()).map_or("/", |p| p.as_str());
        let Ok(uri) = format!("http://127.0.0.1:{port}{path}").parse::<Uri>() else {
            return answer(StatusCode::BAD_REQUEST, "invalid request target");
        };
        *request.uri_mut() = uri;
        // HTTP/1.1 to the backend whatever the client spoke: its connections are kept alive
        // (an HTTP/1.0 request would have the backend close one the pool then reuses).
        *request.version_mut() = Version::HTTP_11;
        strip_hop_by_hop(request.headers_mut());
        let forwarded = HeaderValue::from_str(&peer.ip().to_string());
        if let Ok(value) = forwarded {
            request.headers_mut().append("x-forwarded-for", value);
        }
        match shared.client.request(request).await {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                strip_hop_by_hop(&mut parts.headers);
                // The request counts as in flight until its answer's body is sent.
                let body = body.map_frame(move |frame| {
                    let _ = &guard;
                    frame
                });
                Response::from_parts(parts, body.boxed())
            }
            Err(e) => {
                let text = format!("{} (port {port}) did not answer: {e}", colour.as_str());
                answer(StatusCode::BAD_GATEWAY, &text)
            }
        }
    }
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<String> = (headers.get_all(header::CONNECTION).iter())
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|n| n.trim().to_ascii_lowercase()))
        .collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        headers.remove(name);
    }
}

fn answer(status: StatusCode, text: &str) -> Response<Body> {
    let body = Full::new(Bytes::from(format!("{text}\n")))
        .map_err(|never| match never {})
        .boxed();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::Router;
    use axum::routing::get;
    use tokio::sync::Notify;

    use super::*;

    /// A backend answering `name` on `/`, and on `/slow` once `release` is notified.
    async fn backend(name: &'static str, release: Arc<Notify>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let app = Router::new()
            .route("/", get(move || async move { name }))
            .route(
                "/slow",
                get(move || async move {
                    release.notified().await;
                    "slow"
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        port
    }

    /// A port nothing listens on (now).
    fn free_addr() -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    }

    async fn body(port: u16, path: &str) -> (u16, String) {
        let url = format!("http://127.0.0.1:{port}{path}");
        let response = reqwest::get(url).await.expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    #[tokio::test]
    async fn new_requests_follow_the_swap_and_the_drain_waits_for_the_old_colour() {
        let release = Arc::new(Notify::new());
        let blue = backend("blue", release.clone()).await;
        let green = backend("green", release.clone()).await;
        let addr = free_addr();
        let proxy = Proxy::start(addr, [blue, green], Colour::Blue).expect("proxy");
        assert_eq!(body(addr.port(), "/").await, (200, "blue".into()));

        let slow = tokio::spawn(body(addr.port(), "/slow"));
        while proxy.in_flight(Colour::Blue) == 0 {
            tokio::task::yield_now().await;
        }
        proxy.serve(Colour::Green);
        assert_eq!(body(addr.port(), "/").await, (200, "green".into()));
        assert_eq!(
            proxy.drained(Colour::Blue, Duration::from_millis(50)).await,
            1
        );
        release.notify_one();
        let drained = proxy.drained(Colour::Blue, Duration::from_secs(10)).await;
        assert_eq!(drained, 0);
        assert_eq!(slow.await.expect("slow"), (200, "slow".into()));

        // A colour that does not answer is the proxy's 502, naming it.
        let dead = free_addr().port();
        let addr = free_addr();
        let _proxy = Proxy::start(addr, [dead, green], Colour::Blue).expect("proxy");
        let (status, text) = body(addr.port(), "/").await;
        assert_eq!(status, 502);
        assert!(
            text.contains("blue") && text.contains(&dead.to_string()),
            "{text}"
        );
    }
}
