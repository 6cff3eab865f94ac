//! Stored images (workspace logos and user avatars): their storage keys,
//! their URLs, and serving them — logos only to members of the owning
//! workspace, avatars only to signed-in users.
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use switchboard_core::{UserId, WorkspaceId};

use crate::auth::SignedIn;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn logo_key(workspace_id: &WorkspaceId, version: i64, size: u32) -> String {
    format!("workspaces/{workspace_id}/logo/{version}/{size}.png")
}

/// Everything stored for one logo version (all its thumbnail sizes).
pub fn logo_prefix(workspace_id: &WorkspaceId, version: i64) -> String {
    format!("workspaces/{workspace_id}/logo/{version}")
}

pub fn logo_url(workspace_id: &WorkspaceId, version: i64, size: u32) -> String {
    format!("/files/logo/{workspace_id}/{version}/{size}.png")
}

pub fn avatar_key(user_id: &UserId, version: i64, size: u32) -> String {
    format!("users/{user_id}/avatar/{version}/{size}.png")
}

pub fn avatar_prefix(user_id: &UserId, version: i64) -> String {
    format!("users/{user_id}/avatar/{version}")
}

pub fn avatar_url(user_id: &UserId, version: i64, size: u32) -> String {
    format!("/files/avatar/{user_id}/{version}/{size}.png")
}

/// `256.png` → 256, for sizes we make.
fn parse_size(file: &str) -> Option<u32> {
    let size: u32 = file.strip_suffix(".png")?.parse().ok()?;
    crate::images::THUMBNAIL_SIZES.contains(&size).then_some(size)
}

pub async fn serve_logo(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path((workspace_id, version, file)): Path<(String, i64, String)>,
) -> AppResult<Response> {
    let not_found = || AppError::not_found("The logo");
    let workspace_id: WorkspaceId = workspace_id.parse().map_err(|_| not_found())?;
    let size = parse_size(&file).ok_or_else(not_found)?;
    // Any workspace the user is an active member of, not only the current
    // one: the switcher shows them all.
    crate::tenancy::active_role(&state.db, &workspace_id, &session.user_id).await?.ok_or_else(not_found)?;
    serve(&state, &logo_key(&workspace_id, version, size)).await
}

pub async fn serve_avatar(
    State(state): State<AppState>,
    SignedIn(_session): SignedIn,
    Path((user_id, version, file)): Path<(String, i64, String)>,
) -> AppResult<Response> {
    let not_found = || AppError::not_found("The avatar");
    let user_id: UserId = user_id.parse().map_err(|_| not_found())?;
    let size = parse_size(&file).ok_or_else(not_found)?;
    serve(&state, &avatar_key(&user_id, version, size)).await
}

async fn serve(state: &AppState, key: &str) -> AppResult<Response> {
    // Streamed, so serving never holds a whole file whatever its size or store.
    let file = state.files.get_stream(key).await?.ok_or_else(|| AppError::not_found("The file"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png".to_string()),
            (header::CONTENT_LENGTH, file.size.to_string()),
            // Versioned URLs never change content; private because access
            // depends on who asks.
            (header::CACHE_CONTROL, "private, max-age=31536000, immutable".to_string()),
        ],
        axum::body::Body::from_stream(file.stream),
    )
        .into_response())
}

/// Validates and re-encodes an uploaded image (on the blocking pool, at
/// most `--image-workers` at once, else the 503 `server_busy`; see
/// [`crate::load`]) and stores every thumbnail under `key(size)`. Errors
/// are about the upload and name the `field` they belong to.
pub async fn store_image(
    state: &AppState,
    field: &str,
    upload: bytes::Bytes,
    key: impl Fn(u32) -> String,
) -> AppResult<()> {
    let permit = crate::load::gates().images.enter().await?;
    let processed = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        crate::images::process_upload(&upload)
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(|e| AppError::field(field, e.message()))?;
    for (size, png) in processed.thumbnails {
        state.files.put(&key(size), bytes::Bytes::from(png), "image/png").await?;
    }
    Ok(())
}

/// Best-effort removal of an old image version after the database no
/// longer points at it; a failure leaves an orphan file, never a broken page.
pub async fn discard(state: &AppState, prefix: String) {
    if let Err(err) = state.files.delete_prefix(&prefix).await {
        tracing::warn!(error = %err, prefix, "could not delete old image files");
    }
}

/// A version number for a new upload: the time in milliseconds, always
/// above the previous version so URLs never repeat.
pub fn next_version(previous: Option<i64>, now: chrono::DateTime<chrono::Utc>) -> i64 {
    now.timestamp_millis().max(previous.unwrap_or(0) + 1)
}
