//! The one error type of the app.
//!
//! Client errors carry a stable snake_case `code`, a human `detail` and
//! per-field messages; they render as RFC 9457 `application/problem+json`.
//! Internal errors are logged with the request ID and answered with an
//! opaque 500. Page routes turn the same errors into HTML (see
//! `web::page_errors`), reading the [`Problem`] left in the response's
//! extensions.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

tokio::task_local! {
    /// The current request's ID, set by the request-ID middleware.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// The request field, as named in the request body.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// What a client did wrong, in words it can act on.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub fields: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
}

#[derive(Debug)]
pub enum AppError {
    Client(Problem),
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    fn client(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Client(Problem { status, code, detail: detail.into(), fields: Vec::new(), retry_after_secs: None })
    }

    /// 422 with one message per invalid field.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let detail = match fields.as_slice() {
            [one] => one.message.clone(),
            _ => "Some fields are not valid; see errors.".to_string(),
        };
        AppError::Client(Problem {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            detail,
            fields,
            retry_after_secs: None,
        })
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthenticated() -> Self {
        Self::client(StatusCode::UNAUTHORIZED, "unauthenticated", "Sign in to continue.")
    }

    /// 401 with a reason, e.g. an API token that was revoked or expired.
    pub fn unauthorized_code(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// Also what another workspace's resources answer: never a 403 that
    /// would confirm they exist.
    /// 403 with a code other than `forbidden` (e.g. `csrf_failed`).
    pub fn forbidden_code(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::client(StatusCode::NOT_FOUND, "not_found", format!("{what} was not found."))
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::CONFLICT, code, detail)
    }

    /// 422 for a request that is well-formed but cannot be processed, with a
    /// code other than `validation_failed` (no field to point at).
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 402: the workspace's credits or payment cannot cover the action
    /// (`insufficient_credits`, `payment_declined`, `plan_limit`).
    pub fn payment_required(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::PAYMENT_REQUIRED, code, detail)
    }

    /// The same client error, answered with `Retry-After: secs`.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        if let AppError::Client(problem) = &mut self {
            problem.retry_after_secs = Some(secs);
        }
        self
    }

    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", detail)
    }

    pub fn too_many_requests(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        AppError::Client(Problem {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_requests",
            detail: detail.into(),
            fields: Vec::new(),
            retry_after_secs: Some(retry_after_secs),
        })
    }

    pub fn problem(&self) -> Option<&Problem> {
        match self {
            AppError::Client(p) => Some(p),
            AppError::Internal(_) => None,
        }
    }

    /// Field → message, for re-rendering a form next to its fields; `None`
    /// when this is not an error about fields.
    /// A client error as a page shows it: its messages by field (its
    /// detail under `field` when it names none) and its status; an internal
    /// error stays one.
    pub fn into_page_messages(
        self,
        field: &str,
    ) -> AppResult<(std::collections::BTreeMap<String, String>, StatusCode)> {
        let Some(problem) = self.problem() else { return Err(self) };
        let mut errors = self.field_messages().unwrap_or_default();
        if errors.is_empty() {
            errors.insert(field.into(), problem.detail.clone());
        }
        Ok((errors, problem.status))
    }

    pub fn field_messages(&self) -> Option<std::collections::BTreeMap<String, String>> {
        let problem = self.problem().filter(|p| !p.fields.is_empty())?;
        Some(problem.fields.iter().map(|f| (f.field.clone(), f.message.clone())).collect())
    }

    /// The message for one field, if this is a validation error naming it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        self.problem()?.fields.iter().find(|f| f.field == field).map(|f| f.message.as_str())
    }
}

impl<E: Into<anyhow::Error>> From<E> for AppError {
    fn from(err: E) -> Self {
        AppError::Internal(err.into())
    }
}

/// The RFC 9457 body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemDetails {
    /// A stable URI naming the kind of problem (`urn:switchboard:problem:<code>`).
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case code, the last part of `type`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let request_id = current_request_id();
        let problem = match self {
            AppError::Client(p) => p,
            AppError::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                Problem {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "internal_error",
                    detail: "Something went wrong on our side. It has been logged; quote the request ID if you contact support."
                        .to_string(),
                    fields: Vec::new(),
                    retry_after_secs: None,
                }
            }
        };
        let body = ProblemDetails {
            type_uri: format!("urn:switchboard:problem:{}", problem.code),
            title: problem.status.canonical_reason().unwrap_or("Error").to_string(),
            status: problem.status.as_u16(),
            detail: problem.detail.clone(),
            code: problem.code.to_string(),
            errors: problem.fields.clone(),
            request_id,
        };
        let mut response = (problem.status, axum::Json(body)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = problem.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(problem);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn validation_errors_render_as_problem_json_with_fields() {
        let response = AppError::validation(vec![
            FieldError::new("name", "Workspace name must be at least 3 characters."),
            FieldError::new("website", "Enter a website address like example.com."),
        ])
        .into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/problem+json");
        let bytes = axum::body::to_bytes(response.into_body(), 10_000).await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(json["type"], "urn:switchboard:problem:validation_failed");
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["field"], "name");
        assert_eq!(json["errors"][1]["message"], "Enter a website address like example.com.");
    }

    #[tokio::test]
    async fn internal_errors_are_opaque() {
        let response = AppError::from(anyhow::anyhow!("password=hunter2 leaked in a message")).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), 10_000).await.expect("body");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("hunter2"));
        assert!(text.contains("internal_error"));
    }
}
