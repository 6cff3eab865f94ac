//! JSON handlers for the signed-in user's own profile.
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, ProfileUpdate};
use crate::api::{ApiJson, UploadBody, double_option};
use crate::auth::SignedIn;
use crate::auth::users::User;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "email_verified": true,
    "phone": "+442079460958",
    "avatar_url": "/files/avatar/usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/2/256.png",
    "current_workspace_id": "ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "csrf_token": "Jx7kP2mQ9vR4tW8yZ1bC3dF5gH6jK0nL",
    "created_at": "2026-01-15T09:30:00Z"
}))]
pub struct MeResponse {
    #[schema(example = "usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// Whether the address was proven (the emailed link, or an accepted
    /// invitation to it). Until then the account creates at most one
    /// workspace and sends no invitations.
    pub email_verified: bool,
    /// E.164.
    #[schema(example = "+442079460958")]
    pub phone: Option<String>,
    /// 256×256 PNG, if an avatar was uploaded.
    pub avatar_url: Option<String>,
    /// The workspace `/api/v1/workspace` and `/settings` act on.
    pub current_workspace_id: Option<String>,
    /// Send as `x-csrf-token` on state-changing calls authenticated by the session cookie.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
}

fn me(user: User, session: &crate::auth::Session, email_verified: bool) -> MeResponse {
    MeResponse {
        email_verified,
        avatar_url: user.avatar_version.map(|v| crate::files::avatar_url(&user.id, v, 256)),
        id: user.id.to_string(),
        name: user.name,
        email: user.email,
        phone: user.phone_e164,
        current_workspace_id: session.current_workspace_id.as_ref().map(|w| w.to_string()),
        csrf_token: session.csrf_token.clone(),
        created_at: user.created_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ada Lovelace", "phone": "+44 20 7946 0958"}))]
pub struct UpdateMeRequest {
    /// 1–100 characters after trimming.
    #[schema(example = "Ada Lovelace")]
    pub name: Option<String>,
    /// International format; stored as E.164. `null` or `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "+44 20 7946 0958")]
    pub phone: Option<Option<String>>,
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "profile",
    security(("session" = [])),
    responses(
        (status = 200, body = MeResponse),
    ))]
pub async fn get_me(State(state): State<AppState>, SignedIn(session): SignedIn) -> AppResult<Json<MeResponse>> {
    let user = crate::auth::users::find(&state.db, &session.user_id)
        .await?
        .ok_or_else(crate::error::AppError::unauthenticated)?;
    let verified = crate::verification::service::is_verified(&state, &session.user_id).await?;
    Ok(Json(me(user, &session, verified)))
}

/// Changes the signed-in user's name or phone number.
#[utoipa::path(patch, path = "/api/v1/me", tag = "profile",
    security(("session" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, body = MeResponse),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    ApiJson(body): ApiJson<UpdateMeRequest>,
) -> AppResult<Json<MeResponse>> {
    let update = ProfileUpdate { name: body.name, phone: body.phone.map(|p| p.unwrap_or_default()) };
    let user = service::update(&state, &session, update).await?;
    let verified = crate::verification::service::is_verified(&state, &session.user_id).await?;
    Ok(Json(me(user, &session, verified)))
}

/// Uploads an avatar: the body is the image (PNG, JPEG, WebP or GIF; at
/// most 2 MiB and 4096×4096 px), re-encoded as square PNG thumbnails.
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "profile",
    security(("session" = [])),
    request_body(content = Vec<u8>, content_type = "image/png", description = "The image bytes"),
    responses(
        (status = 200, body = MeResponse),
        (status = 503, body = crate::error::ProblemDetails, content_type = "application/problem+json",
            description = "Every image worker is busy (`server_busy`): try again after `Retry-After` seconds."),
    ))]
pub async fn upload_avatar(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    UploadBody(bytes): UploadBody,
) -> AppResult<Json<MeResponse>> {
    let user = service::set_avatar(&state, &session, bytes)
        .await
        .map_err(|e| crate::workspaces::api::rename_field(e, "avatar", "file"))?;
    let verified = crate::verification::service::is_verified(&state, &session.user_id).await?;
    Ok(Json(me(user, &session, verified)))
}

/// Removes the avatar; initials are shown instead.
#[utoipa::path(delete, path = "/api/v1/me/avatar", tag = "profile",
    security(("session" = [])),
    responses(
        (status = 200, body = MeResponse),
    ))]
pub async fn delete_avatar(State(state): State<AppState>, SignedIn(session): SignedIn) -> AppResult<Json<MeResponse>> {
    let user = service::remove_avatar(&state, &session).await?;
    let verified = crate::verification::service::is_verified(&state, &session.user_id).await?;
    Ok(Json(me(user, &session, verified)))
}
