//! JSON: the signed-in user's two-factor status, and the workspace
//! requirement (Admins).
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service;
use crate::api::ApiJson;
use crate::auth::SignedIn;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"enabled": true, "recovery_codes_left": 9}))]
pub struct TwoFactorStatusResponse {
    /// Whether signing in asks for a code after the password.
    pub enabled: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

/// The signed-in user's two-factor sign-in (set up and turned off in the
/// Profile; the secret is never returned here).
#[utoipa::path(get, path = "/api/v1/me/two-factor", tag = "profile",
    security(("session" = [])),
    responses(
        (status = 200, body = TwoFactorStatusResponse),
    ))]
pub async fn get_status(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> AppResult<Json<TwoFactorStatusResponse>> {
    let enabled = service::is_enabled(&state, &session.user_id).await?;
    let left = if enabled { service::unused_recovery_codes(&state, &session.user_id).await? } else { 0 };
    Ok(Json(TwoFactorStatusResponse { enabled, recovery_codes_left: left }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"required": true}))]
pub struct TwoFactorRequirement {
    /// Every member must sign in with a second factor; members without one
    /// are sent to set it up. API tokens are not affected.
    pub required: bool,
}

/// Whether the workspace requires two-factor sign-in of every member.
#[utoipa::path(get, path = "/api/v1/workspace/two-factor", tag = "workspaces",
    responses(
        (status = 200, body = TwoFactorRequirement),
    ))]
pub async fn get_requirement(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<TwoFactorRequirement>> {
    ctx.require(Permission::ManageSettings)?;
    Ok(Json(TwoFactorRequirement { required: service::workspace_requires(&state, &ctx).await? }))
}

/// Requires (or stops requiring) two-factor sign-in of every member. A
/// person turning it on needs it on their own account first (409
/// `two_factor_not_enabled`).
#[utoipa::path(put, path = "/api/v1/workspace/two-factor", tag = "workspaces",
    request_body = TwoFactorRequirement,
    responses(
        (status = 200, body = TwoFactorRequirement),
    ))]
pub async fn put_requirement(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<TwoFactorRequirement>,
) -> AppResult<Json<TwoFactorRequirement>> {
    ctx.require(Permission::ManageSettings)?;
    let required = service::set_workspace_requirement(&state, &ctx, body.required).await?;
    Ok(Json(TwoFactorRequirement { required }))
}
