//! JSON handlers for invitations.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, Sent};
use super::store::{self, Invitation};
use crate::api::{ApiJson, ListResponse};
use crate::error::{AppResult, ProblemDetails};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "inv_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "email": "bob@example.com",
    "role": "member",
    "status": "INVITED",
    "send_count": 1,
    "sent_at": "2026-02-01T14:05:00Z",
    "expires_at": "2026-02-08T14:05:00Z",
    "created_at": "2026-02-01T14:05:00Z"
}))]
pub struct InvitationResponse {
    #[schema(example = "inv_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "bob@example.com")]
    pub email: String,
    #[schema(example = "member")]
    pub role: String,
    /// `INVITED`, `EXPIRED`, `ACCEPTED` or `REVOKED`.
    #[schema(example = "INVITED")]
    pub status: String,
    /// How many emails were sent for it.
    pub send_count: i64,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl InvitationResponse {
    pub fn new(i: Invitation, now: DateTime<Utc>) -> Self {
        InvitationResponse {
            id: i.id.to_string(),
            status: i.display_status(now).to_string(),
            email: i.email,
            role: i.role.as_str().to_string(),
            send_count: i.send_count,
            sent_at: i.sent_at,
            expires_at: i.expires_at,
            created_at: i.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "bob@example.com", "role": "member"}))]
pub struct CreateInvitationRequest {
    #[schema(example = "bob@example.com")]
    pub email: String,
    /// `admin`, `member` (default) or `viewer`.
    #[schema(example = "member")]
    #[serde(default = "default_role")]
    pub role: String,
}

fn default_role() -> String {
    "member".into()
}

/// The invitation id in the path (one parameter set for every route that takes it).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InvitationPath {
    /// Invitation ID
    #[param(example = "inv_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
}

/// Pending invitations (expired ones included), newest first.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "members",
    responses(
        (status = 200, body = ListResponse<InvitationResponse>),
    ))]
pub async fn list_invitations(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<ListResponse<InvitationResponse>>> {
    ctx.require(Permission::ManageMembers)?;
    let now = state.clock.now();
    let rows = store::list_pending(&state.db, &ctx.workspace.id, 500).await?;
    Ok(Json(ListResponse {
        data: rows.into_iter().map(|i| InvitationResponse::new(i, now)).collect(),
        next_cursor: None,
    }))
}

/// Invites someone by email. `201` for a new invitation; `200` when a
/// pending one for the address was resent instead (with a new link).
#[utoipa::path(post, path = "/api/v1/invitations", tag = "members",
    request_body = CreateInvitationRequest,
    responses(
        (status = 201, body = InvitationResponse),
        (status = 200, body = InvitationResponse, description = "A pending invitation was resent"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Already a member"),
    ))]
pub async fn create_invitation(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<CreateInvitationRequest>,
) -> AppResult<(StatusCode, Json<InvitationResponse>)> {
    ctx.require(Permission::ManageMembers)?;
    let now = state.clock.now();
    Ok(match service::invite(&state, &ctx, &body.email, &body.role).await? {
        Sent::Created(i) => (StatusCode::CREATED, Json(InvitationResponse::new(i, now))),
        Sent::Resent(i) => (StatusCode::OK, Json(InvitationResponse::new(i, now))),
    })
}

/// Sends the invitation again with a new link (the old one stops working).
#[utoipa::path(post, path = "/api/v1/invitations/{id}/resend", tag = "members",
    params(InvitationPath),
    responses(
        (status = 200, body = InvitationResponse),
    ))]
pub async fn resend_invitation(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Json<InvitationResponse>> {
    ctx.require(Permission::ManageMembers)?;
    let invitation = service::resend(&state, &ctx, &id).await?;
    Ok(Json(InvitationResponse::new(invitation, state.clock.now())))
}

/// Revokes a pending invitation; its link stops working.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "members",
    params(InvitationPath),
    responses(
        (status = 200, body = InvitationResponse),
    ))]
pub async fn revoke_invitation(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Json<InvitationResponse>> {
    ctx.require(Permission::ManageMembers)?;
    let invitation = service::revoke(&state, &ctx, &id).await?;
    Ok(Json(InvitationResponse::new(invitation, state.clock.now())))
}
