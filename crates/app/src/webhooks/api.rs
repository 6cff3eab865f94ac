//! JSON handlers under `/api/v1/webhooks` (Admins): endpoints, secrets,
//! the event catalogue, deliveries and their attempts, test / resend /
//! recover.
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::{WebhookDeliveryId, WebhookEndpointId};
use utoipa::{IntoParams, ToSchema};

use super::model::{EndpointChange, NewEndpoint};
use super::service;
use super::store::{self, AttemptRow, DeliveryRow, EndpointRow};
use crate::api::{ApiJson, ApiQuery, ListResponse, pagination};
use crate::error::{AppError, AppResult};
use crate::events;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

type NoStore = [(header::HeaderName, &'static str); 1];
const NO_STORE: NoStore = [(header::CACHE_CONTROL, "no-store")];

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointResponse {
    #[schema(example = "ep_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "https://hooks.example.com/switchboard")]
    pub url: String,
    pub description: String,
    /// Empty: every event type.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why it is disabled (by an Admin, `410 Gone`, or failing for days).
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed; `null` when the last one worked.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the previous secret also signs, after a rotation.
    pub previous_secret_signs_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for EndpointResponse {
    fn from(r: EndpointRow) -> Self {
        EndpointResponse {
            id: r.id.into(),
            url: r.url,
            description: r.description,
            event_types: r.event_types.0,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            failing_since: r.failing_since,
            previous_secret_signs_until: r.previous_secret_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    /// The signing secret (`whsec_…`), for verifying `webhook-signature`.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
    #[serde(flatten)]
    pub endpoint: EndpointResponse,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretResponse {
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "member.left", "description": "A member left the workspace.", "version": 1,
    "schema": {"title": "member.left", "type": "object", "required": ["type", "version", "timestamp", "workspace_id", "data"]}
}))]
pub struct EventTypeResponse {
    #[schema(example = "member.role_changed")]
    pub name: String,
    pub description: String,
    pub version: u32,
    /// JSON Schema of the payload.
    #[schema(value_type = Object)]
    pub schema: Value,
}

/// The endpoint id in the path (one parameter set for every route that takes it).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EndpointPath {
    /// Endpoint ID (`ep_…`)
    #[param(example = "ep_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
}

/// The delivery id in the path (one parameter set for every route that takes it).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// Delivery ID (`whd_…`)
    #[param(example = "whd_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
}

/// Every event type an endpoint can receive, with its payload schema.
#[utoipa::path(get, path = "/api/v1/webhooks/event-types", tag = "webhooks",
    responses((status = 200, body = ListResponse<EventTypeResponse>)))]
pub async fn list_event_types(ctx: WorkspaceCtx) -> AppResult<Json<ListResponse<EventTypeResponse>>> {
    ctx.require(Permission::ManageSettings)?;
    let data = events::catalogue()
        .iter()
        .map(|e| EventTypeResponse {
            name: e.name.into(),
            description: e.description.into(),
            version: events::VERSION,
            schema: events::schema(e),
        })
        .collect();
    Ok(Json(ListResponse { data, next_cursor: None }))
}

/// The workspace's endpoints, oldest first.
#[utoipa::path(get, path = "/api/v1/webhooks/endpoints", tag = "webhooks",
    responses((status = 200, body = ListResponse<EndpointResponse>)))]
pub async fn list_endpoints(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
) -> AppResult<Json<ListResponse<EndpointResponse>>> {
    ctx.require(Permission::ManageSettings)?;
    let rows = store::list_endpoints(&state.db, &ctx.workspace.id).await?;
    Ok(Json(ListResponse { data: rows.into_iter().map(Into::into).collect(), next_cursor: None }))
}

/// Adds an endpoint. The response carries its signing secret (also
/// available later from `…/secret`).
#[utoipa::path(post, path = "/api/v1/webhooks/endpoints", tag = "webhooks", request_body = NewEndpoint,
    responses(
        (status = 201, body = EndpointWithSecret),
    ))]
pub async fn create_endpoint(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<NewEndpoint>,
) -> AppResult<(StatusCode, NoStore, Json<EndpointWithSecret>)> {
    let (row, secret) = service::create(&state, &ctx, body).await?;
    Ok((StatusCode::CREATED, NO_STORE, Json(EndpointWithSecret { secret, endpoint: row.into() })))
}

