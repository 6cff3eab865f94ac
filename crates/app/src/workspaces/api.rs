//! JSON handlers for workspaces: list, create, switch, and the current
//! workspace's fields and logo.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, WorkspaceUpdate};
use super::store::Workspace;
use crate::api::{ApiJson, ListResponse, UploadBody, double_option};
use crate::auth::SignedIn;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::ClientMeta;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "large": "/files/logo/ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/3/256.png",
    "medium": "/files/logo/ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/3/64.png",
    "small": "/files/logo/ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/3/32.png"
}))]
pub struct LogoUrls {
    /// 256×256 PNG.
    pub large: String,
    /// 64×64 PNG.
    pub medium: String,
    /// 32×32 PNG.
    pub small: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "name": "Acme Voice",
    "website": "https://example.com",
    "timezone": "Europe/Paris",
    "logo": {
        "large": "/files/logo/ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/3/256.png",
        "medium": "/files/logo/ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/3/64.png",
        "small": "/files/logo/ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/3/32.png"
    },
    "role": "admin",
    "created_at": "2026-01-15T09:30:00Z",
    "updated_at": "2026-02-01T14:05:00Z"
}))]
pub struct WorkspaceResponse {
    /// The workspace ID; the API's "team ID".
    #[schema(example = "ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "Acme Voice")]
    pub name: String,
    #[schema(example = "https://example.com")]
    pub website: Option<String>,
    /// IANA timezone name; every timestamp the UI shows uses it.
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
    pub logo: Option<LogoUrls>,
    /// The caller's role in this workspace: `admin`, `member` or `viewer`.
    #[schema(example = "admin")]
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WorkspaceResponse {
    pub fn new(ws: Workspace, role: &str) -> Self {
        let logo = ws.logo_version.map(|v| LogoUrls {
            large: crate::files::logo_url(&ws.id, v, 256),
            medium: crate::files::logo_url(&ws.id, v, 64),
            small: crate::files::logo_url(&ws.id, v, 32),
        });
        WorkspaceResponse {
            id: ws.id.to_string(),
            name: ws.name,
            website: ws.website,
            timezone: ws.timezone,
            logo,
            role: role.to_string(),
            created_at: ws.created_at,
            updated_at: ws.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme Voice"}))]
pub struct CreateWorkspaceRequest {
    /// 3–64 characters after trimming.
    #[schema(example = "Acme Voice")]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Acme Voice", "website": "example.com", "timezone": "Europe/Paris"}))]
pub struct UpdateWorkspaceRequest {
    /// 3–64 characters after trimming.
    #[schema(example = "Acme Voice")]
    pub name: Option<String>,
    /// An http(s) URL; `example.com` becomes `https://example.com`. `null` or `""` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, example = "example.com")]
    pub website: Option<Option<String>>,
    /// An IANA timezone name.
    #[schema(example = "Europe/Paris")]
    pub timezone: Option<String>,
}

/// The workspaces the caller belongs to.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "workspaces",
    security(("session" = [])),
    responses(
        (status = 200, body = ListResponse<WorkspaceResponse>),
    ))]
pub async fn list_workspaces(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> AppResult<Json<ListResponse<WorkspaceResponse>>> {
    let list = super::store::list_for_user(&state.db, &session.user_id).await?;
    let data = list.into_iter().map(|e| WorkspaceResponse::new(e.workspace, &e.role)).collect();
    Ok(Json(ListResponse { data, next_cursor: None }))
}

/// Creates a workspace; the caller becomes its first Admin.
#[utoipa::path(post, path = "/api/v1/workspaces", tag = "workspaces",
    security(("session" = [])),
    request_body = CreateWorkspaceRequest,
    responses(
        (status = 201, body = WorkspaceResponse),
    ))]
pub async fn create_workspace(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    meta: ClientMeta,
    ApiJson(body): ApiJson<CreateWorkspaceRequest>,
) -> AppResult<(StatusCode, Json<WorkspaceResponse>)> {
    let workspace = service::create(&state, &session, &meta, &body.name).await?;
    Ok((StatusCode::CREATED, Json(WorkspaceResponse::new(workspace, "admin"))))
}

/// Makes a workspace the session's current one (what `/settings` and
/// `/api/v1/workspace` act on).
#[utoipa::path(post, path = "/api/v1/workspaces/{id}/switch", tag = "workspaces",
    security(("session" = [])),
    params(("id" = String, Path, description = "Workspace ID", example = "ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")),
    responses(
        (status = 200, body = WorkspaceResponse),
    ))]
