//! The engine process (`uc engine`): lock, adopt, serve, supervise, and leave services
//! running when it goes.

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::alerts::AlertsWorker;
use crate::clock::now_ms;
use crate::config::{Effective, Source};
use crate::engine::lock::EngineLock;
use crate::logs::LogsWorker;
use crate::metrics::MetricsWorker;
use crate::paths::Paths;
use crate::protocol::{EngineInfo, Event, Hub, NoticeLevel, Snapshot};
use crate::supervisor::{Exit, Supervisor, Tmux};

/// Run the engine until `down`, `shutdown`, SIGTERM or SIGINT.
pub async fn run(source: Source) -> anyhow::Result<()> {
    let initial = initial_config(&source)?;
    let ws = initial.workspace.clone();
    let paths = Paths::for_workspace(&ws.name)?;
    paths.prepare()?;
    let _lock = EngineLock::acquire(&paths.lock())?;
    raise_fd_limit();
    let tmux = Tmux::new(paths.tmux_socket.clone()).with_config(paths.tmux_conf());
    let hub = Hub::new(Snapshot {
        workspace: ws.name.clone(),
        environment: ws.environment.clone(),
        config_file: ws.file.as_ref().map(|f| f.display().to_string()),
        engine: EngineInfo {
            pid: std::process::id(),
            started_at: now_ms(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            tmux_socket: paths.tmux_socket.clone(),
            tmux_session: paths.tmux_session.clone(),
        },
        services: Vec::new(),
        metrics: None,
        alerts: Vec::new(),
        silences: Vec::new(),
        alerting: Default::default(),
        config: Default::default(),
        storage: crate::protocol::StorageInfo::new(&paths.dir),
        deploys: Vec::new(),
        quota: Default::default(),
        seq: 0,
    });
    crate::engine::state_files::check_all(&paths, &hub);
    super::space::watch_space(hub.clone(), paths.dir.clone());
    let settings = ws.metrics.clone();
    let ws_alerts = ws.alerts.enabled;
    let ws_for_alerts = ws.clone();
    let history = settings.history.then(|| paths.history());
    let mut supervisor = Supervisor::new(ws, paths.clone(), tmux.clone(), hub.clone());
    for status in supervisor.statuses() {
        hub.publish(Event::Service(status));
    }
    supervisor.adopt().await;
    let terminals = supervisor.terminals();
    install_hooks(&tmux).await;

    let (command_tx, command_rx) = mpsc::channel(64);
    // Only the user may talk to the engine: the socket is made under umask 077, in a 0700
    // directory.
    let socket = paths.socket();
    let _ = std::fs::remove_file(&socket);
    let listener = tokio::net::UnixListener::bind(&socket)
        .with_context(|| format!("cannot listen on {}", socket.display()))?;
    // Without its shared socket the workspace is still the owner's: say why, and go on.
    let shared = super::share::listen(&ws_for_alerts).unwrap_or_else(|e| {
        hub.notice(NoticeLevel::Error, None, format!("access: {e:#}"));
        None
    });
    let recorder = crate::heal::spawn_recorder(&hub, paths.heal_db())?;
    let auditor = crate::store::Auditor::spawn(paths.audit_log());
    super::audit::spawn(&hub, auditor.clone())?;
    let _audit_watch = super::audit::watch(&hub, &paths.audit_log());
    let metrics = MetricsWorker::spawn(hub.clone(), settings.interval, history.clone())?;
    if let Some(addr) = settings.listen {
        match crate::api::serve_prometheus(hub.clone(), addr).await {
            Ok(()) => tracing::info!(%addr, "serving Prometheus /metrics"),
            Err(e) => hub.notice(
                NoticeLevel::Error,
                None,
                format!("cannot serve /metrics on {addr}: {e}"),
            ),
        }
    }
    let logs = match LogsWorker::spawn(&ws_for_alerts, &paths, hub.clone()) {
        Ok(worker) => Some(worker),
        Err(e) => {
            hub.notice(
                NoticeLevel::Error,
                None,
                format!("cannot start the logs worker: {e}"),
            );
            None
        }
    };
    let quota_limits = supervisor.quota_limits();
    let rate = crate::quota::Rate::default();
    crate::quota::spawn(crate::quota::Watch {
        hub: hub.clone(),
        limits: quota_limits.clone(),
        rate: rate.clone(),
        log_store: logs.as_ref().map(|l| l.store_dir.clone()),
        stop: supervisor.quota_stops(),
        auditor: auditor.clone(),
    });
    let log_patterns = logs.as_ref().map(|l| l.hub.clone());
    let playbooks =
        crate::heal::Playbooks::new(&ws_for_alerts.dir, hub.clone(), command_tx.clone());
    let alerts = ws_alerts.then(|| {
        let remedies = Some(playbooks.clone());
        AlertsWorker::spawn(&ws_for_alerts, &paths, hub.clone(), log_patterns, remedies)
    });
    let access: super::share::SharedAccess = Default::default();
    if let Ok(mut current) = access.write() {
        *current = std::sync::Arc::new(ws_for_alerts.access.clone());
    }
    let applier = super::share::follow(supervisor.applier(), access.clone(), hub.clone());
    let config = crate::config_center::ConfigCenter::spawn(
        source,
        initial,
        paths.clone(),
        hub.clone(),
        applier,
    );
    // After the configuration center published the revision the engine starts with: it is
    // the state the outgoing webhooks start from, not news.
    let subscriptions = &ws_for_alerts.webhooks.outgoing;
    let outbox = paths.webhooks_outbox();
    let name = &ws_for_alerts.name;
    let audit_log = paths.audit_log();
    if let Err(e) = crate::hooks::outgoing::spawn(subscriptions, &outbox, &audit_log, name, &hub) {
        let text = format!("cannot start the outgoing webhooks: {e}");
        hub.notice(NoticeLevel::Error, None, text);
    }
    let deploys = crate::deploy::spawn(&ws_for_alerts, &paths, hub.clone(), command_tx.clone())
        .map_err(|e| {
            let text = format!("cannot start the deploy worker: {e}");
            hub.notice(NoticeLevel::Error, None, text);
        })
        .ok();
    let router = crate::api::router(crate::api::Api {
        hub: hub.clone(),
        commands: command_tx.clone(),
        alerting: alerts.as_ref().map(|a| a.commands.clone()),
        config,
        alerts_db: paths.alerts_db(),
        outbox_db: paths.outbox_db(),
        recent: metrics.recent.clone(),
        history,
        logs: logs.as_ref().map(|l| crate::api::LogsAccess {
            hub: l.hub.clone(),
            store_dir: l.store_dir.clone(),
        }),
        heal_db: paths.heal_db(),
        playbooks,
        audit_log: paths.audit_log(),
        hooks: crate::api::HooksAccess {
            incoming: crate::hooks::Incoming::new(
                ws_for_alerts.webhooks.clone(),
                paths.hooks_db(),
                hub.clone(),
            ),
            outbox: paths.webhooks_outbox(),
        },
        terminals,
        deploys,
        deploys_db: paths.deploys_db(),
        config_db: paths.config_db(),
        access,
    });
    let router = crate::api::rate_limited(
        router,
        crate::api::RateLimit {
            hub: hub.clone(),
            limits: quota_limits,
            rate,
            auditor,
        },
    );
    let shared_socket = shared.as_ref().map(|(_, path)| path.clone());
    if let Some((listener, _)) = shared {
        tokio::spawn(crate::api::listen::serve(
            crate::api::PeerListener(listener),
            router.clone(),
            crate::api::listen::SOCKET,
        ));
    }
    tokio::spawn(crate::api::listen::serve(
        crate::api::PeerListener(listener),
        router,
        crate::api::listen::SOCKET,
    ));
    tracing::info!(socket = %socket.display(), "engine ready");

    let wake_rx = forward_signals(command_tx)?;
    let exit = supervisor.run(command_rx, wake_rx).await;
    if let Some(alerts) = alerts {
        alerts.shutdown().await;
    }
    drop(metrics);
    drop(logs);
    hub.publish(Event::Shutdown);
    let _ = tokio::task::spawn_blocking(move || recorder.join()).await;
    // Let the event streams deliver the shutdown before the process goes.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let _ = std::fs::remove_file(&socket);
    if let Some(shared) = shared_socket {
        let _ = std::fs::remove_file(shared);
    }
    tracing::info!(?exit, "engine stopping");
    match exit {
        Exit::Down => tmux.kill_server().await?,
        Exit::Shutdown => close_own_window(&tmux).await,
    }
    Ok(())
}

/// The default environment's config, or the environment chosen last if it still loads.
fn initial_config(source: &Source) -> anyhow::Result<Effective> {
    let default = source.load_effective(None)?;
    let paths = Paths::for_workspace(&default.workspace.name)?;
    let remembered = std::fs::read_to_string(paths.environment_file())
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|env| default.workspace.environment.as_ref() != Some(env))
        .filter(|env| {
            default
                .workspace
                .environments
                .iter()
                .any(|e| &e.name == env)
        });
    let Some(env) = remembered else {
        return Ok(default);
    };
    match source.load_effective(Some(&env)) {
        Ok(effective) => Ok(effective),
        Err(e) => {
            tracing::warn!("environment {env} does not load, starting in the default: {e}");
            Ok(default)
        }
    }
}

