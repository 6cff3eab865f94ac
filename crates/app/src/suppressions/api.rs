//! `/api/v1/suppressions`: the list (every role reads; search and keyset
//! pages), add (Members and Admins — a service reporting an opt-out),
//! remove (Admins), and the check outbound code calls before contacting
//! someone.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{DEFAULT_COUNTRY, NewEntry, RawEntry, Subject, SuppressionChannel};
use super::service;
use super::store::Suppression;
use crate::api::{ApiJson, ApiQuery, pagination};
use crate::consent::model::{Channel, Source};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// An entry of the suppression list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Suppression)]
pub struct SuppressionResponse {
    #[schema(example = "sup_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    /// E.164, or `null` for an email entry.
    #[schema(example = "+14155550100")]
    pub phone: Option<String>,
    /// Lower-cased, or `null` for a phone entry.
    pub email: Option<String>,
    pub channel: SuppressionChannel,
    pub reason: String,
    pub source: Source,
    /// Who added it: a user's or token's name, or `System` (a keyword).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<Suppression> for SuppressionResponse {
    fn from(s: Suppression) -> Self {
        SuppressionResponse {
            id: s.id.to_string(),
            phone: s.phone,
            email: s.email,
            channel: s.channel,
            reason: s.reason,
            source: s.source,
            created_by: s.created_by,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SuppressionPage)]
pub struct SuppressionPage {
    pub data: Vec<SuppressionResponse>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSuppression, example = json!({"phone": "+14155550100", "channel": "ALL", "reason": "Asked not to be called"}))]
pub struct NewSuppressionRequest {
    /// A phone number in any common format (one of `phone`, `email`).
    pub phone: Option<String>,
    pub email: Option<String>,
    /// ISO 3166 alpha-2 for a national `phone` (default `US`).
    pub default_country: Option<String>,
    /// `CALLS`, `SMS` or `ALL` (the default).
    #[schema(value_type = Option<SuppressionChannel>)]
    pub channel: Option<String>,
    /// At most 500 characters.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of a phone number, an email or a reason.
    pub search: Option<String>,
    pub cursor: Option<String>,
    /// 1–100, default 25.
    pub limit: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SuppressionPath {
    /// Suppression ID (`sup_…`)
    #[param(example = "sup_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub suppression_id: String,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// The number to contact (one of `phone`, `email`), any common format.
    #[param(example = "+14155550100")]
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `CALLS` or `SMS`.
    #[param(value_type = Channel, example = "CALLS")]
    pub channel: Option<String>,
    /// ISO 3166 alpha-2 for a national `phone` (default `US`).
    pub default_country: Option<String>,
}

/// An entry that blocks the contact.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SuppressionReason)]
pub struct CheckReason {
    pub id: String,
    pub channel: SuppressionChannel,
    pub reason: String,
    pub source: Source,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SuppressionCheck, example = json!({"allowed": false, "reasons": [{"id": "sup_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "channel": "ALL", "reason": "Opted out by SMS (SMS)", "source": "KEYWORD", "created_at": "2026-12-07T09:00:00Z"}]}))]
pub struct CheckResponse {
    /// Whether the contact may be called (or sent an SMS) now.
    pub allowed: bool,
    /// The entries that block it (empty when allowed).
    pub reasons: Vec<CheckReason>,
}

/// Whether a phone number (or email) may be contacted on a channel, and the
/// entries that block it. The workspace's consent mode applies: in
/// UNIVERSAL any entry blocks every channel; in GRANULAR an entry for that
/// channel or `ALL` does.
#[utoipa::path(get, path = "/api/v1/suppressions/check", tag = "suppressions", params(CheckQuery),
    responses((status = 200, body = CheckResponse)))]
pub async fn check(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<CheckQuery>,
) -> AppResult<Json<CheckResponse>> {
    ctx.require(Permission::ViewWorkspace)?;
    let country = q.default_country.as_deref().filter(|c| !c.is_empty()).unwrap_or(DEFAULT_COUNTRY);
    let subject =
        Subject::parse(q.phone.as_deref(), q.email.as_deref(), country).map_err(|e| AppError::validation(vec![e]))?;
    let channel = q
        .channel
        .as_deref()
        .and_then(Channel::parse)
        .ok_or_else(|| AppError::field("channel", "Choose CALLS or SMS."))?;
    let (allowed, rows) = service::check(&state, &ctx, &subject, channel).await?;
    let reasons = rows
        .into_iter()
        .map(|r| CheckReason {
            id: r.id,
            channel: r.channel,
            reason: r.reason,
            source: r.source,
            created_at: r.created_at,
        })
        .collect();
    Ok(Json(CheckResponse { allowed, reasons }))
}

/// The suppression list, newest first (keyset paged), searched by phone, email or reason.
#[utoipa::path(get, path = "/api/v1/suppressions", tag = "suppressions", params(ListQuery),
    responses((status = 200, body = SuppressionPage)))]
pub async fn list_suppressions(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<SuppressionPage>> {
    ctx.require(Permission::ViewWorkspace)?;
    let limit = pagination::limit(q.limit, 25, 100)?;
    let search = q.search.as_deref().unwrap_or("");
    let (rows, next_cursor) = service::list_page(&state, &ctx, search, q.cursor.as_deref(), limit).await?;
    Ok(Json(SuppressionPage { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

#[utoipa::path(get, path = "/api/v1/suppressions/{suppression_id}", tag = "suppressions", params(SuppressionPath),
    responses((status = 200, body = SuppressionResponse)))]
pub async fn get_suppression(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<SuppressionPath>,
) -> AppResult<Json<SuppressionResponse>> {
    ctx.require(Permission::ViewWorkspace)?;
    Ok(Json(service::find(&state, &ctx, &path.suppression_id).await?.into()))
}

/// Adds a phone number or email to the list (source `API`). A duplicate
/// (same phone or email and channel) is `409 already_suppressed`.
#[utoipa::path(post, path = "/api/v1/suppressions", tag = "suppressions", request_body = NewSuppressionRequest,
    responses((status = 201, body = SuppressionResponse)))]
pub async fn add_suppression(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<NewSuppressionRequest>,
) -> AppResult<(StatusCode, Json<SuppressionResponse>)> {
    ctx.require(Permission::EditResources)?;
    let entry = NewEntry::parse(RawEntry {
        phone: body.phone.as_deref(),
        email: body.email.as_deref(),
        default_country: body.default_country.as_deref(),
        channel: body.channel.as_deref(),
        reason: body.reason.as_deref(),
    })?;
    let added = service::add(&state, &ctx, entry, Source::Api).await?;
    Ok((StatusCode::CREATED, Json(added.into())))
}

/// Removes an entry (Admins). Consent records stay as history.
#[utoipa::path(delete, path = "/api/v1/suppressions/{suppression_id}", tag = "suppressions", params(SuppressionPath),
    responses((status = 204, description = "Removed")))]
pub async fn remove_suppression(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<SuppressionPath>,
) -> AppResult<StatusCode> {
    ctx.require(Permission::ManageSettings)?;
    service::remove(&state, &ctx, &path.suppression_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
