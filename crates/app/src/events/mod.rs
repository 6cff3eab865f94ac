//! Events: what the outside world can be told about a workspace, and the
//! one way to tell it. [`emit`] writes an event to the outbox inside the
//! caller's transaction, so it exists exactly when the change committed.
//!
//! Event types are typed values declared by the feature that raises them
//! (`workspaces::WORKSPACE_UPDATED_EVENT`, …) and listed in its
//! registration; audit actions name the event they publish, so
//! `audit::record` emits through here and never knows who listens. The
//! outbox itself (today: webhook endpoints and their delivery queue) is
//! plugged in by the feature that owns it, through [`Outbox`], so this
//! module and the audit log import no feature.
//!
//! Every payload is the Standard Webhooks envelope
//! `{"type", "timestamp", "data"}` plus `version` and `workspace_id`.
mod schema;

use std::sync::OnceLock;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use switchboard_core::WorkspaceId;
use switchboard_db::Tx;

pub use schema::{add_to_openapi, schema};

/// The payload schema version; bumped only with a breaking change.
pub const VERSION: u32 = 1;

/// What an event's `data` holds.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    /// A change: `object`, `actor`, `changes.<field>.before/after` for the
    /// type's `fields`, and `audit_entry_id`. Raised by an audit action.
    Change,
    /// Any other shape; the function returns the JSON Schema of `data`.
    #[serde(skip)]
    Custom(fn() -> Value),
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct EventType {
    pub name: &'static str,
    pub description: &'static str,
    /// What `data.object.type` is.
    pub object: &'static str,
    /// The fields `data.changes` may hold (for [`Payload::Change`]), or the
    /// top-level fields of `data` (for [`Payload::Custom`]).
    pub fields: &'static [&'static str],
    #[serde(skip)]
    pub payload: Payload,
    /// Offered to subscribers by name (false for `webhook.test`, which is
    /// only ever sent to the one endpoint being tested).
    #[serde(skip)]
    pub subscribable: bool,
}

impl EventType {
    pub const fn change(
        name: &'static str,
        description: &'static str,
        object: &'static str,
        fields: &'static [&'static str],
    ) -> Self {
        EventType { name, description, object, fields, payload: Payload::Change, subscribable: true }
    }

    pub const fn custom(
        name: &'static str,
        description: &'static str,
        object: &'static str,
        fields: &'static [&'static str],
        data_schema: fn() -> Value,
    ) -> Self {
        EventType { name, description, object, fields, payload: Payload::Custom(data_schema), subscribable: true }
    }
}

/// Raised for every audit entry; `data.entry` is the entry.
pub const AUDIT_ENTRY_CREATED: EventType = EventType::custom(
    "audit.entry_created",
    "Any audit log entry was written (every change in the workspace); `data.entry` is the entry.",
    "audit_entry",
    &["entry"],
    || {
        json!({
            "type": "object",
            "required": ["entry"],
            "properties": {"entry": {"$ref": "#/components/schemas/AuditEntryResponse"}}
        })
    },
);

/// Sent by "Send test event" to one endpoint; it changes nothing.
pub const WEBHOOK_TEST: EventType = EventType {
    subscribable: false,
    ..EventType::custom(
        "webhook.test",
        "Sent by \"Send test event\"; it changes nothing.",
        "webhook_endpoint",
        &["endpoint_id", "message"],
        || {
            json!({
                "type": "object",
                "required": ["endpoint_id", "message"],
                "properties": {"endpoint_id": {"type": "string"}, "message": {"type": "string"}}
            })
        },
    )
};

/// The platform's own event types (features add theirs at registration).
pub const PLATFORM_EVENTS: &[&EventType] = &[&AUDIT_ENTRY_CREATED, &WEBHOOK_TEST];

/// Who in a workspace listens, as the outbox reports it: one entry per
/// receiver (a webhook endpoint) with the types it wants (`None`: all).
#[derive(Debug, Clone, Default)]
pub struct Listeners(pub Vec<Listener>);

#[derive(Debug, Clone)]
pub struct Listener {
    pub id: String,
    pub event_types: Option<Vec<String>>,
}

impl Listener {
    pub fn wants(&self, event: &EventType) -> bool {
        self.event_types.as_ref().is_none_or(|types| types.iter().any(|t| t == event.name))
    }
}

impl Listeners {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn wanting(&self, event: &EventType) -> Vec<&Listener> {
        self.0.iter().filter(|l| l.wants(event)).collect()
    }
}

