//! CSRF protection for every state-changing request.
//!
//! Signed in, the token is the session's (synchronizer token); signed out
//! (sign-in and sign-up forms), it is a random cookie echoed in the form
//! (double submit). Forms send it as the `_csrf` field, scripts as the
//! `x-csrf-token` header. Cross-site requests are refused outright by their
//! `Sec-Fetch-Site` header as a second line of defence.
//!
//! The same pass enforces the `_workspace` field that every workspace form
//! carries: a form rendered for one workspace and posted after the session
//! switched to another is refused, never applied to the wrong workspace.
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use super::session::{MaybeSession, Session};
use crate::error::AppError;
use crate::secrets::constant_time_eq;

pub const ANON_CSRF_COOKIE: &str = "sb_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";
pub const WORKSPACE_FIELD: &str = "_workspace";
/// Largest body this layer buffers to read the token from a form.
pub const MAX_FORM_BYTES: usize = 4 * 1024 * 1024;

#[derive(Default)]
struct FormGuards {
    csrf: Option<String>,
    workspace: Option<String>,
}

pub async fn protect(req: Request, next: Next) -> Response {
    // An API token in a header is not sent by browsers on their own, so
    // a token-authenticated request cannot be forged cross-site.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || super::api_token::caller(req.extensions()).is_some()
    {
        return next.run(req).await;
    }
    let expected = match expected_token(&req) {
        Ok(expected) => expected,
        Err(refused) => return refused.into_response(),
    };
    let session = req.extensions().get::<MaybeSession>().and_then(|s| s.0.clone());

    let (parts, body) = req.into_parts();
    let content_type = header_str(&parts.headers, header::CONTENT_TYPE.as_str()).unwrap_or("").to_string();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    let is_multipart = content_type.starts_with("multipart/form-data");
    let (guards, body) = if is_form || is_multipart {
        let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => {
                return AppError::payload_too_large(format!(
                    "The request is larger than {} MiB.",
                    MAX_FORM_BYTES / (1024 * 1024)
                ))
                .into_response();
            }
        };
        let guards = if is_form { form_guards(&bytes) } else { multipart_guards(&content_type, bytes.clone()).await };
        (guards, Body::from(bytes))
    } else {
        (FormGuards::default(), body)
    };

    let provided = header_str(&parts.headers, CSRF_HEADER).map(str::to_string).or(guards.csrf);
    if !provided.is_some_and(|p| constant_time_eq(&p, &expected)) {
        return csrf_failed().into_response();
    }
    let required = (is_form || is_multipart) && is_settings_form(parts.uri.path());
    if let Err(refused) = check_form_workspace(session.as_deref(), guards.workspace.as_deref(), required) {
        return refused.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The token a state-changing request must carry: the session's, or when
/// signed out the anonymous cookie's. Refused outright when there is none,
/// or when the browser says the request is cross-site. Shared with the
/// upload stack (`crate::uploads`), which finds the token without buffering.
pub(crate) fn expected_token(req: &Request) -> Result<String, AppError> {
    if header_str(req.headers(), "sec-fetch-site") == Some("cross-site") {
        return Err(csrf_failed());
    }
    let session = req.extensions().get::<MaybeSession>().and_then(|s| s.0.clone());
    let expected = match &session {
        Some(s) => Some(s.csrf_token.clone()),
        None => CookieJar::from_headers(req.headers()).get(ANON_CSRF_COOKIE).map(|c| c.value().to_string()),
    };
    expected.ok_or_else(csrf_failed)
}

/// Settings forms act on one workspace's configuration, so each must say
/// which (the `form_guards` template macro writes `_csrf` and `_workspace`).
pub(crate) fn is_settings_form(path: &str) -> bool {
    path.starts_with("/settings/")
}

/// A form rendered for one workspace must not be applied to another that
/// the session switched to since; where `required` (settings forms), a
/// form that does not name its workspace is refused too.
pub(crate) fn check_form_workspace(
    session: Option<&Session>,
    form_workspace: Option<&str>,
    required: bool,
) -> Result<(), AppError> {
    if session.is_some() && required && form_workspace.is_none() {
        return Err(AppError::bad_request(
            "workspace_missing",
            "This form did not say which workspace it was for, so nothing was saved. Reload the page and try again.",
        ));
    }
    if let (Some(session), Some(form_ws)) = (session, form_workspace)
        && session.current_workspace_id.as_ref().map(|w| w.as_str()) != Some(form_ws)
    {
        return Err(AppError::conflict(
            "workspace_changed",
            "You switched workspaces in another tab, so nothing was saved. This page now shows your current workspace; check it and try again.",
        ));
    }
    Ok(())
}

pub(crate) fn csrf_failed() -> AppError {
    AppError::forbidden_code(
        "csrf_failed",
        "This form has expired or did not come from Switchboard. Reload the page and try again.",
    )
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn form_guards(bytes: &[u8]) -> FormGuards {
    let mut guards = FormGuards::default();
    for (key, value) in url::form_urlencoded::parse(bytes) {
        match key.as_ref() {
            CSRF_FIELD => guards.csrf = Some(value.into_owned()),
            WORKSPACE_FIELD => guards.workspace = Some(value.into_owned()),
            _ => {}
        }
    }
    guards
}

async fn multipart_guards(content_type: &str, bytes: bytes::Bytes) -> FormGuards {
    let mut guards = FormGuards::default();
    let Ok(req) = Request::builder().header(header::CONTENT_TYPE, content_type).body(Body::from(bytes)) else {
        return guards;
    };
    let Ok(mut multipart) = Multipart::from_request(req, &()).await else {
        return guards;
    };
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        if name == CSRF_FIELD || name == WORKSPACE_FIELD {
            let Ok(text) = field.text().await else { break };
            if name == CSRF_FIELD {
                guards.csrf = Some(text);
            } else {
                guards.workspace = Some(text);
            }
        }
    }
    guards
}
