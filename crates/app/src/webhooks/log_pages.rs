//! The endpoint page's delivery log (newest first, paged by "Older"), one
//! delivery with its payload and attempts, and the manual actions on the
//! log: resend one delivery, recover every failed message since a time.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDateTime, TimeZone, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::WebhookDeliveryId;

use super::pages::{Extras, endpoint_path, find, render_endpoint};
use super::service;
use super::store::{self, DeliveryRow, EndpointRow};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::{Flash, Page, redirect_with_flash, time};

/// Deliveries per page of the log.
const PAGE_SIZE: i64 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    /// Show deliveries older than this one (a delivery ID).
    pub before: Option<String>,
}

#[derive(Serialize)]
struct DeliveryView {
    id: String,
    event_type: String,
    status: String,
    status_label: &'static str,
    last_status: Option<i32>,
    last_error: Option<String>,
    latency_ms: Option<i64>,
    attempts: i32,
    next_retry: Option<time::TimeView>,
    created: time::TimeView,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "succeeded" => "Succeeded",
        "failed" => "Failed",
        "sending" => "Sending",
        _ => "Pending",
    }
}

fn delivery_view(d: DeliveryRow, ctx: &WorkspaceCtx, now: chrono::DateTime<Utc>) -> DeliveryView {
    let tz = ctx.workspace.tz();
    DeliveryView {
        status_label: status_label(&d.status),
        // Only a pending delivery waits for a retry; for one being sent the
        // time is its lease.
        next_retry: d.next_attempt_at.filter(|_| d.status == "pending").map(|at| time::view(at, tz, now)),
        created: time::view(d.created_at, tz, now),
        id: d.id.into(),
        event_type: d.event_type,
        status: d.status,
        last_status: d.last_status,
        last_error: d.last_error,
        latency_ms: d.last_latency_ms,
        attempts: d.attempts,
    }
}

/// One page of the endpoint's log, with the link to the older page.
pub(super) async fn log_view(
    state: &AppState,
    ctx: &WorkspaceCtx,
    endpoint: &EndpointRow,
    q: &LogQuery,
) -> AppResult<minijinja::Value> {
    let now = state.clock.now();
    // A cursor that does not decode (edited by hand) shows the newest page.
    let before: Option<String> = crate::api::pagination::decode(q.before.as_deref()).ok().flatten();
    let before: Option<WebhookDeliveryId> = before.and_then(|b| b.parse().ok());
    let rows =
        store::list_deliveries(&state.db, &ctx.workspace.id, &endpoint.id, before.as_ref(), PAGE_SIZE + 1).await?;
    let (rows, next) = crate::api::pagination::page(rows, PAGE_SIZE, |d| d.id.to_string());
    let older = next.map(|cursor| format!("{}?before={cursor}#deliveries", endpoint_path(endpoint.id.as_str())));
    let deliveries: Vec<DeliveryView> = rows.into_iter().map(|d| delivery_view(d, ctx, now)).collect();
    Ok(context! {
        deliveries => deliveries,
        older => older,
        newest => before.map(|_| format!("{}#deliveries", endpoint_path(endpoint.id.as_str()))),
    })
}

/// The delivery, when it belongs to this endpoint of this workspace.
async fn find_delivery(
    state: &AppState,
    ctx: &WorkspaceCtx,
    endpoint: &EndpointRow,
    delivery_id: &str,
) -> AppResult<DeliveryRow> {
    let not_found = || AppError::not_found("The webhook delivery");
    let delivery_id: WebhookDeliveryId = delivery_id.parse().map_err(|_| not_found())?;
    store::find_delivery(&state.db, &ctx.workspace.id, &delivery_id)
        .await?
        .filter(|d| d.endpoint_id == endpoint.id)
        .ok_or_else(not_found)
}

#[derive(Serialize)]
struct AttemptView {
    attempt: i32,
    started: time::TimeView,
    latency_ms: i64,
    status_code: Option<i32>,
    error: Option<String>,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    response_body: Option<String>,
}

fn attempt_view(a: store::AttemptRow, ctx: &WorkspaceCtx, now: chrono::DateTime<Utc>) -> AttemptView {
    let request: Value = serde_json::from_str(&a.request).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    let headers = request["headers"]
        .as_object()
        .map(|h| h.iter().map(|(k, v)| (k.clone(), text(v))).collect())
        .unwrap_or_default();
    AttemptView {
        attempt: a.attempt,
        started: time::view(a.started_at, ctx.workspace.tz(), now),
        latency_ms: a.latency_ms,
        status_code: a.status_code,
        error: a.error,
        method: request["method"].as_str().unwrap_or("POST").to_string(),
        url: request["url"].as_str().unwrap_or_default().to_string(),
        headers,
        response_body: a.response_body,
    }
}