#[utoipa::path(get, path = "/api/v1/webhooks/endpoints/{id}", tag = "webhooks",
    params(EndpointPath),
    responses(
        (status = 200, body = EndpointResponse),
    ))]
pub async fn get_endpoint(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Json<EndpointResponse>> {
    ctx.require(Permission::ManageSettings)?;
    let not_found = || AppError::not_found("The webhook endpoint");
    let id: WebhookEndpointId = id.parse().map_err(|_| not_found())?;
    let row = store::find_endpoint(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    Ok(Json(row.into()))
}

/// Changes the URL, description, event types or enabled state.
#[utoipa::path(patch, path = "/api/v1/webhooks/endpoints/{id}", tag = "webhooks",
    params(EndpointPath),
    request_body = EndpointChange,
    responses(
        (status = 200, body = EndpointResponse),
    ))]
pub async fn update_endpoint(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EndpointChange>,
) -> AppResult<Json<EndpointResponse>> {
    Ok(Json(service::update(&state, &ctx, &id, body).await?.into()))
}

/// Deletes an endpoint and its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/api/v1/webhooks/endpoints/{id}", tag = "webhooks",
    params(EndpointPath),
    responses(
        (status = 204, description = "Deleted"),
    ))]
pub async fn delete_endpoint(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    service::delete(&state, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reveals the endpoint's current signing secret. Each reveal is audited
/// (`webhook_endpoint.secret_viewed`), so it is a POST: a GET (a prefetch,
/// a link, a crawler) must change nothing.
#[utoipa::path(post, path = "/api/v1/webhooks/endpoints/{id}/secret", tag = "webhooks",
    params(EndpointPath),
    responses(
        (status = 200, body = SecretResponse),
    ))]
pub async fn reveal_secret(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<(NoStore, Json<SecretResponse>)> {
    let secret = service::reveal_secret(&state, &ctx, &id).await?;
    Ok((NO_STORE, Json(SecretResponse { secret })))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"overlap_hours": 24}))]
pub struct RotateRequest {
    /// How long the previous secret keeps signing too (0–168 hours, default 24).
    pub overlap_hours: Option<i64>,
}

/// Replaces the signing secret. During the overlap both secrets sign
/// (two `v1,` signatures in `webhook-signature`).
#[utoipa::path(post, path = "/api/v1/webhooks/endpoints/{id}/secret/rotate", tag = "webhooks",
    params(EndpointPath),
    request_body = RotateRequest,
    responses(
        (status = 200, body = EndpointWithSecret),
    ))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RotateRequest>,
) -> AppResult<(NoStore, Json<EndpointWithSecret>)> {
    let (row, secret) = service::rotate_secret(&state, &ctx, &id, body.overlap_hours).await?;
    Ok((NO_STORE, Json(EndpointWithSecret { secret, endpoint: row.into() })))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"message_id": "msg_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "delivery_id": null, "messages": null}))]
pub struct QueuedResponse {
    /// The message (`webhook-id`), for a test event.
    pub message_id: Option<String>,
    /// The new delivery, for a resend.
    pub delivery_id: Option<String>,
    /// How many messages, for a recover.
    pub messages: Option<usize>,
}

/// Queues a `webhook.test` event to this endpoint.
#[utoipa::path(post, path = "/api/v1/webhooks/endpoints/{id}/test", tag = "webhooks",
    params(EndpointPath),
    responses(
        (status = 202, body = QueuedResponse),
    ))]
pub async fn send_test(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<QueuedResponse>)> {
    let msg = service::send_test(&state, &ctx, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(QueuedResponse { message_id: Some(msg.into()), delivery_id: None, messages: None })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"since": "2026-11-28T00:00:00Z"}))]
pub struct RecoverRequest {
    /// Resend every message whose delivery failed at or after this time.
    pub since: DateTime<Utc>,
}

/// Sends again every message that failed to reach this endpoint since a time.
#[utoipa::path(post, path = "/api/v1/webhooks/endpoints/{id}/recover", tag = "webhooks",
    params(EndpointPath),
    request_body = RecoverRequest,
    responses(
        (status = 202, body = QueuedResponse),
    ))]
