//! JSON handlers of the audit log (Admins).
use axum::Json;
use axum::extract::State;

use super::chain::{self, Report};
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// Recomputes the workspace's audit hash chain and names the first entry
/// that does not match (`first_break`), or `null` when all match.
#[utoipa::path(get, path = "/api/v1/audit-log/verify", tag = "audit",
    responses((status = 200, body = Report)))]
pub async fn verify_chain(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<Report>> {
    ctx.require(Permission::ManageSettings)?;
    Ok(Json(chain::verify(&state.db, &ctx.workspace.id).await?))
}
