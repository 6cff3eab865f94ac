//! Keeps the payment processor's own subscription in line with ours, for a
//! processor that bills cycles itself (Stripe; see
//! `PaymentProcessor::collects_renewals`). Our row is the authority: after
//! each committed change (an upgrade, a scheduled change or cancellation
//! and its undoing, a renewal) [`sync`] makes the processor's subscription
//! bill the plan and cycle in force from the end of the period we already
//! charged, end at the period's end when cancelled, or stop when the
//! workspace is on a free plan. The sandbox keeps no subscriptions: every
//! call there is a no-op answering `None`.
//!
//! A processor that cannot be reached does not undo the change made here:
//! it is logged and the next change or renewal syncs again.
use switchboard_core::WorkspaceId;
use switchboard_db::execute;
use switchboard_providers::payments::{Interval, PlanPrice, SubscriptionRequest};

use super::plans::Cycle;
use super::store::{self, Status};
use crate::error::AppResult;
use crate::payments::methods::payment_error;
use crate::state::AppState;

/// Brings the processor's subscription of `ws` in line; never fails the caller.
pub async fn sync(state: &AppState, ws: &WorkspaceId) {
    if !state.payments.collects_renewals() {
        return;
    }
    if let Err(err) = try_sync(state, ws).await {
        tracing::warn!(workspace = %ws, error = ?err, "the processor's subscription was not brought in line; the next change or renewal tries again");
    }
}

async fn try_sync(state: &AppState, ws: &WorkspaceId) -> AppResult<()> {
    let catalogue = &state.config.billing.catalogue;
    let Some(sub) = store::find(&state.db, ws).await? else { return Ok(()) };
    let Some(customer) = sub.customer_ref.as_deref() else { return Ok(()) };
    let plan = catalogue.resolve(&sub.plan_key);
    // A key per state of our row: a retry of the same sync changes nothing twice.
    let key = format!("sync:{ws}:{}", sub.updated_at.timestamp_micros());
    let billed = !plan.is_free() && matches!(sub.status, Status::Active | Status::PastDue);
    let processor = &state.payments;
    match (sub.subscription_ref.as_deref(), billed) {
        (None, false) => Ok(()),
        (Some(reference), false) => {
            processor.cancel_subscription(reference, false, &key).await.map_err(payment_error)?;
            set_reference(state, ws, None).await
        }
        (Some(reference), true) if sub.cancel_at_period_end => {
            processor.cancel_subscription(reference, true, &key).await.map_err(payment_error)
        }
        (None, true) if sub.cancel_at_period_end => Ok(()),
        // Creates the processor's subscription, or moves it to the plan in
        // force (which also undoes a cancellation at the period's end).
        (reference, true) => {
            let interval = match sub.cycle {
                Cycle::Monthly => Interval::Month,
                Cycle::Annual => Interval::Year,
            };
            let request = SubscriptionRequest {
                customer,
                subscription_ref: reference,
                payment_method: sub.payment_method_ref.as_deref(),
                price: PlanPrice {
                    plan_key: &plan.key,
                    plan_name: &plan.name,
                    interval,
                    amount: plan.price(sub.cycle),
                    configured_price: plan.stripe_price_id(sub.cycle),
                },
                workspace_id: ws.as_str(),
                first_charge_at: Some(sub.period_end),
                idempotency_key: &key,
            };
            match processor.sync_subscription(request).await.map_err(payment_error)? {
                Some(new) if Some(new.as_str()) != reference => set_reference(state, ws, Some(&new)).await,
                _ => Ok(()),
            }
        }
    }
}

async fn set_reference(state: &AppState, ws: &WorkspaceId, reference: Option<&str>) -> AppResult<()> {
    execute!(
        &state.db,
        "UPDATE subscriptions SET subscription_ref = $2 WHERE workspace_id = $1",
        ws.as_str(),
        reference
    )?;
    Ok(())
}