pub async fn recover(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RecoverRequest>,
) -> AppResult<(StatusCode, Json<QueuedResponse>)> {
    let n = service::recover(&state, &ctx, &id, body.since).await?;
    Ok((StatusCode::ACCEPTED, Json(QueuedResponse { message_id: None, delivery_id: None, messages: Some(n) })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    #[schema(example = "whd_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    pub endpoint_id: String,
    /// The `webhook-id`: the same on every attempt and resend.
    pub message_id: String,
    pub event_type: String,
    /// `pending`, `sending`, `succeeded` or `failed`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (`pending`), or the current one's lease ends (`sending`).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DeliveryRow> for DeliveryResponse {
    fn from(d: DeliveryRow) -> Self {
        DeliveryResponse {
            id: d.id.into(),
            endpoint_id: d.endpoint_id.into(),
            message_id: d.message_id.into(),
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status,
            last_error: d.last_error,
            last_latency_ms: d.last_latency_ms,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "attempt": 1, "started_at": "2026-11-28T12:00:00Z", "latency_ms": 84, "status_code": 200, "error": null,
    "request": {"method": "POST", "url": "https://hooks.example.com/switchboard",
        "headers": {"content-type": "application/json", "webhook-id": "msg_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
        "webhook-timestamp": "1764331200", "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}},
    "response_body": "ok"
}))]
pub struct AttemptResponse {
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub latency_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    /// The request's method, URL and headers (the body is the message payload).
    #[schema(value_type = Object)]
    pub request: Value,
    /// The first 4 KiB of the response body.
    pub response_body: Option<String>,
}

impl From<AttemptRow> for AttemptResponse {
    fn from(a: AttemptRow) -> Self {
        AttemptResponse {
            attempt: a.attempt,
            started_at: a.started_at,
            latency_ms: a.latency_ms,
            status_code: a.status_code,
            error: a.error,
            request: serde_json::from_str(&a.request).unwrap_or_else(|_| Value::Object(Default::default())),
            response_body: a.response_body,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryResponse,
    /// The body sent, exactly as signed.
    pub payload: String,
    pub attempts_log: Vec<AttemptResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–100, default 50.
    pub limit: Option<i64>,
}

/// The endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/endpoints/{id}/deliveries", tag = "webhooks",
    params(EndpointPath, DeliveryQuery),
    responses(
        (status = 200, body = ListResponse<DeliveryResponse>),
    ))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> AppResult<Json<ListResponse<DeliveryResponse>>> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let not_found = || AppError::not_found("The webhook endpoint");
    let id: WebhookEndpointId = id.parse().map_err(|_| not_found())?;
    store::find_endpoint(&state.db, ws, &id).await?.ok_or_else(not_found)?;
    let limit = pagination::limit(q.limit, 50, 100)?;
    let cursor: Option<String> = pagination::decode(q.cursor.as_deref())?;
    let cursor: Option<WebhookDeliveryId> = cursor
        .map(|raw| raw.parse().map_err(|_| AppError::field("cursor", "The cursor is not one this API returned.")))
        .transpose()?;
    let rows = store::list_deliveries(&state.db, ws, &id, cursor.as_ref(), limit + 1).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |d| d.id.to_string());
    Ok(Json(ListResponse { data: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

/// One delivery with its payload and every attempt (request and truncated response).
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries/{id}", tag = "webhooks",
    params(DeliveryPath),
    responses(
        (status = 200, body = DeliveryDetail),
    ))]
pub async fn get_delivery(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Json<DeliveryDetail>> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let not_found = || AppError::not_found("The webhook delivery");
    let id: WebhookDeliveryId = id.parse().map_err(|_| not_found())?;
    let delivery = store::find_delivery(&state.db, ws, &id).await?.ok_or_else(not_found)?;
    let payload = store::message_payload(&state.db, ws, &delivery.message_id).await?.unwrap_or_default();
    let attempts = store::attempts_of(&state.db, ws, &delivery.id).await?;
    Ok(Json(DeliveryDetail {
        delivery: delivery.into(),
        payload,
        attempts_log: attempts.into_iter().map(Into::into).collect(),
    }))
}

/// Sends the delivery's message again (same `webhook-id`), as a new delivery.
#[utoipa::path(post, path = "/api/v1/webhooks/deliveries/{id}/resend", tag = "webhooks",
    params(DeliveryPath),
    responses(
        (status = 202, body = QueuedResponse),
    ))]
pub async fn resend(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<QueuedResponse>)> {
    let delivery_id = service::resend(&state, &ctx, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedResponse { message_id: None, delivery_id: Some(delivery_id.into()), messages: None }),
    ))
}
