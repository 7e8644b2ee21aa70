//! The TUI's only connection to the outside world: updates in, requests out. The glue in
//! `cli` bridges these channels to the engine's HTTP protocol and to tmux, so the TUI itself
//! never does IO and tests can drive it with plain channels.

use tokio::sync::mpsc;

use super::heal::playbook::PlaybookMode;
use crate::deploy::Ask;
use crate::deploy::model::Deployment;
use crate::heal::HealEvent;
use crate::heal::PlaybookList;
use crate::heal::playbook::PlaybookReport;
use crate::logs::{LogQuery, LogStreamEvent, PatternInfo};
use crate::metrics::{HistoryQuery, HistoryResponse};
use crate::protocol::{Command, CommandError, ConfigPlan, Event, Reply, Revision, WorkspaceRow};

/// Something that happened outside the TUI.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// An event from the engine's stream (the first one is always a snapshot).
    Event(Event),
    /// The engine connection was lost; the glue reconnects and sends a new snapshot.
    Disconnected(String),
    /// The answer to a request sent with [`Request::Engine`].
    CommandDone(Result<Reply, CommandError>),
    /// Showing a service's window failed (tmux not reachable, ...).
    ShowFailed(String),
    /// The answer to [`Request::History`]; also sent once after connecting, with the last
    /// 10 minutes of every series, to fill the graphs.
    History(Result<HistoryResponse, String>),
    /// From the log stream opened by the latest [`Request::Logs`]: line batches, the end of
    /// the stored lines, exact per-second counts, lines skipped because the TUI fell behind.
    Log(LogStreamEvent),
    /// The answer to [`Request::Patterns`].
    Patterns(Result<Vec<PatternInfo>, String>),
    /// The workspace's heal events of the last day, sent after each (re)connect so the
    /// details show what happened before the TUI started.
    HealHistory(Result<Vec<HealEvent>, String>),
    /// The workspace's playbooks: sent after each (re)connect and answering
    /// [`Request::Playbooks`].
    Playbooks(Result<PlaybookList, String>),
    /// The answer to [`Request::RunPlaybook`]: the report, or the engine's refusal.
    PlaybookRun {
        name: String,
        mode: PlaybookMode,
        result: Result<PlaybookReport, String>,
    },
    /// The answer to [`ConfigQuery::Plan`]: what switching to `environment` changes.
    ConfigPlan {
        environment: String,
        result: Result<ConfigPlan, String>,
    },
    /// The answer to [`ConfigQuery::RevertPlan`]: what reverting to `revision` changes.
    RevertPlan {
        revision: u64,
        result: Result<ConfigPlan, String>,
    },
    /// The answer to [`ConfigQuery::History`]: applied revisions, newest first.
    ConfigHistory(Result<Vec<Revision>, String>),
    /// The answer to [`ConfigQuery::Diff`]: unified diff from `revision` to the applied one.
    RevisionDiff {
        revision: u64,
        result: Result<String, String>,
    },
    /// The answer to [`Request::Deploy`]: the deploy as it begins (its stages follow as
    /// `Event::Deploy`), or the engine's refusal.
    DeployStarted {
        service: String,
        result: Result<Deployment, String>,
    },
    /// The answer to [`Request::DeployHistory`]: the newest recorded deploys, newest first.
    DeployHistory(Result<Vec<Deployment>, String>),
    /// Every workspace of the projects file, read again about once a second.
    Workspaces(Vec<WorkspaceRow>),
    /// The answer to [`Request::OpenWorkspace`]: the link serves this workspace now (its
    /// snapshot follows), or why it could not be opened (the open one stays).
    Opened(Result<String, String>),
    /// The answer to [`Request::Audit`].
    Audit(super::audit::AuditRead),
    /// The answer to [`Request::Doctor`].
    Doctor(Result<crate::assist::Diagnosis, String>),
}

/// Something the TUI asks the glue to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Engine(Command),
    /// Bring the service's live tmux window to the user.
    ShowService(String),
    /// Metric history for graph windows longer than what the TUI keeps in memory.
    History(HistoryQuery),
    /// (Re)open the engine's log stream with this filter: the newest `limit` stored lines,
    /// then live ones. It replaces the stream of the previous `Logs` request.
    Logs(LogQuery),
    /// The mined log patterns, once; answered with [`Update::Patterns`].
    Patterns,
    /// The playbook list again, as files may have changed; answered with
    /// [`Update::Playbooks`].
    Playbooks,
    /// Run or plan a playbook; answered with [`Update::PlaybookRun`].
    RunPlaybook {
        name: String,
        mode: PlaybookMode,
    },
    /// Read-only questions to the configuration center; answered by the glue in `cli::ui_config`.
    Config(ConfigQuery),
    /// Deploy or roll back a service; answered with [`Update::DeployStarted`].
    Deploy {
        service: String,
        ask: Ask,
    },
    /// The recorded deploys; answered with [`Update::DeployHistory`].
    DeployHistory,
    /// Serve this workspace of the projects file instead of the open one, whose engine
    /// keeps running; answered with [`Update::Opened`].
    OpenWorkspace(String),
    /// Marked services of several workspaces: each command goes to that workspace's own
    /// engine (the open one or not); each answer is an [`Update::CommandDone`].
    Batches(Vec<(String, Command)>),
    /// The workspace's newest audit records and the check of their chain; answered with
    /// [`Update::Audit`].
    Audit,
    /// The assistant's diagnosis of the workspace; answered with [`Update::Doctor`].
    Doctor,
    /// A request the user confirmed in the assistant (a suggestion, an `:ask`): sent as
    /// any other, audited as done through the assistant.
    Assisted(Box<Request>),
}

/// What the environments and history panes ask the engine. Switching, applying and
/// reverting are [`Command`]s sent with [`Request::Engine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigQuery {
    /// What switching to this environment changes; answered with [`Update::ConfigPlan`].
    Plan(String),
    /// What reverting to this revision changes; answered with [`Update::RevertPlan`].
    RevertPlan(u64),
    /// The newest revisions; answered with [`Update::ConfigHistory`].
    History,
    /// A revision against the applied one; answered with [`Update::RevisionDiff`].
    Diff(u64),
}

/// Both ends as the TUI holds them.
pub struct EngineLink {
    pub updates: mpsc::UnboundedReceiver<Update>,
    pub requests: mpsc::UnboundedSender<Request>,
}

impl EngineLink {
    /// A link plus the far ends, for tests and for the glue.
    pub fn pair() -> (
        Self,
        mpsc::UnboundedSender<Update>,
        mpsc::UnboundedReceiver<Request>,
    ) {
        let (update_tx, updates) = mpsc::unbounded_channel();
        let (requests, request_rx) = mpsc::unbounded_channel();
        (Self { updates, requests }, update_tx, request_rx)
    }
}
