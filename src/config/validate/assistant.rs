//! The `assistant:` section: the model's URL, name, timeout, and a key that must come
//! from a reference (a key written in the file would be shown with it).

use serde_saphyr::Spanned;

use super::super::assistant::{Assistant, DEFAULT_TIMEOUT, Llm};
use super::super::schema::{AssistantSpec, LlmSpec};
use super::super::values;
use super::super::webhooks::HookSecret;
use super::Checker;

const KEY_HINT: &str = "write `api_key: \"${OPENAI_API_KEY}\"` (a variable of the environment or an env file) or `${secret:NAME}`";

impl Checker<'_> {
    pub(super) fn assistant(&mut self, spec: Option<&AssistantSpec>) -> Assistant {
        let llm = spec.and_then(|s| s.llm.as_ref()).map(|llm| self.llm(llm));
        Assistant { llm }
    }

    fn llm(&mut self, spec: &LlmSpec) -> Llm {
        let url = spec.url.value.trim_end_matches('/');
        let scheme_ok = ["http://", "https://"]
            .iter()
            .any(|s| url.strip_prefix(s).is_some_and(|rest| !rest.is_empty()));
        if !scheme_ok {
            let message = format!("invalid LLM URL `{}`", spec.url.value);
            let hint = Some("write the API's base, e.g. `http://127.0.0.1:8080/v1`".to_owned());
            self.report(&spec.url.referenced, message, hint);
        }
        if spec.model.value.trim().is_empty() {
            let hint = Some("name the model the server serves, e.g. `qwen2.5:7b`".to_owned());
            self.report(&spec.model.referenced, "the model is empty", hint);
        }
        let api_key = spec.api_key.as_ref().and_then(|key| self.api_key(key));
        let timeout = self.parse(spec.timeout.as_ref(), values::duration, DEFAULT_TIMEOUT);
        if let Some(written) = spec.timeout.as_ref().filter(|_| timeout.is_zero()) {
            let hint = Some("give the model time to answer, e.g. `60s`".to_owned());
            self.report(&written.referenced, "a timeout of 0 never waits", hint);
        }
        Llm {
            url: url.to_owned(),
            model: spec.model.value.clone(),
            api_key,
            timeout,
        }
    }

    /// `None` when empty: `${OPENAI_API_KEY:-}` with the variable unset means no key, so a
    /// shell without it can still load the workspace.
    fn api_key(&mut self, key: &Spanned<String>) -> Option<HookSecret> {
        let from_secret = (self.bindings.get("assistant.llm.api_key")).is_some_and(|b| b.secret);
        if key.value.is_empty() {
            return None;
        }
        if !from_secret {
            let message = "an API key must not be written in the file";
            self.report(&key.referenced, message, Some(KEY_HINT.to_owned()));
        }
        Some(HookSecret::new(key.value.clone()))
    }
}
