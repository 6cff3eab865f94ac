//! Shared machinery of the JSON API: request extractors whose rejections
//! are problem+json, the list envelope, and the OpenAPI document.
pub mod idempotency;
pub mod no_store;
pub mod openapi;
pub mod pagination;

use axum::extract::{FromRequest, Request};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `axum::Json`, but a malformed body answers problem+json like every
/// other error.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(AppError::bad_request("invalid_json", rejection.body_text())),
        }
    }
}

/// `axum::extract::Query`, but a malformed query string answers
/// problem+json (400 `invalid_query`) like every other error.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(AppError::bad_request("invalid_query", rejection.body_text())),
        }
    }
}

/// A raw upload body (`PUT …/logo` with `Content-Type: image/png`), read
/// up to the image limit and no further.
pub struct UploadBody(pub bytes::Bytes);

impl<S: Send + Sync> FromRequest<S> for UploadBody {
    type Rejection = AppError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let limit = crate::images::MAX_UPLOAD_BYTES;
        match axum::body::to_bytes(req.into_body(), limit).await {
            Ok(bytes) if bytes.is_empty() => {
                Err(AppError::field("file", "The request body is empty; send the image bytes."))
            }
            Ok(bytes) => Ok(UploadBody(bytes)),
            Err(_) => Err(AppError::field("file", crate::images::too_large_message())),
        }
    }
}

/// Every list: `{ "data": [...], "next_cursor": ... }`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse<T: utoipa::ToSchema> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `Option<Option<T>>` for PATCH bodies: absent → `None` (unchanged),
/// `null` → `Some(None)` (clear), a value → `Some(Some(v))`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(deserializer).map(Some)
}
