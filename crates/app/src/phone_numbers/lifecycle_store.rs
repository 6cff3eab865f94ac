//! The SQL of a platform number's life on the `phone_numbers` table
//! (ordered, active, renewed, past due, released), beside [`super::store`]
//! so the scopes that share that file do not collide. Every function a
//! request reaches takes the workspace ID first; the renewal scan
//! ([`due_for_renewal`]) is the one reader across workspaces.
use chrono::{DateTime, Utc};
use switchboard_core::{PhoneNumberId, WorkspaceId};
use switchboard_db::{IntoExec, Query, Tx, execute};
use switchboard_providers::carriers::{Capabilities, NumberType};

use super::model::{NumberStatus, PhoneNumber};
use super::store::{SELECT, fetch_numbers};

/// Remembers the carrier's order still completing.
pub async fn set_order_ref(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    order_ref: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE phone_numbers SET carrier_order_ref = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        order_ref,
        now
    )?;
    Ok(())
}

/// What the carrier's completed order says about the number.
#[derive(Debug, Clone)]
pub struct Activation<'a> {
    pub carrier_ref: &'a str,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    pub period_start: DateTime<Utc>,
    pub renews_on: DateTime<Utc>,
}

/// PENDING → ACTIVE with the carrier's ID and the first paid period.
pub async fn activate(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    a: &Activation<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE phone_numbers SET status = 'ACTIVE', status_detail = NULL, carrier_ref = $3, carrier_order_ref = NULL,
             number_type = $4, capabilities = $5, period_start = $6, renews_on = $7, updated_at = $8
         WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        a.carrier_ref,
        a.number_type.as_str(),
        a.capabilities.to_list(),
        a.period_start,
        a.renews_on,
        now
    )?;
    Ok(())
}

/// The next period is paid: ACTIVE again, from `period_start` to `renews_on`.
pub async fn renewed(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    period_start: DateTime<Utc>,
    renews_on: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE phone_numbers SET status = 'ACTIVE', status_detail = NULL, past_due_since = NULL, period_start = $3,
             renews_on = $4, updated_at = $5
         WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        period_start,
        renews_on,
        now
    )?;
    Ok(())
}

/// The renewal could not be paid: PAST_DUE since `now`.
pub async fn past_due(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE phone_numbers SET status = 'PAST_DUE', status_detail = $3, past_due_since = $4, updated_at = $4
         WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        detail,
        now
    )?;
    Ok(())
}

/// RELEASED: no renewal, no agents, no longer live (its E.164 is free again).
pub async fn released(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE phone_numbers SET status = 'RELEASED', released_at = $3, renews_on = NULL, past_due_since = NULL,
             carrier_order_ref = NULL, inbound_agent_id = NULL, outbound_agent_id = NULL, sms_agent_id = NULL,
             updated_at = $3
         WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        now
    )?;
    Ok(())
}

/// Sets (or clears) the reason shown with the number (a release the
/// carrier has not confirmed yet), whatever its status.
pub async fn set_detail<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE phone_numbers SET status_detail = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        detail,
        now
    )?;
    Ok(())
}

/// Platform numbers whose paid period has ended (`renews_on <= now`),
/// ACTIVE or PAST_DUE, in `(renews_on, id)` order after `after`: the
/// renewal pass walks them in pages (the partial index
/// `phone_numbers_renewal_idx` serves the scan).
pub async fn due_for_renewal<'a>(
    ex: impl IntoExec<'a>,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, &PhoneNumberId)>,
    limit: i64,
) -> Result<Vec<PhoneNumber>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE status IN ('ACTIVE', 'PAST_DUE') AND source = 'PLATFORM' AND renews_on <= ").bind(now);
    if let Some((at, id)) = after {
        let at = q.param(at);
        q.push(" AND (renews_on > ").push_param(at).push(" OR (renews_on = ").push_param(at);
        q.push(" AND id > ").bind(id.as_str()).push("))");
    }
    q.push(" ORDER BY renews_on, id LIMIT ").bind(limit);
    fetch_numbers(q, ex).await
}

/// The workspace's platform numbers still held (what its deletion releases).
pub async fn held_platform_numbers<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
) -> Result<Vec<PhoneNumber>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str());
    q.push(" AND source = 'PLATFORM' AND status IN ('PENDING', 'ACTIVE', 'PAST_DUE') ORDER BY id");
    fetch_numbers(q, ex).await
}

/// Whether `status` is one a number leaves for good.
pub fn is_ended(status: NumberStatus) -> bool {
    matches!(status, NumberStatus::Released | NumberStatus::Failed)
}
