//! `POST /inbound/stripe`: the signature is checked before this runs
//! (`inbound::stack` with `[inbound] stripe_webhook_secret`); here the
//! event is read, matched to a workspace, and handled exactly once.
use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use serde_json::{Value, json};
use switchboard_core::WorkspaceId;
use switchboard_db::{Tx, execute, fetch_optional};

use super::effects;
use crate::error::{AppError, AppResult};
use crate::inbound::Verified;
use crate::payments::methods::payment_error;
use crate::state::AppState;

/// The parts of a Stripe event this server reads.
pub(super) struct Event {
    pub id: String,
    pub kind: String,
    pub object: Value,
}

fn parse(body: &[u8]) -> AppResult<Event> {
    let bad = || AppError::bad_request("invalid_event", "The body is not a Stripe event.");
    let value: Value = serde_json::from_slice(body).map_err(|_| bad())?;
    let id = value["id"].as_str().filter(|s| s.starts_with("evt_")).ok_or_else(bad)?.to_string();
    let kind = value["type"].as_str().ok_or_else(bad)?.to_string();
    let object = value["data"]["object"].clone();
    // Only the events handled need their object; others are acknowledged as they are.
    if effects::HANDLED.contains(&kind.as_str()) && !object.is_object() {
        return Err(bad());
    }
    Ok(Event { id, kind, object })
}

fn answer(outcome: &str) -> Json<Value> {
    Json(json!({ "received": true, "outcome": outcome }))
}

pub async fn receive(State(state): State<AppState>, _verified: Verified, body: Bytes) -> AppResult<Json<Value>> {
    let event = parse(&body)?;
    if !effects::HANDLED.contains(&event.kind.as_str()) {
        return Ok(answer("ignored"));
    }
    let Some(ws) = workspace_of(&state, &event.object).await? else {
        tracing::warn!(event = %event.id, kind = %event.kind, "stripe event for no known workspace");
        return Ok(answer("no_workspace"));
    };
    if already_handled(&state, &event.id).await? {
        return Ok(answer("replayed"));
    }
    // The one effect that needs Stripe: brand and last four of the saved
    // method, read before the transaction (no lock held over the network).
    let method = if event.kind == "checkout.session.completed" && event.object["mode"] == "setup" {
        let session = event.object["id"].as_str().unwrap_or_default();
        Some(state.payments.completed_setup(session).await.map_err(payment_error)?)
    } else {
        None
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !claim(&mut tx, &event, now).await? {
        // Handled by a concurrent delivery since the check above.
        return Ok(answer("replayed"));
    }
    effects::apply(&mut tx, &state, &ws, &event, method.as_ref(), now).await?;
    tx.commit().await?;
    state.jobs_wakeup.notify_one();
    state.webhooks_wakeup.notify_one();
    Ok(answer("handled"))
}

async fn already_handled(state: &AppState, id: &str) -> AppResult<bool> {
    let row: Option<(String,)> =
        fetch_optional!(&state.db, (String,), "SELECT id FROM processor_events WHERE id = $1", id)?;
    Ok(row.is_some())
}

/// Records the event as handled; `false` when it already was.
async fn claim(tx: &mut Tx, event: &Event, now: chrono::DateTime<chrono::Utc>) -> AppResult<bool> {
    let inserted = execute!(
        &mut *tx,
        "INSERT INTO processor_events (id, kind, received_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        &event.id,
        &event.kind,
        now
    )?;
    Ok(inserted > 0)
}

/// The workspace an event's object belongs to: by the Stripe customer we
/// stored, else by the subscription, else by `metadata.workspace_id` of a
/// workspace that exists.
async fn workspace_of(state: &AppState, object: &Value) -> AppResult<Option<WorkspaceId>> {
    let id_of = |field: &str| match &object[field] {
        Value::String(id) => Some(id.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    let lookups = [
        (id_of("customer"), "SELECT workspace_id FROM subscriptions WHERE customer_ref = $1"),
        (id_of("subscription"), "SELECT workspace_id FROM subscriptions WHERE subscription_ref = $1"),
        (
            object["metadata"]["workspace_id"].as_str().map(str::to_string),
            "SELECT workspace_id FROM subscriptions WHERE workspace_id = $1",
        ),
    ];
    for (key, sql) in lookups {
        let Some(key) = key else { continue };
        let row: Option<(String,)> = fetch_optional!(&state.db, (String,), sql, &key)?;
        if let Some(ws) = row.and_then(|(id,)| id.parse().ok()) {
            return Ok(Some(ws));
        }
    }
    Ok(None)
}