/// The metrics sampler keeps two `/proc` files open per service process; a large workspace
/// could exceed the usual soft limit of 1,024 descriptors.
fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
        && let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard)
    {
        tracing::warn!("cannot raise the open-file limit from {soft}: {e}");
    }
}

/// tmux tells the engine at once when a window goes away (a user closed it). Process exits
/// need no hook: the supervisor watches each service's process with a pidfd.
async fn install_hooks(tmux: &Tmux) {
    let wake = format!(
        "run-shell -b 'kill -USR1 {} 2>/dev/null || true'",
        std::process::id()
    );
    for hook in ["window-unlinked"] {
        if let Err(e) = tmux.set_hook(hook, &wake).await {
            tracing::warn!("cannot set tmux hook {hook}: {e}");
        }
    }
}

/// SIGUSR1 (from the tmux hook) wakes the supervisor; SIGTERM and SIGINT shut the engine
/// down gracefully, leaving services running.
fn forward_signals(
    commands: mpsc::Sender<crate::protocol::CommandRequest>,
) -> anyhow::Result<mpsc::Receiver<()>> {
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (wake_tx, wake_rx) = mpsc::channel(1);
    tokio::spawn(async move {
        while usr1.recv().await.is_some() {
            let _ = wake_tx.try_send(());
        }
    });
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        let (tx, _rx) = tokio::sync::oneshot::channel();
        let _ = commands
            .send((crate::protocol::Command::Shutdown, tx))
            .await;
    });
    Ok(wake_rx)
}

/// The engine's window would otherwise stay as a dead pane (remain-on-exit is on).
async fn close_own_window(tmux: &Tmux) {
    let Ok(pane) = std::env::var("TMUX_PANE") else {
        return;
    };
    let ours = std::env::var("TMUX").is_ok_and(|t| {
        t.split(',')
            .next()
            .is_some_and(|s| s.ends_with(&format!("/{}", tmux.socket)))
    });
    if ours {
        let cmd = tmux_interface::KillPane::new().target_pane(pane).build();
        let _ = tmux.run(cmd).await;
    }
}
