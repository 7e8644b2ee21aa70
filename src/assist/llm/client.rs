//! `POST {url}/chat/completions` on an OpenAI-compatible server (llama.cpp, Ollama, a
//! hosted one). The key goes in the `Authorization` header only, marked sensitive; errors
//! say what went wrong in the user's words, without the key.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::config::assistant::Llm;

/// Longest piece of a server's error message kept in ours.
const MESSAGE_MAX: usize = 300;
/// Longest answer read: a chat completion is a few KiB; a server sending more is not one.
const BODY_MAX: usize = 4 << 20;

/// Why the model gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("cannot reach the model at {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("the model at {url} did not answer within {}s", .timeout.as_secs_f64())]
    Timeout { url: String, timeout: Duration },
    #[error("the model at {url} answered HTTP {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("the model's answer is not a chat completion: {0}")]
    Malformed(String),
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: "system".into(),
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: "user".into(),
            content: content.into(),
        }
    }
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    messages: &'a [Message],
    /// The same findings should read the same way twice.
    temperature: f32,
    stream: bool,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

/// A client for one configured model.
pub struct Client {
    http: reqwest::Client,
    llm: Llm,
}

impl Client {
    /// Redirects are not followed: the key is not sent on to wherever one points.
    pub fn new(llm: &Llm) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("univers-container/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(llm.timeout.min(Duration::from_secs(10)))
            .timeout(llm.timeout)
            .build()
            .map_err(|e| LlmError::Unreachable {
                url: llm.url.clone(),
                why: innermost(&e),
            })?;
        Ok(Self {
            http,
            llm: llm.clone(),
        })
    }

    fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.llm.url)
    }

    /// The model's answer to `messages` (already anonymized by the caller).
    pub async fn chat(&self, messages: &[Message]) -> Result<String, LlmError> {
        let url = self.endpoint();
        let body = Request {
            model: &self.llm.model,
            messages,
            temperature: 0.0,
            stream: false,
        };
        let mut request = self.http.post(&url).json(&body);
        if let Some(key) = &self.llm.api_key {
            let mut value = HeaderValue::try_from(format!("Bearer {}", key.expose()))
                .map_err(|_| LlmError::Malformed("the API key is not a valid header".into()))?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        let mut response = request.send().await.map_err(|e| self.failed(&url, &e))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failed(&url, &e))? {
            if body.len() + chunk.len() > BODY_MAX {
                return Err(LlmError::Malformed(format!(
                    "the answer is longer than {} MiB",
                    BODY_MAX >> 20
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&body);
        if !status.is_success() {
            return Err(LlmError::Status {
                url,
                status: status.as_u16(),
                message: self.hide_key(&server_message(&text)),
            });
        }
        let completion: Completion =
            serde_json::from_str(&text).map_err(|e| LlmError::Malformed(e.to_string()))?;
        let choice = completion.choices.into_iter().next();
        choice
            .map(|c| c.message.content)
            .ok_or_else(|| LlmError::Malformed("no choices in the answer".into()))
    }

    fn failed(&self, url: &str, e: &reqwest::Error) -> LlmError {
        if e.is_timeout() {
            return LlmError::Timeout {
                url: url.to_owned(),
                timeout: self.llm.timeout,
            };
        }
        LlmError::Unreachable {
            url: url.to_owned(),
            why: self.hide_key(&innermost(e)),
        }
    }

    /// A server may quote the key it refused: never show it.
    fn hide_key(&self, text: &str) -> String {
        match &self.llm.api_key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "***"),
            _ => text.to_owned(),
        }
    }
}

/// OpenAI's `{"error": {"message": …}}`, llama.cpp's and Ollama's `{"error": "…"}`, or
/// the start of the body as it is.
fn server_message(body: &str) -> String {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let error = json.as_ref().and_then(|j| j.get("error"));
    let message = error
        .and_then(|e| e.get("message").and_then(|m| m.as_str()).or(e.as_str()))
        .unwrap_or(body)
        .trim();
    let message = if message.is_empty() {
        "(no message)"
    } else {
        message
    };
    message.chars().take(MESSAGE_MAX).collect()
}

/// The root cause (`Connection refused`), which is what the user can act on.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_in_each_dialect() {
        let openai = r#"{"error":{"message":"Incorrect API key provided","type":"auth"}}"#;
        assert_eq!(server_message(openai), "Incorrect API key provided");
        assert_eq!(
            server_message(r#"{"error":"model 'x' not found"}"#),
            "model 'x' not found"
        );
        assert_eq!(server_message("Bad Gateway\n"), "Bad Gateway");
        assert_eq!(server_message(""), "(no message)");
        assert_eq!(server_message(&"x".repeat(1000)).len(), MESSAGE_MAX);
    }
}
