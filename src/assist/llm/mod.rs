//! The optional model. Nothing is sent unless `assistant.llm` is configured; what is sent
//! is anonymized first ([`anonymize`]), and what comes back is restored and read into an
//! explanation and proposals ([`propose`]): a proposal is either an allowlisted
//! [`Intent`](super::Intent), run only through the same confirmation as `uc ask`, or
//! refused.

pub mod anonymize;
pub mod client;
pub mod propose;

pub use anonymize::{Anonymizer, Names};
pub use client::{Client, LlmError, Message};
pub use propose::{ALLOWLIST, Proposal, Reply, Verdict};

use super::ask::Vocabulary;
use crate::config::Workspace;

/// What the model is told it is and may do.
fn system_prompt() -> String {
    format!(
        "You are the assistant of Univers-Container (`uc`), which runs a workspace's services \
         in tmux. Names, hosts, addresses, paths and secrets were replaced by placeholders \
         such as <service-1>, <environment-1>, <path-1>, <ip-1>, <secret-1>: write them exactly \
         as given. Explain in plain, short words what is going on and what would help, in the \
         language the user wrote in.\n\
         You may propose commands, only from this list, one per line, each line starting \
         with `COMMAND: ` (anything else is refused and never run; the user confirms each):\n{}",
        ALLOWLIST
            .iter()
            .map(|c| format!("  {c}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// One conversation with the model about one workspace.
pub struct Conversation {
    client: Client,
    anonymizer: Anonymizer,
    vocab: Vocabulary,
    context: String,
}

impl Conversation {
    /// `None` when the workspace configures no model: then nothing is ever sent.
    pub fn open(ws: &Workspace) -> Option<Result<Self, LlmError>> {
        let llm = ws.assistant.llm.as_ref()?;
        Some(Client::new(llm).map(|client| Self::with(client, ws)))
    }

    fn with(client: Client, ws: &Workspace) -> Self {
        let names = Names {
            workspace: ws.name.clone(),
            services: ws.services.iter().map(|s| s.name.clone()).collect(),
            environments: ws.environments.iter().map(|e| e.name.clone()).collect(),
            hosts: this_host().into_iter().collect(),
            users: this_user().into_iter().collect(),
        };
        let anonymizer = Anonymizer::new(&names, ws.secrets.clone());
        let list = |names: &[String]| {
            names
                .iter()
                .filter_map(|n| anonymizer.name(n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let context = format!(
            "Workspace {}. Services: {}. Environments: {}.",
            anonymizer.name(&ws.name).unwrap_or("<workspace-1>"),
            list(&names.services),
            match list(&names.environments) {
                e if e.is_empty() => "none".to_owned(),
                e => e,
            }
        );
        let vocab = Vocabulary {
            services: names.services,
            environments: names.environments,
        };
        Self {
            client,
            anonymizer,
            vocab,
            context,
        }
    }

    /// Facts the model should know (the services' states), anonymized like the rest.
    pub fn note(&mut self, facts: &str) {
        let facts = self.anonymizer.anonymize(facts);
        self.context = format!("{}\n{facts}", self.context);
    }

    /// The user's sentence, which the deterministic parser may or may not have read.
    pub async fn ask(&mut self, text: &str, reading: &str) -> Result<Reply, LlmError> {
        let question = format!(
            "{}\nThe user asked: {}\nThe offline parser read it as: {}",
            self.context,
            self.anonymizer.anonymize(text),
            self.anonymizer.anonymize(reading),
        );
        self.send(question).await
    }

    /// `uc doctor`'s findings (JSON or text), explained in plain words.
    pub async fn explain(&mut self, findings: &str) -> Result<Reply, LlmError> {
        let question = format!(
            "{}\nThese are the findings of `uc doctor`, most severe first. Explain them in \
             plain words: what is wrong, why, and what would help.\n{}",
            self.context,
            self.anonymizer.anonymize(findings),
        );
        self.send(question).await
    }

    async fn send(&mut self, question: String) -> Result<Reply, LlmError> {
        let messages = [Message::system(system_prompt()), Message::user(question)];
        let answer = self.client.chat(&messages).await?;
        Ok(propose::read(
            &self.anonymizer.restore(&answer),
            &self.vocab,
        ))
    }
}

/// This machine's name, a name that must not leave it.
fn this_host() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    Some(name.trim().to_owned()).filter(|n| !n.is_empty())
}

/// The login name `uc` runs as.
fn this_user() -> Option<String> {
    let user = nix::unistd::User::from_uid(nix::unistd::getuid()).ok()??;
    Some(user.name)
}

/// What to write to configure a model, for `--explain` without one.
pub const HOW_TO_CONFIGURE: &str =
    "no model is configured, and nothing was sent. To use one, add to univers.yaml:
  assistant:
    llm:
      url: http://127.0.0.1:8080/v1      # any OpenAI-compatible API (llama.cpp, Ollama, hosted)
      model: qwen2.5:7b
      api_key: \"${OPENAI_API_KEY}\"       # a reference, never the key; leave out if none
      timeout: 60s";
