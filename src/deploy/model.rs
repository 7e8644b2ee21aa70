//! A deploy as users see it: its stages with status, times and log tail, its outcome and,
//! when it was rolled back, why. Carried by the protocol and stored in `deploys.db`.

use serde::{Deserialize, Serialize};

/// One deploy of one service, from the fetch to done or rolled back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deployment {
    /// Its row in `deploys.db`.
    pub id: u64,
    pub service: String,
    /// `manual` (`uc deploy`, the API), `push` (a verified push), `rollback` (by hand).
    pub trigger: String,
    /// Who asked: the API token's name, the local user's `api`, or the pusher.
    pub by: String,
    /// The ref asked for (a branch, tag or commit).
    pub git_ref: String,
    /// The commit it resolved to, once fetched.
    #[serde(default)]
    pub commit: Option<String>,
    /// The new release's directory name (`20261206T021500-3f2a9c1`).
    #[serde(default)]
    pub release: Option<String>,
    /// The release that was current before; what a rollback returns to.
    #[serde(default)]
    pub previous: Option<String>,
    pub state: DeployState,
    pub stages: Vec<StageRun>,
    /// Why it failed or was rolled back.
    #[serde(default)]
    pub cause: Option<String>,
    /// Unix ms.
    pub started_at: u64,
    #[serde(default)]
    pub ended_at: Option<u64>,
    /// `current` points at the new release (what a new engine must undo if it was cut off).
    #[serde(default)]
    pub switched: bool,
    /// With `strategy: blue-green`: which colour the new release runs in, which serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colours: Option<Colours>,
    /// Who approved or rejected it, and when, for a pipeline stage with `approve:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
}

/// An approval given (or refused) to a deploy waiting at a stage with `approve:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Approval {
    pub approved: bool,
    /// The API token's name, or the local user's `api`.
    pub by: String,
    /// Unix ms.
    pub at: u64,
}

/// A blue-green deploy's colours as of its record: a new engine that finds the deploy cut
/// off points its proxy at `serving` and finishes (the proxy had moved) or rolls back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Colours {
    /// The colour the new release runs in.
    pub release: Colour,
    /// The colour the proxy sends requests to.
    pub serving: Colour,
}

/// One of the two slots of a blue-green service: `blue` is the service itself, `green` its
/// sibling `<name>-green`; each runs its own release on its own port.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    #[default]
    Blue,
    Green,
}

impl Colour {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Green => "green",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Blue => Self::Green,
            Self::Green => Self::Blue,
        }
    }

    /// Its place in `proxy.ports`.
    pub fn index(self) -> usize {
        match self {
            Self::Blue => 0,
            Self::Green => 1,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "blue" => Some(Self::Blue),
            "green" => Some(Self::Green),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployState {
    Running,
    /// The new release passed its gate and soak and serves.
    Succeeded,
    /// A fetch or build failed: the release that served still does.
    Failed,
    /// The new release failed its gate or soak (or the engine stopped mid-deploy) and the
    /// previous release serves again.
    RolledBack,
    /// Built, waiting for an approval before it is switched to (`approve:`).
    Waiting,
    /// Its approval was refused: the release that served still does.
    Rejected,
    /// A pushed or polled ref that no rule sends to this host's environment: recorded
    /// with the reason, nothing was fetched.
    Skipped,
}

impl DeployState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::RolledBack => "rolled_back",
            Self::Waiting => "waiting",
            Self::Rejected => "rejected",
            Self::Skipped => "skipped",
        }
    }

    /// Still running or waiting: the service's one deploy at a time.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::Waiting)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Fetch,
    Build,
    /// `current` switched to the new release and the service restarted in it.
    Switch,
    Gate,
    Soak,
    /// Blue-green: the proxy sends new requests to the new colour; the old one finishes
    /// what it has in flight (up to `drain`) and is stopped.
    Drain,
    /// Back to the previous release.
    Rollback,
    /// Waiting for an approval (`approve:`) between the build and the switch.
    Approval,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetch => "fetch",
            Self::Build => "build",
            Self::Switch => "switch",
            Self::Gate => "gate",
            Self::Soak => "soak",
            Self::Drain => "drain",
            Self::Rollback => "rollback",
            Self::Approval => "approval",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Running,
    Passed,
    Failed,
}

/// One stage of a deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageRun {
    pub stage: Stage,
    pub status: StageStatus,
    /// Unix ms.
    pub started_at: u64,
    #[serde(default)]
    pub ended_at: Option<u64>,
    /// Its last lines of output (git, the build, the gate's checks).
    #[serde(default)]
    pub log: String,
}

/// A stage's log keeps its last this many bytes.
pub const LOG_TAIL: usize = 4096;

impl Deployment {
    /// The stage running now, if any.
    pub fn running_stage(&self) -> Option<Stage> {
        (self.stages.iter())
            .rfind(|s| s.status == StageStatus::Running)
            .map(|s| s.stage)
    }

    /// Milliseconds from start to end (or to `now`).
    pub fn took_ms(&self, now: u64) -> u64 {
        self.ended_at.unwrap_or(now).saturating_sub(self.started_at)
    }
}

/// The last [`LOG_TAIL`] bytes of `text`, cut at a line start when one is near.
pub fn tail(text: &str) -> String {
    if text.len() <= LOG_TAIL {
        return text.to_owned();
    }
    let mut cut = text.len() - LOG_TAIL;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    let rest = &text[cut..];
    rest.find('\n').map_or(rest, |i| &rest[i + 1..]).to_owned()
}
