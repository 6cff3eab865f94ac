//! A bought number's order at the carrier, and the reconcile job that
//! finishes every order a request did not.
//!
//! [`order`] (after [`super::buy::charge`]) orders with the number's ID as
//! our reference and [`settle`]s what the carrier says in a second
//! transaction. The job `phone_number.reconcile`, enqueued with the charge,
//! looks at a number still `PENDING`: it **asks the carrier first** (the
//! order's status when we have its reference, else whether the account
//! holds the number) and orders again (same reference) only when the
//! carrier does not hold it; then the same outcomes. So a process killed
//! between the charge and the order, or between the order and the second
//! transaction, ends with one number and one charge, or no number and a
//! refund. After [`GIVE_UP_AFTER`] the job stops trying: whatever the
//! carrier holds under the number is released and the charge refunded.
use async_trait::async_trait;
use chrono::{DateTime, Duration, Months, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{Credits, PhoneNumberId, WorkspaceId};
use switchboard_db::Tx;
use switchboard_providers::carriers::{CarrierError, OrderState, OwnedNumber};

use super::lifecycle_store::{self as lifecycle, Activation};
use super::model::{NumberStatus, PhoneNumber};
use super::store;
use crate::audit::{self, Changes, Origin, Target};
use crate::credits::ledger::{self, EntryKind, NewEntry};
use crate::error::{AppError, AppResult};
use crate::jobs::{Job, JobError, JobHandler, NewJob};
use crate::state::AppState;

pub const RECONCILE_JOB: &str = "phone_number.reconcile";
/// How long after the purchase a PENDING order is given up (and refunded).
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);
/// How often a PENDING order is looked at again.
pub const RECHECK_AFTER: Duration = Duration::minutes(1);

#[derive(Debug, Serialize, Deserialize)]
struct Reconcile {
    number_id: String,
}

/// Enqueues the number's reconcile job, due at `at`, in the caller's transaction.
pub async fn enqueue_reconcile(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::json!(Reconcile { number_id: id.to_string() });
    crate::jobs::enqueue(tx, NewJob { kind: RECONCILE_JOB, payload, workspace_id: Some(ws.clone()), run_at: at })
        .await?;
    Ok(())
}

/// Step 2 and 3 of a purchase: orders the PENDING `number` and settles the
/// answer. A carrier that cannot be reached leaves it PENDING for the job.
pub async fn order(state: &AppState, origin: &Origin, number: &PhoneNumber) -> AppResult<PhoneNumber> {
    let callbacks = super::carrier::callbacks(state, state.carrier.name());
    let answer = state.carrier.order(&number.e164, number.id.as_str(), &callbacks).await;
    settle(state, origin, number, answer).await
}

/// Records what the carrier said about the PENDING `number` (nothing, when
/// another process settled it first); returns the number as it now stands.
/// `origin`: the buyer when the purchase settles it, the system for the job.
pub async fn settle(
    state: &AppState,
    origin: &Origin,
    number: &PhoneNumber,
    answer: Result<OrderState, CarrierError>,
) -> AppResult<PhoneNumber> {
    let ws = &number.workspace_id;
    match answer {
        Ok(OrderState::Active(owned)) => activate(state, origin, ws, &number.id, &owned).await?,
        Ok(OrderState::Pending { order_ref }) => {
            let now = state.clock.now();
            let mut tx = state.db.begin().await?;
            if let Some(n) = store::find_for_update(&mut tx, ws, &number.id).await?
                && n.status == NumberStatus::Pending
            {
                lifecycle::set_order_ref(&mut tx, ws, &number.id, &order_ref, now).await?;
            }
            tx.commit().await?;
        }
        Ok(OrderState::Failed { reason }) => fail(state, origin, ws, &number.id, &reason).await?,
        Err(CarrierError::Rejected(reason)) => fail(state, origin, ws, &number.id, &reason).await?,
        Err(err) => {
            // Not reachable (or refusing our credentials): the job asks again.
            tracing::warn!(number = %number.id, error = %err, "number order not settled; the reconcile job retries");
        }
    }
    store::find(&state.db, ws, &number.id).await?.ok_or_else(|| AppError::not_found("The number"))
}

/// PENDING → ACTIVE: the first paid period starts now. Audited as
/// `phone_number.purchased` (the webhook event).
pub async fn activate(
    state: &AppState,
    origin: &Origin,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    owned: &OwnedNumber,
) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(before) = store::find_for_update(&mut tx, ws, id).await? else { return Ok(()) };
    if before.status != NumberStatus::Pending {
        return Ok(());
    }
    let renews_on = now.checked_add_months(Months::new(1)).unwrap_or(now + Duration::days(30));
    let activation = Activation {
        carrier_ref: &owned.carrier_ref,
        number_type: owned.number_type.unwrap_or(before.number_type),
        capabilities: owned.capabilities,
        period_start: now,
        renews_on,
    };
    lifecycle::activate(&mut tx, ws, id, &activation, now).await?;
    let changes = Changes::new()
        .field("e164", (), &before.e164)
        .field("friendly_name", (), &before.friendly_name)
        .field("country", (), &before.country)
        .field("number_type", (), activation.number_type.as_str())
        .field("capabilities", (), activation.capabilities.to_list())
        .field("source", (), before.source.as_str())
        .field("carrier", (), &before.carrier)
        .field("monthly_price", (), before.monthly_price)
        .field("status", NumberStatus::Pending.as_str(), NumberStatus::Active.as_str());
    let target = Target::new("phone_number", id, before.display());
    audit::record(&mut tx, origin, &super::PURCHASED, &target, &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(())
}

