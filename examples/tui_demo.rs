//! The TUI against a fake in-process engine, to try it by hand without tmux or an engine:
//! `cargo run --example tui_demo [-- THEME [KEYMAP_FILE]]`.

use std::path::Path;

use tokio::sync::mpsc::UnboundedSender;
use univers_container::engine::{
    Command, EngineInfo, Event, Health, Reply, ServiceState, ServiceStatus, Snapshot, now_ms,
};
use univers_container::tui::{self, EngineLink, Request, UiOptions, Update};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let theme = args.next().unwrap_or_else(|| "default".into());
    let keymap = args.next();
    let options = UiOptions::load(
        &theme,
        Some(Path::new("themes")),
        keymap.as_deref().map(Path::new),
    )?;
    let (link, updates, mut requests) = EngineLink::pair();
    let mut snapshot = snapshot();
    updates.send(Update::Event(Event::Snapshot(snapshot.clone())))?;
    tokio::spawn(async move {
        while let Some(request) = requests.recv().await {
            let reply = match request {
                Request::Engine(command) => {
                    let services = apply(&mut snapshot, &command, &updates);
                    Update::CommandDone(Ok(Reply {
                        message: format!("done: {}", services.join(", ")),
                        services,
                    }))
                }
                Request::ShowService(name) => {
                    Update::ShowFailed(format!("the demo has no tmux window for {name}"))
                }
            };
            let _ = updates.send(reply);
        }
    });
    tui::run(link, options).await
}

fn snapshot() -> Snapshot {
    let service = |name: &str, deps: &[&str], tags: &[&str]| ServiceStatus {
        depends_on: deps.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        health: Some(Health::Unknown),
        ..ServiceStatus::new(name)
    };
    Snapshot {
        workspace: "demo".into(),
        environment: None,
        config_file: None,
        engine: EngineInfo {
            pid: std::process::id(),
            started_at: now_ms(),
            version: env!("CARGO_PKG_VERSION").into(),
            tmux_socket: "uc-demo".into(),
            tmux_session: "demo".into(),
        },
        services: vec![
            service("db", &[], &["data"]),
            service("api", &["db"], &["backend"]),
            service("web", &["api"], &["frontend"]),
            service("worker", &["db"], &["backend"]),
        ],
        seq: 0,
    }
}

/// Pretend to run `command`: change the services at once and publish their new status.
fn apply(
    snapshot: &mut Snapshot,
    command: &Command,
    updates: &UnboundedSender<Update>,
) -> Vec<String> {
    let (names, state) = match command {
        Command::Start { services, .. } | Command::Restart { services } => {
            (services.clone(), ServiceState::Running)
        }
        Command::Stop { services } => (services.clone(), ServiceState::Stopped),
        Command::Down | Command::Shutdown => (vec![], ServiceState::Stopped),
    };
    let mut touched = Vec::new();
    for service in &mut snapshot.services {
        if !names.is_empty() && !names.contains(&service.name) {
            continue;
        }
        let running = state == ServiceState::Running;
        if matches!(command, Command::Restart { .. }) {
            service.restarts += 1;
        }
        service.state = state;
        service.pid = running.then(|| 10_000 + touched.len() as u32);
        service.started_at = running.then(now_ms);
        service.health = running.then_some(Health::Healthy);
        touched.push(service.name.clone());
        let _ = updates.send(Update::Event(Event::Service(service.clone())));
    }
    if matches!(command, Command::Down) {
        let _ = updates.send(Update::Event(Event::Shutdown));
    }
    touched
}
