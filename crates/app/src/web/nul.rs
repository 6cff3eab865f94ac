//! NUL characters are refused at the door, for pages and API alike.
//! PostgreSQL cannot store U+0000 in text (nor `\u0000` in JSONB), so one
//! reaching a query would be a 500; no field, parameter or ID has a use
//! for one. Before any handler runs, this layer answers:
//! - a path segment with `%00`: 404 (no such page or resource);
//! - a query parameter (name or value) with one: 400 `invalid_query`;
//! - a JSON or urlencoded form body with one in any string or key: 422
//!   `validation_failed` on that field (pages show it as a toast).
//!
//! Multipart and raw upload bodies are not buffered here; their text
//! fields are few and checked where they are used. Cursors are checked
//! where they are decoded (`api::pagination`), as their NUL is inside
//! base64.
use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::AppError;

/// Largest JSON or form body this layer reads (the router's body limit).
const MAX_BODY: usize = crate::routes::MAX_BODY_BYTES;

pub async fn refuse_nul(req: Request, next: Next) -> Response {
    if req.uri().path().as_bytes().windows(3).any(|w| w == b"%00") {
        return AppError::not_found("This page").into_response();
    }
    if let Some(query) = req.uri().query()
        && let Some((name, _)) = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
    {
        let name = name.replace('\0', "\\0");
        return AppError::bad_request(
            "invalid_query",
            format!("The query parameter {name} contains a NUL character (%00), which is not allowed."),
        )
        .into_response();
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_json = content_type.starts_with("application/json") || content_type.contains("+json");
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_json && !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return AppError::payload_too_large(format!("The request is larger than {} MiB.", MAX_BODY / (1024 * 1024)))
            .into_response();
    };
    // JSON can only write a NUL as the escape `\u0000` (a raw one is not
    // JSON), a form as `%00` or a raw byte: a body without those goes on
    // without being parsed here as well as by its extractor.
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let may_hold_nul = if is_json { has(b"\\u0000") } else { bytes.contains(&0) || has(b"%00") };
    let field = if !may_hold_nul {
        None
    } else if is_json {
        // Malformed JSON is the extractor's to report.
        serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| nul_field(&v))
    } else {
        url::form_urlencoded::parse(&bytes)
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
            .map(|(name, _)| name.replace('\0', "\\0"))
    };
    if let Some(field) = field {
        let shown = if field.is_empty() { "The request body" } else { field.as_str() };
        return AppError::field(
            if field.is_empty() { "body" } else { &field },
            format!("{shown} contains a NUL character, which is not allowed."),
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The path of the first string or key in `value` holding a NUL
/// (`description`, `event_types[0]`, `a.b`); `Some("")` for a top-level
/// string.
pub fn nul_field(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &mut String) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(key, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key.replace('\0', "\\0"));
                let found = key.contains('\0') || walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_first_nul_is_found_by_its_path() {
        assert_eq!(nul_field(&json!({"a": "ok", "description": "x\u{0}"})).as_deref(), Some("description"));
        assert_eq!(nul_field(&json!({"types": ["a", "b\u{0}"]})).as_deref(), Some("types[1]"));
        assert_eq!(nul_field(&json!({"a": {"b\u{0}": 1}})).as_deref(), Some("a.b\\0"));
        assert_eq!(nul_field(&json!([{"x": "\u{0}"}])).as_deref(), Some("[0].x"));
        assert_eq!(nul_field(&json!("\u{0}")).as_deref(), Some(""));
        assert_eq!(nul_field(&json!({"a": ["ok", {"b": "fine"}], "n": 0, "z": null})), None);
    }
}
