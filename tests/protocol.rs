//! The engine protocol over a real Unix socket: commands, snapshot, SSE events, two clients.

mod common;

use std::time::Duration;

use common::{Harness, service};
use univers_container::api;
use univers_container::api::listen;
use univers_container::client::{Client, EventStream};
use univers_container::protocol::{Command, Event, ServiceState};

async fn serve(h: &Harness) -> Client {
    let socket = h.paths.dir.join("engine.sock");
    let listener = tokio::net::UnixListener::bind(&socket).expect("bind socket");
    let router = api::router(api::Api {
        hub: h.hub.clone(),
        commands: h.commands.clone(),
        alerting: None,
        config: tokio::sync::mpsc::channel(1).0,
        alerts_db: h.paths.alerts_db(),
        outbox_db: h.paths.outbox_db(),
        recent: Default::default(),
        history: None,
        logs: None,
        heal_db: h.paths.heal_db(),
        playbooks: univers_container::heal::Playbooks::new(
            &h.dir,
            h.hub.clone(),
            h.commands.clone(),
        ),
        audit_log: h.paths.audit_log(),
        hooks: api::HooksAccess {
            incoming: univers_container::hooks::Incoming::new(
                Default::default(),
                h.paths.hooks_db(),
                h.hub.clone(),
            ),
            outbox: h.paths.webhooks_outbox(),
        },
        terminals: univers_container::supervisor::Terminals::new(h.tmux.clone(), &h.paths),
        deploys: None,
        deploys_db: h.paths.deploys_db(),
        config_db: h.paths.config_db(),
        access: Default::default(),
    });
    tokio::spawn(listen::serve(listener, router, listen::SOCKET));
    Client::new(socket)
}

/// Events until `name` reaches `state` (inclusive), as (service, state) pairs.
async fn states_until(
    events: &mut EventStream,
    name: &str,
    state: ServiceState,
) -> Vec<(String, ServiceState)> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(15), events.next())
            .await
            .expect("event in time")
            .expect("stream open")
            .expect("event decodes");
        if let Event::Service(s) = event {
            seen.push((s.name.clone(), s.state));
            if s.name == name && s.state == state {
                return seen;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_see_the_same_events_and_commands_work() {
    let h = Harness::start(|dir| vec![service("api", "exec sleep 300", dir)]).await;
    let client = serve(&h).await;

    let snapshot = client.snapshot().await.expect("snapshot");
    assert_eq!(
        snapshot.service("api").map(|s| s.state),
        Some(ServiceState::Stopped)
    );

    let mut first = client.events().await.expect("first stream");
    let mut second = client.events().await.expect("second stream");
    for events in [&mut first, &mut second] {
        match events.next().await {
            Some(Ok(Event::Snapshot(s))) => assert_eq!(s.workspace, snapshot.workspace),
            other => panic!("a stream starts with a snapshot, got {other:?}"),
        }
    }

    let reply = client
        .command(&Command::Start {
            services: vec!["api".into()],
            tags: vec![],
        })
        .await
        .expect("sent")
        .expect("accepted");
    assert_eq!(reply.services, ["api"]);
    let a = states_until(&mut first, "api", ServiceState::Running).await;
    let b = states_until(&mut second, "api", ServiceState::Running).await;
    assert_eq!(a, b, "both clients see the same sequence");
    assert!(a.contains(&("api".to_string(), ServiceState::Starting)));

    let live = client.snapshot().await.expect("snapshot");
    let api = live.service("api").expect("api");
    assert_eq!(api.state, ServiceState::Running);
    assert!(api.pid.is_some());
    assert!(live.seq >= reply.seq);

    client
        .command(&Command::Stop { services: vec![] })
        .await
        .expect("sent")
        .expect("accepted");
    states_until(&mut first, "api", ServiceState::Stopped).await;
    states_until(&mut second, "api", ServiceState::Stopped).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_name_the_field() {
    let h = Harness::start(|dir| vec![service("api", "exec sleep 300", dir)]).await;
    let client = serve(&h).await;

    let err = client
        .command(&Command::Restart {
            services: vec!["nope".into()],
        })
        .await
        .expect("sent")
        .expect_err("refused");
    assert_eq!(err.field.as_deref(), Some("services"));

    // Raw JSON with a wrong type: the error names the path inside the request.
    let text = raw_post(&client, r#"{"command":"start","services":["api", 7]}"#).await;
    assert!(text.starts_with("400"), "{text}");
    assert!(text.contains(r#""field":"services[1]""#), "{text}");

    let text = raw_post(&client, r#"{"command":"strat"}"#).await;
    assert!(text.contains("unknown variant `strat`"), "{text}");
}

/// POST `body` as is (our client only sends well-formed commands); returns `status body`.
async fn raw_post(client: &Client, body: &str) -> String {
    let out = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(RAW_POST)
        .arg(client.socket())
        .arg(body)
        .output()
        .await
        .expect("python3");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A raw HTTP POST over the Unix socket, printing `status body`.
const RAW_POST: &str = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
body = sys.argv[2].encode()
s.sendall(b"POST /api/v1/commands HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
head, _, rest = data.partition(b"\r\n\r\n")
print(head.split(b" ")[1].decode(), rest.decode())
"#;