pub async fn switch_workspace(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<String>,
) -> AppResult<Json<WorkspaceResponse>> {
    let workspace = service::switch(&state, &session, &id).await?;
    let role = crate::members::store::active_role(&state.db, &workspace.id, &session.user_id).await?;
    Ok(Json(WorkspaceResponse::new(workspace, role.map(|r| r.as_str()).unwrap_or("viewer"))))
}

/// The current workspace.
#[utoipa::path(get, path = "/api/v1/workspace", tag = "workspaces",
    responses(
        (status = 200, body = WorkspaceResponse),
    ))]
pub async fn get_workspace(ctx: WorkspaceCtx) -> AppResult<Json<WorkspaceResponse>> {
    ctx.require(Permission::ViewWorkspace)?;
    let role = ctx.role.as_str();
    Ok(Json(WorkspaceResponse::new(ctx.workspace, role)))
}

/// Changes the current workspace's name, website or timezone (Admins).
/// Fields left out stay as they are; one invalid field changes nothing.
#[utoipa::path(patch, path = "/api/v1/workspace", tag = "workspaces",
    request_body = UpdateWorkspaceRequest,
    responses(
        (status = 200, body = WorkspaceResponse),
    ))]
pub async fn update_workspace(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<UpdateWorkspaceRequest>,
) -> AppResult<Json<WorkspaceResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let update = WorkspaceUpdate {
        name: body.name,
        website: body.website.map(|w| w.unwrap_or_default()),
        timezone: body.timezone,
    };
    let workspace = service::update(&state, &ctx, update).await?;
    Ok(Json(WorkspaceResponse::new(workspace, ctx.role.as_str())))
}

/// Uploads the workspace logo (Admins): the request body is the image
/// (PNG, JPEG, WebP or GIF; at most 2 MiB and 4096×4096 px). It is decoded
/// and re-encoded as square PNG thumbnails.
#[utoipa::path(put, path = "/api/v1/workspace/logo", tag = "workspaces",
    request_body(content = Vec<u8>, content_type = "image/png", description = "The image bytes"),
    responses(
        (status = 200, body = WorkspaceResponse),
        (status = 503, body = crate::error::ProblemDetails, content_type = "application/problem+json",
            description = "Every image worker is busy (`server_busy`): try again after `Retry-After` seconds."),
    ))]
pub async fn upload_logo(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    UploadBody(bytes): UploadBody,
) -> AppResult<Json<WorkspaceResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let workspace = service::set_logo(&state, &ctx, bytes).await.map_err(|e| rename_field(e, "logo", "file"))?;
    Ok(Json(WorkspaceResponse::new(workspace, ctx.role.as_str())))
}

/// Removes the workspace logo (Admins); the switcher shows initials again.
#[utoipa::path(delete, path = "/api/v1/workspace/logo", tag = "workspaces",
    responses(
        (status = 200, body = WorkspaceResponse),
    ))]
pub async fn delete_logo(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<WorkspaceResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let workspace = service::remove_logo(&state, &ctx).await?;
    Ok(Json(WorkspaceResponse::new(workspace, ctx.role.as_str())))
}

/// The upload's field is `logo` on the page and the body (`file`) here.
pub fn rename_field(mut err: crate::error::AppError, from: &str, to: &str) -> crate::error::AppError {
    if let crate::error::AppError::Client(problem) = &mut err {
        for field in &mut problem.fields {
            if field.field == from {
                field.field = to.to_string();
            }
        }
    }
    err
}
