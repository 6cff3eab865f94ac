//! Webhook endpoints (create, edit, enable/disable, delete, secrets), the
//! manual actions (test event, resend, recover), and recording each
//! attempt's outcome (retry schedule, 410, disabling an endpoint that keeps
//! failing). Every change and its audit entry commit together.
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::{WebhookDeliveryId, WebhookEndpointId, WebhookMessageId, WorkspaceId};
use switchboard_db::Tx;

use super::delivery::{Claimed, Outcome};
use super::model::{EndpointChange, NewEndpoint};
use super::store::{self, EndpointRow};
use super::{enqueue, secret};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::events;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// A workspace may have this many endpoints.
pub const MAX_ENDPOINTS: usize = 50;
/// How long the previous secret keeps signing after a rotation, by default.
pub const DEFAULT_ROTATION_OVERLAP_HOURS: i64 = 24;

fn target(e: &EndpointRow) -> Target {
    Target::new("webhook_endpoint", e.id.as_str(), e.url.clone())
}

fn not_found() -> AppError {
    AppError::not_found("The webhook endpoint")
}

async fn find(tx: &mut Tx, ctx: &WorkspaceCtx, id: &str) -> AppResult<EndpointRow> {
    let id: WebhookEndpointId = id.parse().map_err(|_| not_found())?;
    store::find_endpoint(&mut *tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)
}