/// PENDING → FAILED with the carrier's `reason`, and the first month refunded.
pub async fn fail(
    state: &AppState,
    origin: &Origin,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    reason: &str,
) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Balance first, then the number: the order every purchase locks in.
    ledger::lock_balance(&mut tx, ws, now).await?;
    let Some(before) = store::find_for_update(&mut tx, ws, id).await? else { return Ok(()) };
    if before.status != NumberStatus::Pending {
        return Ok(());
    }
    store::set_status(&mut tx, ws, id, NumberStatus::Failed, Some(reason), now).await?;
    let mut changes = Changes::new().field("status", NumberStatus::Pending.as_str(), NumberStatus::Failed.as_str());
    if let Some(charged) = super::buy::first_month(&mut tx, ws, id).await? {
        let refund = Credits::ZERO.checked_sub(charged).unwrap_or(Credits::ZERO);
        let entry = NewEntry::new(
            EntryKind::Refund,
            refund,
            format!("number_refund:{id}"),
            format!("Number {} could not be ordered: refund", before.display()),
        )
        .reference(id.to_string());
        ledger::post(&mut tx, ws, entry, now).await?;
        changes = changes.field("refunded", 0, refund.millis());
    }
    let target = Target::new("phone_number", id, before.display());
    audit::record(&mut tx, origin, &super::ORDER_FAILED, &target, &changes, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(())
}

/// What the reconcile job did with one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// Not PENDING (settled by the purchase, or gone).
    Settled,
    /// Still completing at the carrier: looked at again later.
    StillPending,
    /// The carrier was asked and the number is now ACTIVE or FAILED.
    Done(NumberStatus),
}

/// The reconcile job's work for one number (see the module header).
pub async fn reconcile(state: &AppState, ws: &WorkspaceId, id: &PhoneNumberId) -> AppResult<Reconciled> {
    let Some(number) = store::find(&state.db, ws, id).await? else { return Ok(Reconciled::Settled) };
    if number.status != NumberStatus::Pending {
        return Ok(Reconciled::Settled);
    }
    let carrier = &state.carrier;
    let origin = Origin::system(ws.clone());
    if state.clock.now() >= number.created_at + GIVE_UP_AFTER {
        // Whatever the carrier completed late goes back: no number without its charge.
        if let Ok(Some(held)) = carrier.find_number(&number.e164).await {
            carrier.release(&held.carrier_ref).await.map_err(|e| AppError::Internal(e.into()))?;
        }
        let reason = "The carrier did not complete the order within a day; the charge was refunded.";
        fail(state, &origin, ws, id, reason).await?;
        return Ok(Reconciled::Done(NumberStatus::Failed));
    }
    // Ask first: an order already placed must not be placed again.
    let answer = match number.carrier_order_ref.as_deref() {
        Some(order_ref) => carrier.order_status(order_ref).await,
        None => match carrier.find_number(&number.e164).await {
            Ok(Some(owned)) => Ok(OrderState::Active(owned)),
            Ok(None) => {
                let callbacks = super::carrier::callbacks(state, carrier.name());
                carrier.order(&number.e164, number.id.as_str(), &callbacks).await
            }
            Err(err) => Err(err),
        },
    };
    let after = settle(state, &origin, &number, answer).await?;
    Ok(match after.status {
        NumberStatus::Pending => Reconciled::StillPending,
        status => Reconciled::Done(status),
    })
}

/// The `phone_number.reconcile` job: reconciles one number and, while it is
/// still PENDING, enqueues itself again [`RECHECK_AFTER`] later.
pub struct ReconcileJob;

#[async_trait]
impl JobHandler for ReconcileJob {
    fn kind(&self) -> &'static str {
        RECONCILE_JOB
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let payload: Reconcile = job.payload_as()?;
        let ws = job.workspace_id.clone().ok_or_else(|| JobError::Permanent("no workspace".into()))?;
        let id: PhoneNumberId =
            payload.number_id.parse().map_err(|_| JobError::Permanent("the number ID does not parse".into()))?;
        let outcome = reconcile(state, &ws, &id).await.map_err(|e| JobError::Retry(format!("{e:?}")))?;
        if outcome == Reconciled::StillPending {
            let mut tx = state.db.begin().await.map_err(|e| JobError::Retry(e.to_string()))?;
            enqueue_reconcile(&mut tx, &ws, &id, state.clock.now() + RECHECK_AFTER)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            tx.commit().await.map_err(|e| JobError::Retry(e.to_string()))?;
        }
        Ok(())
    }
}
