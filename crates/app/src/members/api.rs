//! JSON handlers: the Members list, role changes, removal, leaving and
//! deleting the workspace.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service;
use super::store::{self, Member, MemberQuery};
use crate::api::{ApiJson, ApiQuery, ListResponse, pagination};
use crate::error::{AppResult, ProblemDetails};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "mem_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "user_id": "usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "role": "member",
    "status": "ACTIVE",
    "joined_at": "2026-01-15T09:30:00Z",
    "updated_at": "2026-02-01T14:05:00Z"
}))]
pub struct MemberResponse {
    /// The membership ID (`mem_…`).
    #[schema(example = "mem_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub user_id: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// `admin`, `member` or `viewer`.
    #[schema(example = "member")]
    pub role: String,
    /// `ACTIVE`, `REMOVED` or `LEFT`.
    #[schema(example = "ACTIVE")]
    pub status: String,
    pub joined_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Member> for MemberResponse {
    fn from(m: Member) -> Self {
        MemberResponse {
            id: m.id.to_string(),
            user_id: m.user_id.to_string(),
            name: m.name,
            email: m.email,
            role: m.role.as_str().to_string(),
            status: m.status.to_uppercase(),
            joined_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Matches name or email, anywhere, case-insensitively.
    #[param(example = "ada")]
    pub search: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(example = 50)]
    pub limit: Option<i64>,
}

/// Fetches one page and the cursor of the next (`limit + 1` rows tell
/// whether there is one).
pub async fn page(state: &AppState, ctx: &WorkspaceCtx, q: &MembersQuery) -> AppResult<(Vec<Member>, Option<String>)> {
    let limit = pagination::limit(q.limit, 50, 200)?;
    // The keyset: the last row's sort key and ID.
    let after: Option<(String, String)> = pagination::decode(q.cursor.as_deref())?;
    let query = MemberQuery {
        search: q.search.as_deref().unwrap_or(""),
        after: after.as_ref().map(|(k, i)| (k.as_str(), i.as_str())),
        limit: limit + 1,
    };
    let rows = store::list(&state.db, &ctx.workspace.id, &query).await?;
    Ok(pagination::page(rows, limit, |m| (m.sort_key.clone(), m.id.to_string())))
}

/// The membership id in the path (one parameter set for every route that takes it).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberPath {
    /// Membership ID
    #[param(example = "mem_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
}

/// The workspace's members (active, removed and left), by name.
#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(MembersQuery),
    responses(
        (status = 200, body = ListResponse<MemberResponse>),
    ))]
pub async fn list_members(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<MembersQuery>,
) -> AppResult<Json<ListResponse<MemberResponse>>> {
    ctx.require(Permission::ManageMembers)?;
    let (rows, next_cursor) = page(&state, &ctx, &q).await?;
    Ok(Json(ListResponse { data: rows.into_iter().map(MemberResponse::from).collect(), next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "admin"}))]
pub struct UpdateMemberRequest {
    /// `admin`, `member` or `viewer`.
    #[schema(example = "admin")]
    pub role: String,
}

/// Changes a member's role; it applies on their next request. The last
/// Admin cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "members",
    params(MemberPath),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, body = MemberResponse),
    ))]
pub async fn update_member(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateMemberRequest>,
) -> AppResult<Json<MemberResponse>> {
    ctx.require(Permission::ManageMembers)?;
    let member = service::change_role(&state, &ctx, &id, &body.role).await?;
    Ok(Json(member.into()))
}

/// Removes a member: status `REMOVED`; they lose access at once and can be
/// invited again.
#[utoipa::path(delete, path = "/api/v1/members/{id}", tag = "members",
    params(MemberPath),
    responses(
        (status = 200, body = MemberResponse),
    ))]
pub async fn remove_member(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Json<MemberResponse>> {
    ctx.require(Permission::ManageMembers)?;
    let member = service::remove(&state, &ctx, &id).await?;
    Ok(Json(member.into()))
}

/// Leaves the current workspace for good (a new invitation is needed to
/// come back). The last Admin and a sole member cannot leave.
#[utoipa::path(post, path = "/api/v1/workspace/leave", tag = "members",
    responses(
        (status = 204, description = "Left the workspace"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json",
            description = "The last Admin, or the only member, cannot leave",
            example = json!({
                "type": "urn:switchboard:problem:last_admin",
                "title": "Conflict",
                "status": 409,
                "detail": "You cannot leave: “Acme Voice” needs at least one Admin. Make another member Admin first.",
                "code": "last_admin",
                "request_id": "01JDQ7A2B3C4D5E6F7G8H9J0K1"
            })),
    ))]
pub async fn leave_workspace(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<StatusCode> {
    ctx.require(Permission::ViewWorkspace)?;
    service::leave(&state, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"confirm_name": "Acme Voice"}))]
pub struct DeleteWorkspaceRequest {
    /// The workspace's name, typed to confirm.
    #[schema(example = "Acme Voice")]
    pub confirm_name: String,
}

/// Deletes the current workspace and all its data, permanently (Admins).
#[utoipa::path(delete, path = "/api/v1/workspace", tag = "workspaces",
    request_body = DeleteWorkspaceRequest,
    responses(
        (status = 204, description = "Deleted"),
    ))]
pub async fn delete_workspace(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<DeleteWorkspaceRequest>,
) -> AppResult<StatusCode> {
    ctx.require(Permission::DeleteWorkspace)?;
    service::delete_workspace(&state, &ctx, &body.confirm_name).await?;
    Ok(StatusCode::NO_CONTENT)
}