pub async fn create(state: &AppState, ctx: &WorkspaceCtx, new: NewEndpoint) -> AppResult<(EndpointRow, String)> {
    ctx.require(Permission::ManageSettings)?;
    let new = new.validated(state.config.webhooks.allow_private_targets)?;
    let now = state.clock.now();
    let id = WebhookEndpointId::new();
    let signing_secret = secret::generate();
    let row = EndpointRow {
        secret_enc: secret::seal(&state.server_key, id.as_str(), &signing_secret)?,
        id,
        workspace_id: ctx.workspace.id.clone(),
        url: new.url,
        description: new.description,
        event_types: sqlx::types::Json(new.event_types),
        enabled: new.enabled,
        disabled_reason: None,
        previous_secret_enc: None,
        previous_secret_until: None,
        failing_since: None,
        created_by: ctx.user_id.clone(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin().await?;
    if store::list_endpoints(&mut tx, &ctx.workspace.id).await?.len() >= MAX_ENDPOINTS {
        return Err(AppError::field("url", format!("A workspace can have at most {MAX_ENDPOINTS} webhook endpoints.")));
    }
    store::insert_endpoint(&mut tx, &ctx.workspace.id, &row).await?;
    let changes = Changes::new()
        .field("url", (), &row.url)
        .field("description", (), &row.description)
        .field("event_types", (), &row.event_types.0)
        .field("enabled", (), row.enabled)
        .field("secret", (), "[redacted]");
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::CREATED, &target(&row), &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok((row, signing_secret))
}

pub async fn update(state: &AppState, ctx: &WorkspaceCtx, id: &str, change: EndpointChange) -> AppResult<EndpointRow> {
    ctx.require(Permission::ManageSettings)?;
    let change = change.validated(state.config.webhooks.allow_private_targets)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = find(&mut tx, ctx, id).await?;
    let mut after = before.clone();
    if let Some(url) = change.url {
        after.url = url;
    }
    if let Some(description) = change.description {
        after.description = description;
    }
    if let Some(types) = change.event_types {
        after.event_types = sqlx::types::Json(types);
    }
    if let Some(enabled) = change.enabled {
        after.enabled = enabled;
        if enabled {
            // Enabled again by a person: the failure clock starts over.
            after.disabled_reason = None;
            after.failing_since = None;
        } else if before.enabled {
            after.disabled_reason = Some("Disabled by an Admin.".into());
        }
    }
    let changes = Changes::new()
        .field("url", &before.url, &after.url)
        .field("description", &before.description, &after.description)
        .field("event_types", &before.event_types.0, &after.event_types.0)
        .field("enabled", before.enabled, after.enabled);
    if !changes.is_empty() {
        after.updated_at = now;
        store::update_endpoint(&mut tx, &ctx.workspace.id, &after).await?;
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::UPDATED, &target(&after), &changes, now).await?;
    }
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(after)
}

pub async fn delete(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<()> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = find(&mut tx, ctx, id).await?;
    store::delete_endpoint(&mut tx, &ctx.workspace.id, &row.id).await?;
    let changes = Changes::new()
        .field("url", &row.url, ())
        .field("description", &row.description, ())
        .field("event_types", &row.event_types.0, ())
        .field("enabled", row.enabled, ());
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::DELETED, &target(&row), &changes, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The endpoint's current signing secret, for an Admin who asks to see it.
/// Each viewing is audited (the secret itself never is).
pub async fn reveal_secret(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<String> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = find(&mut tx, ctx, id).await?;
    let plain = secret::open(&state.server_key, row.id.as_str(), &row.secret_enc)?.into_exposed();
    let changes = Changes::new().field("secret_viewed", (), true);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::SECRET_VIEWED, &target(&row), &changes, now).await?;
    tx.commit().await?;
    Ok(plain)
}

/// A new secret; the previous one keeps signing for `overlap_hours`, so
/// receivers can switch without missing a message.
pub async fn rotate_secret(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &str,
    overlap_hours: Option<i64>,
) -> AppResult<(EndpointRow, String)> {
    ctx.require(Permission::ManageSettings)?;
    let overlap_hours = overlap_hours.unwrap_or(DEFAULT_ROTATION_OVERLAP_HOURS);
    if !(0..=168).contains(&overlap_hours) {
        return Err(AppError::field("overlap_hours", "The overlap must be between 0 and 168 hours."));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let mut row = find(&mut tx, ctx, id).await?;
    let fresh = secret::generate();
    row.previous_secret_enc = (overlap_hours > 0).then(|| row.secret_enc.clone());
    row.previous_secret_until = (overlap_hours > 0).then(|| now + chrono::Duration::hours(overlap_hours));
    row.secret_enc = secret::seal(&state.server_key, row.id.as_str(), &fresh)?;
    row.updated_at = now;
    store::update_endpoint(&mut tx, &ctx.workspace.id, &row).await?;
    let changes = Changes::new().field("secret", "[redacted]", "[redacted, rotated]").field(
        "previous_secret_signs_until",
        (),
        row.previous_secret_until,
    );
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::SECRET_ROTATED, &target(&row), &changes, now).await?;
    tx.commit().await?;
    Ok((row, fresh))
}

/// Queues a `webhook.test` message to this endpoint only.
pub async fn send_test(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<WebhookMessageId> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = find(&mut tx, ctx, id).await?;
    if !row.enabled {
        return Err(AppError::conflict("endpoint_disabled", "Enable the endpoint before sending it a test event."));
    }
    let data = json!({"endpoint_id": row.id, "message": "A test event from Switchboard. It changes nothing."});
    let payload = events::envelope(&events::WEBHOOK_TEST, &ctx.workspace.id, now, data);
    let msg =
        enqueue::message(&mut tx, &ctx.workspace.id, events::WEBHOOK_TEST.name, &payload, &[&row.id], now).await?;
    let changes = Changes::new().field("message_id", (), &msg);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::TEST_SENT, &target(&row), &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(msg)
}

/// Sends one delivery's message again to its endpoint (same `webhook-id`),
/// as a new delivery with a fresh retry schedule.
pub async fn resend(state: &AppState, ctx: &WorkspaceCtx, delivery_id: &str) -> AppResult<WebhookDeliveryId> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    let ws = &ctx.workspace.id;
    let delivery_not_found = || AppError::not_found("The webhook delivery");
    let delivery_id: WebhookDeliveryId = delivery_id.parse().map_err(|_| delivery_not_found())?;
    let mut tx = state.db.begin().await?;
    let delivery = store::find_delivery(&mut tx, ws, &delivery_id).await?.ok_or_else(delivery_not_found)?;
    let endpoint = find(&mut tx, ctx, delivery.endpoint_id.as_str()).await?;
    if !endpoint.enabled {
        return Err(AppError::conflict("endpoint_disabled", "Enable the endpoint before resending to it."));
    }
    let id = store::insert_delivery(&mut tx, ws, &endpoint.id, &delivery.message_id, &delivery.event_type, now).await?;
    let changes = Changes::new().field("message_id", (), &delivery.message_id).field("delivery_id", (), &id);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::DELIVERY_RESENT, &target(&endpoint), &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(id)
}

/// Sends again every message whose delivery to this endpoint failed since
/// `since`; returns how many.
pub async fn recover(state: &AppState, ctx: &WorkspaceCtx, id: &str, since: DateTime<Utc>) -> AppResult<usize> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    if since > now {
        return Err(AppError::field("since", "Choose a time in the past."));
    }
    let mut tx = state.db.begin().await?;
    let endpoint = find(&mut tx, ctx, id).await?;
    if !endpoint.enabled {
        return Err(AppError::conflict("endpoint_disabled", "Enable the endpoint before recovering its messages."));
    }
    // Each failed message once, unless it has since been delivered (or is
    // on its way) by another delivery.
    let failed = store::failed_messages_since(&mut tx, &ctx.workspace.id, &endpoint.id, since).await?;
    for (message_id, event_type) in &failed {
        store::insert_delivery(&mut tx, &ctx.workspace.id, &endpoint.id, message_id, event_type, now).await?;
    }
    let changes = Changes::new().field("since", (), since).field("messages_recovered", (), failed.len());
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::RECOVERED, &target(&endpoint), &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(failed.len())
}

