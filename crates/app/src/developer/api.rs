//! JSON handlers: API tokens and experimental features (Admins).
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::features::{self, Feature};
use super::model::{NewToken, TokenStatus};
use super::service;
use super::store::{self, TokenRow};
use crate::api::{ApiJson, ListResponse};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreator {
    #[schema(example = "usr_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    #[schema(example = "tok_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "Production server")]
    pub name: String,
    /// The role chosen at creation: `admin`, `member` or `viewer`.
    #[schema(example = "member")]
    pub role: String,
    /// What the token may do now: the lower of `role` and its creator's
    /// current role; `null` when the token no longer works.
    #[schema(example = "member")]
    pub effective_role: Option<String>,
    /// The token's first characters, to tell tokens apart.
    #[schema(example = "sbk_4f9Qx2Lm")]
    pub prefix: String,
    pub created_by: TokenCreator,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    #[schema(example = "203.0.113.7")]
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub status: TokenStatus,
}

impl TokenResponse {
    pub fn new(row: TokenRow, now: DateTime<Utc>) -> Self {
        let facts = row.facts();
        TokenResponse {
            id: row.id.to_string(),
            name: row.name,
            role: row.role.as_str().to_string(),
            effective_role: facts.effective_role(now).map(|r| r.as_str().to_string()),
            prefix: row.token_prefix,
            created_by: TokenCreator { id: row.created_by.to_string(), name: row.creator_name },
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            last_used_ip: row.last_used_ip,
            revoked_at: row.revoked_at,
            status: facts.status(now),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenResponse {
    /// The whole token. It is shown this once and cannot be retrieved later.
    #[schema(example = "sbk_4f9Qx2LmT7vB8nC1dE3fG5hJ6kP0qR2s3X9aBc")]
    pub token: String,
    #[serde(flatten)]
    pub details: TokenResponse,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Production server", "role": "member", "expires_in_days": 90}))]
pub struct CreateTokenRequest {
    /// What the token is for, e.g. where it is used.
    pub name: String,
    /// `admin`, `member` or `viewer`; at most your own role.
    pub role: String,
    /// 1–366 days; omit (or 0) for a token that does not expire.
    pub expires_in_days: Option<i64>,
}

/// The workspace's API tokens, newest first, with why any stopped working.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "developer",
    responses((status = 200, body = ListResponse<TokenResponse>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<ListResponse<TokenResponse>>> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let rows = store::list(&state.db, &ctx.workspace.id).await?;
    Ok(Json(ListResponse { data: rows.into_iter().map(|r| TokenResponse::new(r, now)).collect(), next_cursor: None }))
}

/// Creates an API token acting for you in this workspace. The response is
/// the only time the whole token is shown.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "developer",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, body = CreatedTokenResponse),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> AppResult<(StatusCode, [(header::HeaderName, &'static str); 1], Json<CreatedTokenResponse>)> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let new = NewToken::parse(&body.name, &body.role, body.expires_in_days, now)?;
    let (row, token) = service::create(&state, &ctx, new).await?;
    // The secret must not be kept anywhere: not by caches, and not by the
    // Idempotency-Key store, which honours no-store by keeping no body.
    let body = CreatedTokenResponse { token, details: TokenResponse::new(row, now) };
    Ok((StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], Json(body)))
}

/// Revokes a token: the next request made with it is refused.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "developer",
    params(("id" = String, Path, description = "Token ID (`tok_…`)")),
    responses(
        (status = 200, body = TokenResponse),
    ))]
pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Json<TokenResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let row = service::revoke(&state, &ctx, &id).await?;
    Ok(Json(TokenResponse::new(row, state.clock.now())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureResponse {
    #[schema(example = "compact_tables")]
    pub key: String,
    #[schema(example = "Compact tables")]
    pub name: String,
    pub description: String,
    /// Whether it is on in this workspace.
    pub enabled: bool,
    /// Whether it is on in workspaces that never chose.
    pub default: bool,
}

impl FeatureResponse {
    fn new(feature: &Feature, enabled: bool) -> Self {
        FeatureResponse {
            key: feature.key.into(),
            name: feature.name.into(),
            description: feature.description.into(),
            enabled,
            default: feature.default,
        }
    }
}

/// The experimental features, and whether each is on in this workspace.
#[utoipa::path(get, path = "/api/v1/experimental-features", tag = "developer",
    responses((status = 200, body = ListResponse<FeatureResponse>)))]
pub async fn list_features(ctx: WorkspaceCtx) -> AppResult<Json<ListResponse<FeatureResponse>>> {
    ctx.require(Permission::ManageSettings)?;
    let data =
        features::CATALOGUE.iter().map(|f| FeatureResponse::new(f, features::is_enabled(&ctx.workspace, f))).collect();
    Ok(Json(ListResponse { data, next_cursor: None }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true}))]
pub struct SetFeatureRequest {
    pub enabled: bool,
}

/// Turns an experimental feature on or off for everyone in this workspace.
#[utoipa::path(put, path = "/api/v1/experimental-features/{key}", tag = "developer",
    params(("key" = String, Path, description = "Feature key, e.g. `compact_tables`")),
    request_body = SetFeatureRequest,
    responses(
        (status = 200, body = FeatureResponse),
    ))]
pub async fn set_feature(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<SetFeatureRequest>,
) -> AppResult<Json<FeatureResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let feature = features::find(&key).ok_or_else(|| AppError::not_found("The experimental feature"))?;
    let enabled = service::set_feature(&state, &ctx, feature, body.enabled).await?;
    Ok(Json(FeatureResponse::new(feature, enabled)))
}
