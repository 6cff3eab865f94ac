//! The workspace requirement at work: a person (not an API token) in a
//! workspace that requires a second factor, without one, is sent to set it
//! up — at sign-in and on any request to that workspace. The set-up page is
//! a signed-in route outside every workspace, so it stays reachable.
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use switchboard_core::{UserId, WorkspaceId};
use switchboard_db::Tx;

use super::store;
use crate::error::{AppError, AppResult};
use crate::policy::WorkspaceCtx;
use crate::state::AppState;
use crate::web::flash::redirect;

/// Where the set-up page is, with the reason shown on it.
pub const SETUP_REQUIRED: &str = "/profile/two-factor?required=1";

/// Where a sign-in that lands in `workspace_id` goes: `next`, or set-up.
pub async fn after_sign_in(
    tx: &mut Tx,
    user_id: &UserId,
    workspace_id: Option<&WorkspaceId>,
    next: &str,
) -> AppResult<String> {
    if let Some(ws) = workspace_id
        && store::blocked_by_requirement(&mut *tx, ws, user_id).await?
    {
        return Ok(SETUP_REQUIRED.to_string());
    }
    Ok(next.to_string())
}

/// The answer for a person whose workspace requires a second factor they
/// lack: a redirect for pages, 403 `two_factor_required` for the API.
/// API tokens are never stopped here.
pub async fn check(state: &AppState, ctx: &WorkspaceCtx, parts: &Parts) -> Option<Response> {
    // A token's caller is never stopped here.
    ctx.session.as_ref()?;
    match store::blocked_by_requirement(&state.db, &ctx.workspace.id, &ctx.user_id).await {
        Ok(false) => None,
        Ok(true) if parts.uri.path().starts_with("/api/") => Some(required_error(&ctx.workspace.name).into_response()),
        Ok(true) => Some(redirect(SETUP_REQUIRED)),
        Err(err) => Some(AppError::from(err).into_response()),
    }
}

/// The home page's form of [`check`].
pub async fn home_redirect(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Option<Response>> {
    if ctx.session.is_none() || !store::blocked_by_requirement(&state.db, &ctx.workspace.id, &ctx.user_id).await? {
        return Ok(None);
    }
    Ok(Some(redirect(SETUP_REQUIRED)))
}

fn required_error(workspace: &str) -> AppError {
    AppError::forbidden_code(
        "two_factor_required",
        format!(
            "“{workspace}” requires two-factor sign-in. Set it up in your Profile (Two-factor sign-in) to continue; \
             API tokens are not affected."
        ),
    )
}
