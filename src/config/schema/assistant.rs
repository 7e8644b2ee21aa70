//! `assistant:` as written: the optional model the assistant may ask.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

/// `assistant: { llm: { url: http://127.0.0.1:8080/v1, model: qwen2.5, api_key:
/// "${OPENAI_API_KEY}", timeout: 30s } }`. Without `llm`, nothing is ever sent anywhere.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistantSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmSpec>,
}

/// An OpenAI-compatible endpoint (llama.cpp's server, Ollama, a hosted one).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmSpec {
    /// The API's base: `POST {url}/chat/completions` is what is called.
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    #[schemars(with = "String")]
    pub model: Spanned<String>,
    /// A reference (`${VAR}`, `${secret:name}`), never the key itself; sent only in the
    /// `Authorization` header. Leave it out for a local server that needs none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub api_key: Option<Spanned<String>>,
    /// How long one answer may take (default `60s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
}
