//! Turning a change into messages and deliveries, inside the change's
//! transaction: the audit write path calls [`from_audit_entry`] for every
//! entry, so an event exists exactly when its change committed.
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use switchboard_core::{WebhookMessageId, WorkspaceId};
use switchboard_db::{Tx, fetch_optional};

use super::events::{self, AUDIT_ENTRY_CREATED};
use super::store::{self, EndpointRow};
use crate::audit::AuditEntry;
use crate::audit::api::AuditEntryResponse;

/// The Standard Webhooks envelope, serialised once: these exact bytes are
/// signed and sent on every attempt.
pub fn envelope(event_type: &str, workspace_id: &str, now: DateTime<Utc>, data: Value) -> String {
    json!({
        "type": event_type,
        "version": events::VERSION,
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Micros, true),
        "workspace_id": workspace_id,
        "data": data,
    })
    .to_string()
}

/// Stores one message and a delivery to each of `endpoints`.
pub async fn message(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    event_type: &str,
    payload: &str,
    endpoints: &[&EndpointRow],
    now: DateTime<Utc>,
) -> Result<WebhookMessageId, sqlx::Error> {
    let id = WebhookMessageId::new();
    store::insert_message(&mut *tx, workspace_id, &id, event_type, payload, now).await?;
    for endpoint in endpoints {
        store::insert_delivery(&mut *tx, workspace_id, &endpoint.id, &id, event_type, now).await?;
    }
    Ok(id)
}

/// Enqueues the events an audit entry raises: its typed event (when its
/// action is in the catalogue) and `audit.entry_created`, each to the
/// workspace's enabled endpoints that subscribe to it. With no endpoint,
/// it costs one indexed query.
pub async fn from_audit_entry(
    tx: &mut Tx,
    workspace_id: &str,
    entry: impl FnOnce() -> AuditEntry,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let ws: WorkspaceId = workspace_id.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let endpoints = store::enabled_endpoints(&mut *tx, &ws).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let entry = entry();
    if let Some(event) = events::for_action(&entry.action) {
        let subscribed: Vec<&EndpointRow> = endpoints.iter().filter(|e| e.subscribes_to(event.name)).collect();
        if !subscribed.is_empty() {
            let data = json!({
                "object": {"type": entry.target_type, "id": entry.target_id, "name": entry.target_name},
                "actor": {"type": entry.actor_type, "id": entry.actor_id, "name": entry.actor_name},
                "changes": entry.changes.0,
                "audit_entry_id": entry.id,
            });
            let payload = envelope(event.name, workspace_id, now, data);
            message(tx, &ws, event.name, &payload, &subscribed, now).await?;
        }
    }
    let subscribed: Vec<&EndpointRow> = endpoints.iter().filter(|e| e.subscribes_to(AUDIT_ENTRY_CREATED)).collect();
    if !subscribed.is_empty() {
        let tz: Option<(String,)> =
            fetch_optional!(&mut *tx, (String,), "SELECT timezone FROM workspaces WHERE id = $1", workspace_id)?;
        let tz = tz.and_then(|(t,)| t.parse::<chrono_tz::Tz>().ok()).unwrap_or(chrono_tz::UTC);
        let data = json!({ "entry": AuditEntryResponse::new(entry, tz) });
        let payload = envelope(AUDIT_ENTRY_CREATED, workspace_id, now, data);
        message(tx, &ws, AUDIT_ENTRY_CREATED, &payload, &subscribed, now).await?;
    }
    Ok(())
}
