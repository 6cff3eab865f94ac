//! Recording outcomes, in batches: the successes of a batch in one
//! transaction of three statements (the deliveries, their attempts, their
//! endpoints' health); everything else (failures, retries, an endpoint to
//! disable, a delivery whose lease was lost) one by one through
//! [`service::record_outcome`], which knows every rule for them.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use switchboard_core::{WebhookAttemptId, WebhookDeliveryId, WebhookEndpointId};
use switchboard_db::{Query, Tx};

use super::{Claimed, Outcome};
use crate::state::AppState;
use crate::webhooks::service;

/// Rows per statement: ten values an attempt, well under both backends'
/// limits on bound values.
const CHUNK: usize = 200;

/// Records what each attempt came to; returns how many were recorded.
/// A failure to record one batch is logged and leaves its deliveries in
/// `sending`: their lease runs out and they are sent again (at-least-once).
pub async fn record_all(state: &AppState, done: Vec<(Claimed, Outcome)>) -> usize {
    let (succeeded, others): (Vec<_>, Vec<_>) = done.into_iter().partition(|(_, o)| o.succeeded());
    let mut recorded = 0;
    let mut one_by_one = others;
    for chunk in succeeded.chunks(CHUNK) {
        match record_successes(state, chunk).await {
            Ok(lost) => {
                recorded += chunk.len() - lost.len();
                one_by_one.extend(chunk.iter().filter(|(c, _)| lost.contains(&c.id)).cloned());
            }
            Err(err) => tracing::warn!(error = %format!("{err:#}"), "webhook outcomes not recorded"),
        }
    }
    for (claimed, outcome) in &one_by_one {
        match service::record_outcome(state, claimed, outcome).await {
            Ok(()) => recorded += 1,
            Err(err) => tracing::warn!(error = %format!("{err:#}"), "webhook attempt not recorded"),
        }
    }
    recorded
}

/// Successful attempts, in one transaction: each delivery that is still
/// this attempt's (`sending`, same attempt count) becomes `succeeded`, its
/// attempt is stored, and its endpoint's failure clock stops. Returns the
/// deliveries that were not this attempt's any more (their lease ran out,
/// or they were deleted), for the one-by-one path.
async fn record_successes(state: &AppState, done: &[(Claimed, Outcome)]) -> anyhow::Result<HashSet<WebhookDeliveryId>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let finished = finish_succeeded(&mut tx, done, now).await?;
    let ours: Vec<&(Claimed, Outcome)> = done.iter().filter(|(c, _)| finished.contains(&c.id)).collect();
    insert_attempts(&mut tx, &ours).await?;
    let endpoints: HashSet<&WebhookEndpointId> = ours.iter().map(|(c, _)| &c.endpoint_id).collect();
    mark_healthy(&mut tx, &endpoints).await?;
    tx.commit().await?;
    Ok(done.iter().map(|(c, _)| &c.id).filter(|id| !finished.contains(*id)).cloned().collect())
}

/// `UPDATE … FROM (VALUES …)`: the column names `column1…` are what both
/// backends call a VALUES list's columns.
async fn finish_succeeded(
    tx: &mut Tx,
    done: &[(Claimed, Outcome)],
    now: DateTime<Utc>,
) -> Result<HashSet<WebhookDeliveryId>, sqlx::Error> {
    let mut q = Query::new(
        "UPDATE webhook_deliveries SET status = 'succeeded', next_attempt_at = NULL, last_status = v.column3,
             last_error = NULL, updated_at = ",
    );
    q.bind(now).push(" FROM (VALUES ");
    for (i, (claimed, outcome)) in done.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.bind(claimed.id.as_str()).push(", ").bind(claimed.attempts).push(", ");
        q.bind(outcome.status.map(i64::from)).push(")");
    }
    q.push(
        ") AS v WHERE webhook_deliveries.id = v.column1 AND webhook_deliveries.attempts = v.column2
           AND webhook_deliveries.status = 'sending'
         RETURNING id",
    );
    let ids: Vec<(String,)> = q.fetch_all(&mut *tx).await?;
    ids.into_iter().map(|(id,)| id.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))).collect()
}

async fn insert_attempts(tx: &mut Tx, done: &[&(Claimed, Outcome)]) -> Result<(), sqlx::Error> {
    if done.is_empty() {
        return Ok(());
    }
    let mut q = Query::new(
        "INSERT INTO webhook_attempts (id, workspace_id, delivery_id, attempt, started_at, latency_ms, status_code,
             error, request, response_body) VALUES ",
    );
    for (i, (claimed, outcome)) in done.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.bind(WebhookAttemptId::new().as_str()).push(", ");
        q.bind(claimed.workspace_id.as_str()).push(", ");
        q.bind(claimed.id.as_str()).push(", ");
        q.bind(claimed.attempts).push(", ");
        q.bind(outcome.started_at).push(", ");
        q.bind(outcome.latency_ms).push(", ");
        q.bind(outcome.status.map(i64::from)).push(", ");
        q.bind(outcome.error.as_deref()).push(", ");
        q.bind(outcome.request.to_string()).push(", ");
        q.bind(outcome.response_body.as_deref()).push(")");
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

async fn mark_healthy(tx: &mut Tx, endpoints: &HashSet<&WebhookEndpointId>) -> Result<(), sqlx::Error> {
    if endpoints.is_empty() {
        return Ok(());
    }
    let mut q =
        Query::new("UPDATE webhook_endpoints SET failing_since = NULL WHERE failing_since IS NOT NULL AND id IN (");
    q.bind_list(endpoints.iter().map(|id| id.as_str())).push(")");
    q.execute(&mut *tx).await?;
    Ok(())
}
