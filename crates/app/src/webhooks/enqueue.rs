//! The webhooks feature's side of the event outbox: [`WebhookOutbox`]
//! tells `events::emit` which endpoints listen and stores one message and
//! a delivery per endpoint, in the transaction of the change.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{WebhookEndpointId, WebhookMessageId, WorkspaceId};
use switchboard_db::Tx;

use super::store::{self, EndpointRow};
use crate::events::{EventType, Listener, Listeners, Outbox};

/// Stores one message and a delivery to each of `endpoint_ids`.
pub async fn message(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    event_type: &str,
    payload: &str,
    endpoint_ids: &[&WebhookEndpointId],
    now: DateTime<Utc>,
) -> Result<WebhookMessageId, sqlx::Error> {
    let id = WebhookMessageId::new();
    store::insert_message(&mut *tx, workspace_id, &id, event_type, payload, now).await?;
    for endpoint_id in endpoint_ids {
        store::insert_delivery(&mut *tx, workspace_id, endpoint_id, &id, event_type, now).await?;
    }
    Ok(id)
}

/// The workspace's enabled endpoints are its listeners.
pub struct WebhookOutbox;

pub static OUTBOX: WebhookOutbox = WebhookOutbox;

fn listener(endpoint: EndpointRow) -> Listener {
    let types = endpoint.event_types.0;
    Listener { id: endpoint.id.to_string(), event_types: if types.is_empty() { None } else { Some(types) } }
}

#[async_trait]
impl Outbox for WebhookOutbox {
    async fn listeners(&self, tx: &mut Tx, workspace_id: &WorkspaceId) -> Result<Listeners, sqlx::Error> {
        let endpoints = store::enabled_endpoints(&mut *tx, workspace_id).await?;
        Ok(Listeners(endpoints.into_iter().map(listener).collect()))
    }

    async fn write(
        &self,
        tx: &mut Tx,
        workspace_id: &WorkspaceId,
        event: &EventType,
        payload: &str,
        to: &[&Listener],
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        // The listeners' IDs came from `listeners` above, so they parse.
        let ids = to
            .iter()
            .map(|l| l.id.parse::<WebhookEndpointId>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| sqlx::Error::Protocol(format!("a listener's endpoint ID does not parse: {e}")))?;
        let refs: Vec<&WebhookEndpointId> = ids.iter().collect();
        message(tx, workspace_id, event.name, payload, &refs, now).await?;
        Ok(())
    }
}
