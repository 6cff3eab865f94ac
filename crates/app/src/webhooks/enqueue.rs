//! The webhooks feature's side of the event outbox: [`WebhookOutbox`]
//! tells `events::emit` which endpoints listen and stores one message and
//! a delivery per endpoint, in the transaction of the change.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use switchboard_core::{WebhookMessageId, WorkspaceId};
use switchboard_db::Tx;

use super::store::{self, EndpointRow};
use crate::events::{EventType, Listener, Listeners, Outbox};

/// Stores one message and a delivery to each of `endpoint_ids`.
pub async fn message(
    tx: &mut Tx,
    workspace_id: &str,
    event_type: &str,
    payload: &str,
    endpoint_ids: &[&str],
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let id = WebhookMessageId::new().to_string();
    store::insert_message(&mut *tx, &id, workspace_id, event_type, payload, now).await?;
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
    Listener { id: endpoint.id, event_types: if types.is_empty() { None } else { Some(types) } }
}

#[async_trait]
impl Outbox for WebhookOutbox {
    async fn listeners(&self, tx: &mut Tx, workspace_id: &WorkspaceId) -> Result<Listeners, sqlx::Error> {
        let endpoints = store::enabled_endpoints(&mut *tx, workspace_id.as_str()).await?;
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
        let ids: Vec<&str> = to.iter().map(|l| l.id.as_str()).collect();
        message(tx, workspace_id.as_str(), event.name, payload, &ids, now).await?;
        Ok(())
    }
}
