//! `/api/v1/tokens`: the tokens `uc serve` accepts, managed over HTTP as `uc token` does on
//! the host: list them (never the tokens themselves), create one (the answer carries it,
//! once), revoke one. A token reaches every workspace it is not scoped to, so only an admin
//! token for every workspace manages them.

use std::sync::Arc;

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::{Call, Denial, Server, method_not_allowed};
use crate::api::CreatedToken;
use crate::protocol::{CommandError, Role};
use crate::store::{NewToken, TokenError};

const FIELDS: [&str; 4] = ["name", "role", "workspace", "expires"];

impl Server {
    /// `GET|POST /api/v1/tokens`, `DELETE /api/v1/tokens/{name}`.
    pub(super) async fn tokens(
        self: &Arc<Self>,
        request: Request,
        mut call: Call,
        name: Option<String>,
    ) -> Response {
        let known = matches!(
            (&call.method, &name),
            (&Method::GET | &Method::HEAD | &Method::POST, None) | (&Method::DELETE, Some(_))
        );
        if !known {
            return method_not_allowed(if name.is_some() {
                "DELETE"
            } else {
                "GET, POST"
            });
        }
        let permission = crate::api::permission(call.method.as_str(), &call.route);
        let identity = match self.authorize(&request, &call, permission) {
            Ok(identity) => identity,
            Err(denied) => return denied.into_response(),
        };
        if let Some(scope) = &identity.token.workspace {
            let hint = format!(
                "token {} is for workspace {scope} only; tokens are managed with an admin \
                 token for every workspace",
                identity.token.name
            );
            return self
                .deny(&call, Some(&identity.token), Denial::forbidden(hint))
                .into_response();
        }
        let now = crate::clock::now_ms();
        let (status, response) = match (call.method.clone(), name) {
            (Method::DELETE, Some(name)) => {
                call.target = Some(name.clone());
                self.revoke_token(&name, now)
            }
            (Method::POST, _) => {
                let body = axum::body::to_bytes(request.into_body(), usize::MAX)
                    .await
                    .unwrap_or_default();
                match new_token(&body) {
                    Ok(new) => {
                        call.target = Some(new.name.clone());
                        self.create_token(new, now)
                    }
                    Err(e) => (
                        StatusCode::BAD_REQUEST,
                        crate::api::error(StatusCode::BAD_REQUEST, e),
                    ),
                }
            }
            _ => return self.list_tokens(),
        };
        self.audit(&call, Some(&identity.token), status, None);
        response
    }

    fn create_token(&self, new: NewToken, now: u64) -> (StatusCode, Response) {
        let refused = |status, e: TokenError| {
            let error = CommandError::field("name", e.to_string());
            (status, crate::api::error(status, error))
        };
        match self.keys.issue(new, now) {
            Ok((info, token)) => {
                let mut response =
                    (StatusCode::CREATED, Json(CreatedToken { token, info })).into_response();
                // The answer holds a secret: no cache along the way may keep it.
                let no_store = HeaderValue::from_static("no-store");
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, no_store);
                (StatusCode::CREATED, response)
            }
            Err(e @ TokenError::Exists(_)) => refused(StatusCode::CONFLICT, e),
            Err(e @ TokenError::BadName(_)) => refused(StatusCode::BAD_REQUEST, e),
            Err(e) => internal(e),
        }
    }

    fn revoke_token(&self, name: &str, now: u64) -> (StatusCode, Response) {
        match self.keys.revoke(name, now) {
            Ok(()) => (
                StatusCode::NO_CONTENT,
                StatusCode::NO_CONTENT.into_response(),
            ),
            Err(e @ TokenError::Unknown(_)) => {
                let error = CommandError::field("name", e.to_string())
                    .with_hint("`GET /api/v1/tokens` lists them; a revoked one stays revoked");
                (
                    StatusCode::NOT_FOUND,
                    crate::api::error(StatusCode::NOT_FOUND, error),
                )
            }
            Err(e) => internal(e),
        }
    }

    fn list_tokens(&self) -> Response {
        match self.keys.list() {
            Ok(all) => Json(all).into_response(),
            Err(e) => internal(e).1,
        }
    }
}

fn internal(e: impl std::fmt::Display) -> (StatusCode, Response) {
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    (
        status,
        crate::api::error(status, CommandError::new(e.to_string())),
    )
}

/// The body of `POST /api/v1/tokens`, each problem naming its field:
/// `{"name": "ci", "role": "operator", "workspace": "shop", "expires": "30d"}`.
fn new_token(body: &[u8]) -> Result<NewToken, CommandError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| CommandError::field("body", format!("not JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(CommandError::field("body", "not a JSON object")
            .with_hint(r#"{"name": "ci", "role": "viewer"}"#));
    };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        let error = CommandError::field(unknown, "unknown field");
        return Err(error.with_hint(format!("the fields are {}", FIELDS.join(", "))));
    }
    let text = |field: &str| optional_text(&fields, field);
    let name = text("name")?.ok_or_else(|| CommandError::field("name", "missing"))?;
    let role = text("role")?.ok_or_else(|| CommandError::field("role", "missing"))?;
    let role: Role = serde_json::from_value(Value::String(role.clone())).map_err(|_| {
        CommandError::field("role", format!("`{}` is not a role", role.escape_debug()))
            .with_hint("viewer, operator, deployer or admin")
    })?;
    let workspace = text("workspace")?
        .map(|w| crate::serve::route::workspace_name(&w))
        .transpose()
        .map_err(|e| CommandError::field("workspace", e))?;
    let lasts = text("expires")?
        .map(|d| crate::config::values::duration(&d))
        .transpose()
        .map_err(|e| CommandError::field("expires", e.to_string()).with_hint("e.g. 30d, 12h"))?;
    Ok(NewToken {
        name,
        role,
        workspace,
        lasts,
    })
}

/// The string `field` holds, if any (null counts as none).
fn optional_text(fields: &Map<String, Value>, field: &str) -> Result<Option<String>, CommandError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(CommandError::field(field, "not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(body: &str) -> String {
        new_token(body.as_bytes())
            .unwrap_err()
            .field
            .unwrap_or_default()
    }

    #[test]
    fn each_problem_of_the_body_names_its_field() {
        assert_eq!(field_of("[]"), "body");
        assert_eq!(field_of(r#"{"role": "viewer"}"#), "name");
        assert_eq!(field_of(r#"{"name": "a", "role": "boss"}"#), "role");
        assert_eq!(field_of(r#"{"name": 3, "role": "viewer"}"#), "name");
        assert_eq!(
            field_of(r#"{"name": "a", "role": "viewer", "workspace": "../x"}"#),
            "workspace"
        );
        assert_eq!(
            field_of(r#"{"name": "a", "role": "viewer", "expires": "soon"}"#),
            "expires"
        );
        assert_eq!(field_of(r#"{"name": "a", "role": "viewer", "x": 1}"#), "x");
        let new = new_token(
            br#"{"name": "ci", "role": "deployer", "workspace": "shop", "expires": "30d"}"#,
        )
        .unwrap();
        assert_eq!(
            (new.role, new.workspace.as_deref(), new.lasts),
            (
                Role::Deployer,
                Some("shop"),
                Some(std::time::Duration::from_secs(30 * 86_400))
            )
        );
    }
}