pub async fn delivery_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path((id, delivery_id)): Path<(String, String)>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let endpoint = find(&state, &ctx, &id).await?;
    let delivery = find_delivery(&state, &ctx, &endpoint, &delivery_id).await?;
    let now = state.clock.now();
    let raw = store::message_payload(&state.db, &ctx.workspace.id, &delivery.message_id).await?;
    // Shown pretty; the body sent was the compact text, exactly as signed.
    let payload = raw.map(|p| {
        serde_json::from_str::<Value>(&p).ok().and_then(|v| serde_json::to_string_pretty(&v).ok()).unwrap_or(p)
    });
    let attempts: Vec<AttemptView> = store::attempts_of(&state.db, &ctx.workspace.id, &delivery.id)
        .await?
        .into_iter()
        .map(|a| attempt_view(a, &ctx, now))
        .collect();
    let message_id = delivery.message_id.clone();
    crate::settings::render(
        &state,
        &page,
        StatusCode::OK,
        "developer",
        "webhooks/delivery.html",
        context! {
            title => format!("Delivery of {}", delivery.event_type),
            ws_id => ctx.workspace.id.to_string(),
            endpoint => context! { id => endpoint.id, url => endpoint.url, enabled => endpoint.enabled },
            message_id => message_id,
            delivery => delivery_view(delivery, &ctx, now),
            payload => payload,
            attempts => attempts,
        },
    )
    .await
}

/// A conflict (the endpoint is disabled) as a toast on the endpoint page.
pub(super) fn conflict_as_toast(err: AppError, endpoint_id: &str) -> AppResult<Response> {
    match err.problem() {
        Some(p) if p.status == StatusCode::CONFLICT => {
            Ok(redirect_with_flash(&endpoint_path(endpoint_id), Flash::error(p.detail.clone())))
        }
        _ => Err(err),
    }
}

pub async fn resend_delivery(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path((id, delivery_id)): Path<(String, String)>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let endpoint = find(&state, &ctx, &id).await?;
    let delivery = find_delivery(&state, &ctx, &endpoint, &delivery_id).await?;
    match service::resend(&state, &ctx, delivery.id.as_str()).await {
        Ok(_) => Ok(redirect_with_flash(
            &format!("{}#deliveries", endpoint_path(endpoint.id.as_str())),
            Flash::success(format!("The {} message was queued again, with the same webhook-id.", delivery.event_type)),
        )),
        Err(err) => conflict_as_toast(err, endpoint.id.as_str()),
    }
}

#[derive(Deserialize)]
pub struct RecoverForm {
    #[serde(default)]
    since: String,
}

/// `2026-11-28T09:30` (a `datetime-local` field) in the workspace timezone.
fn parse_since(raw: &str, tz: chrono_tz::Tz) -> AppResult<chrono::DateTime<Utc>> {
    let raw = raw.trim();
    let bad = || AppError::field("since", "Enter a date and time, such as 2026-11-28T09:30.");
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| bad())?;
    // A time skipped by a clock change has no instant; take the next one.
    let local = tz.from_local_datetime(&naive).earliest().ok_or_else(bad)?;
    Ok(local.with_timezone(&Utc))
}

pub async fn recover(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<RecoverForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let endpoint = find(&state, &ctx, &id).await?;
    let recovered = match parse_since(&form.since, ctx.workspace.tz()) {
        Ok(since) => service::recover(&state, &ctx, endpoint.id.as_str(), since).await,
        Err(err) => Err(err),
    };
    match recovered {
        Ok(n) => {
            let text = match n {
                0 => "No failed messages since then: nothing to send again.".to_string(),
                1 => "1 failed message was queued again.".to_string(),
                n => format!("{n} failed messages were queued again."),
            };
            Ok(redirect_with_flash(
                &format!("{}#deliveries", endpoint_path(endpoint.id.as_str())),
                Flash::success(text),
            ))
        }
        Err(err) => {
            let Some(errors) = err.field_messages() else { return conflict_as_toast(err, endpoint.id.as_str()) };
            let extras =
                Extras { errors, since: Some(form.since), open_dialog: Some("recover-dialog"), ..Extras::default() };
            render_endpoint(
                &state,
                &ctx,
                &page,
                &endpoint,
                &LogQuery::default(),
                extras,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_read_in_the_workspace_timezone() {
        let at = parse_since("2026-11-28T13:10", chrono_tz::Europe::Paris).ok();
        assert_eq!(at.map(|t| t.to_rfc3339()), Some("2026-11-28T12:10:00+00:00".to_string()));
        assert!(parse_since("yesterday", chrono_tz::UTC).is_err());
        assert!(parse_since("", chrono_tz::UTC).is_err());
    }
}
