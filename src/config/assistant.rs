//! The validated `assistant:` section: the optional model, whose key `Debug` never shows.

use std::time::Duration;

use super::webhooks::HookSecret;

/// What the assistant may use besides its own deterministic parts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assistant {
    /// `None`: no model is configured, and nothing is ever sent.
    pub llm: Option<Llm>,
}

/// An OpenAI-compatible chat-completions endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Llm {
    /// The API's base, without a trailing `/`.
    pub url: String,
    pub model: String,
    /// Resolved from its reference; `Debug` shows `***`.
    pub api_key: Option<HookSecret>,
    pub timeout: Duration,
}

/// An answer that takes longer than this is given up on.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