/// Where events go. Implemented by the webhooks feature; installed once
/// at start ([`install`]).
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// The workspace's listeners now, read in `tx` (one indexed query).
    async fn listeners(&self, tx: &mut Tx, workspace_id: &WorkspaceId) -> Result<Listeners, sqlx::Error>;
    /// Stores one message (`payload`, the exact bytes to send) for `to`.
    async fn write(
        &self,
        tx: &mut Tx,
        workspace_id: &WorkspaceId,
        event: &EventType,
        payload: &str,
        to: &[&Listener],
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error>;
}

struct Installed {
    catalogue: Vec<&'static EventType>,
    outbox: Option<&'static dyn Outbox>,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Installs the event catalogue and the outbox for this process (the
/// feature registration does it when the app is built; later calls keep
/// the first).
pub fn install(features: &[&'static EventType], outbox: Option<&'static dyn Outbox>) {
    let _ = INSTALLED.get_or_init(|| {
        let mut catalogue: Vec<&'static EventType> = Vec::new();
        for event in features.iter().chain(PLATFORM_EVENTS) {
            if !catalogue.iter().any(|e| e.name == event.name) {
                catalogue.push(event);
            }
        }
        Installed { catalogue, outbox }
    });
}

/// Every event type, the features' first, then the platform's.
pub fn catalogue() -> &'static [&'static EventType] {
    match INSTALLED.get() {
        Some(installed) => &installed.catalogue,
        None => PLATFORM_EVENTS,
    }
}

pub fn find(name: &str) -> Option<&'static EventType> {
    catalogue().iter().copied().find(|e| e.name == name)
}

fn outbox() -> Option<&'static dyn Outbox> {
    INSTALLED.get().and_then(|i| i.outbox)
}

/// The Standard Webhooks envelope, serialised once: these exact bytes are
/// signed and sent on every attempt.
pub fn envelope(event: &EventType, workspace_id: &WorkspaceId, now: DateTime<Utc>, data: Value) -> String {
    json!({
        "type": event.name,
        "version": VERSION,
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Micros, true),
        "workspace_id": workspace_id.as_str(),
        "data": data,
    })
    .to_string()
}

/// One event to emit.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub event_type: &'static EventType,
    pub workspace_id: &'a WorkspaceId,
    pub data: Value,
    pub at: DateTime<Utc>,
}

/// Writes `event` to the outbox in the caller's transaction. With nobody
/// listening it costs one indexed query and builds no payload.
pub async fn emit(tx: &mut Tx, event: Event<'_>) -> Result<(), sqlx::Error> {
    let Some(outbox) = outbox() else { return Ok(()) };
    let listeners = outbox.listeners(tx, event.workspace_id).await?;
    publish(tx, &listeners, event.event_type, event.workspace_id, event.at, || event.data).await
}

/// The workspace's listeners, for a caller that emits several events of
/// one change and wants to build each payload only when someone listens.
pub async fn listeners(tx: &mut Tx, workspace_id: &WorkspaceId) -> Result<Listeners, sqlx::Error> {
    match outbox() {
        Some(outbox) => outbox.listeners(tx, workspace_id).await,
        None => Ok(Listeners::default()),
    }
}

/// Writes one event for those of `listeners` that want it; `data` is
/// only called when one does.
pub async fn publish(
    tx: &mut Tx,
    listeners: &Listeners,
    event_type: &'static EventType,
    workspace_id: &WorkspaceId,
    at: DateTime<Utc>,
    data: impl FnOnce() -> Value,
) -> Result<(), sqlx::Error> {
    let Some(outbox) = outbox() else { return Ok(()) };
    let wanting = listeners.wanting(event_type);
    if wanting.is_empty() {
        return Ok(());
    }
    let payload = envelope(event_type, workspace_id, at, data());
    outbox.write(tx, workspace_id, event_type, &payload, &wanting, at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_filter_by_type() {
        let all = Listener { id: "a".into(), event_types: None };
        let some = Listener { id: "b".into(), event_types: Some(vec!["audit.entry_created".into()]) };
        let listeners = Listeners(vec![all, some]);
        assert_eq!(listeners.wanting(&AUDIT_ENTRY_CREATED).len(), 2);
        assert_eq!(listeners.wanting(&WEBHOOK_TEST).len(), 1);
    }

    #[test]
    fn the_platform_events_are_found_without_installing() {
        assert!(find("audit.entry_created").is_some());
        assert!(find("webhook.test").is_some_and(|e| !e.subscribable));
    }
}