/// The delay before attempt `attempts + 1`, ±20 % jitter; `None` when the
/// schedule is used up.
pub fn next_delay(schedule: &[std::time::Duration], attempts: i32) -> Option<chrono::Duration> {
    let base = schedule.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    let factor = 0.8 + rand::random::<f64>() * 0.4;
    chrono::Duration::from_std(base.mul_f64(factor)).ok()
}

/// Records an attempt and moves its delivery on: delivered on 2xx; on 410
/// the endpoint is disabled; otherwise retried per the schedule, or failed
/// when it is used up. An endpoint whose attempts have all failed for
/// `--webhook-disable-after` is disabled and its Admins are emailed. A
/// worker whose lease ran out (and whose delivery was claimed again) only
/// adds its attempt to the log.
pub async fn record_outcome(state: &AppState, claimed: &Claimed, outcome: &Outcome) -> anyhow::Result<()> {
    let now = state.clock.now();
    let config = &state.config.webhooks;
    let mut tx = state.db.begin().await?;
    // Its endpoint (and with it the delivery) may have been deleted
    // while the request was out: then there is nothing to record.
    let ws = &claimed.workspace_id;
    if !store::delivery_exists(&mut tx, ws, &claimed.id).await? {
        return Ok(());
    }
    let attempt = store::NewAttempt {
        delivery_id: &claimed.id,
        attempt: claimed.attempts,
        started_at: outcome.started_at,
        latency_ms: outcome.latency_ms,
        status_code: outcome.status.map(i32::from),
        error: outcome.error.as_deref(),
        request: outcome.request.to_string(),
        response_body: outcome.response_body.as_deref(),
    };
    store::insert_attempt(&mut tx, ws, &attempt).await?;
    let gone = outcome.status == Some(410);
    let (status, next) = if outcome.succeeded() {
        ("succeeded", None)
    } else if gone {
        ("failed", None)
    } else {
        match next_delay(&config.retry_schedule, claimed.attempts) {
            Some(delay) => ("pending", Some(now + delay)),
            None => ("failed", None),
        }
    };
    let update = store::DeliveryUpdate {
        status,
        next_attempt_at: next,
        last_status: outcome.status.map(i32::from),
        last_error: outcome.error.as_deref(),
    };
    if store::finish_attempt(&mut tx, ws, &claimed.id, claimed.attempts, &update, now).await? {
        update_endpoint_health(&mut tx, state, claimed, outcome, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn update_endpoint_health(
    tx: &mut Tx,
    state: &AppState,
    claimed: &Claimed,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (ws, id) = (&claimed.workspace_id, &claimed.endpoint_id);
    if outcome.succeeded() {
        store::mark_healthy(&mut *tx, ws, id).await?;
        return Ok(());
    }
    store::mark_failing(&mut *tx, ws, id, now).await?;
    let Some(row) = store::find_endpoint(&mut *tx, ws, id).await?.filter(|r| r.enabled) else { return Ok(()) };
    let disable_after = chrono::Duration::from_std(state.config.webhooks.disable_after)?;
    let reason = if outcome.status == Some(410) {
        Some("The endpoint answered 410 Gone.".to_string())
    } else if row.failing_since.is_some_and(|since| now - since >= disable_after) {
        Some(format!("Every attempt failed for {} days.", disable_after.num_days().max(1)))
    } else {
        None
    };
    let Some(reason) = reason else { return Ok(()) };
    let mut after = row.clone();
    after.enabled = false;
    after.disabled_reason = Some(reason.clone());
    after.updated_at = now;
    store::update_endpoint(&mut *tx, ws, &after).await?;
    let changes = Changes::new().field("enabled", true, false).field("disabled_reason", (), &reason);
    audit::record(tx, &Origin::system(ws.clone()), &super::DISABLED, &target(&after), &changes, now).await?;
    email_admins(tx, state, ws, &after, &reason, now).await?;
    Ok(())
}

/// Tells every Admin of the workspace that an endpoint was disabled.
async fn email_admins(
    tx: &mut Tx,
    state: &AppState,
    workspace_id: &WorkspaceId,
    endpoint: &EndpointRow,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (workspace, admins) = crate::tenancy::admins_to_notify(tx, workspace_id).await?;
    let link = format!("{}/settings/developer/webhooks/{}", state.public_url, endpoint.id);
    for (i, to) in admins.into_iter().enumerate() {
        let message = super::email::disabled_endpoint(&to, &workspace, endpoint, reason, &link, i);
        crate::jobs::email::enqueue_email(tx, Some(workspace_id.clone()), &message, now).await?;
    }
    state.jobs_wakeup.notify_one();
    Ok(())
}
