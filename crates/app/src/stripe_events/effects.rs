//! What each Stripe event changes, in the transaction that records the
//! event as handled:
//!
//! - `checkout.session.completed` (setup mode): the payment method the
//!   session saved becomes the workspace's (brand and last four read from
//!   Stripe), audited `payment_method.updated`.
//! - `invoice.paid`: our invoice charged as that Stripe invoice or
//!   PaymentIntent is marked paid; an invoice Stripe made for its own
//!   subscription (a cycle's charge) is recorded as our `subscription`
//!   invoice, paid, with its period — the renewal job grants the cycle's
//!   credits once it finds that paid invoice for the period it opens
//!   (`PaymentProcessor::collects_renewals`). A past-due subscription
//!   becomes active.
//! - `invoice.payment_failed`: the same invoice marked failed (left open;
//!   every Admin is emailed); the subscription becomes past due.
//! - `customer.subscription.updated` / `deleted`: status and
//!   `cancel_at_period_end`, and the current period's end while Stripe is
//!   in the same period as us. A new period is never opened here: that is
//!   the renewal job's, which grants credits as it does.
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use switchboard_core::{Cents, WorkspaceId};
use switchboard_db::{Tx, execute};
use switchboard_providers::payments::PaymentMethod;

use super::receive::Event;
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::invoices::charge::{mark_failed, mark_paid};
use crate::invoices::store::{self as invoices, Invoice, Kind, NewInvoice, NewLine, Status as InvoiceStatus};
use crate::state::AppState;
use crate::subscription::store::{self as subscriptions, Status};

/// Event types with an effect; any other is acknowledged and ignored.
pub(super) const HANDLED: &[&str] = &[
    "checkout.session.completed",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "customer.subscription.deleted",
];

pub(super) async fn apply(
    tx: &mut Tx,
    state: &AppState,
    ws: &WorkspaceId,
    event: &Event,
    method: Option<&PaymentMethod>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let origin = Origin::system(ws.clone());
    let object = &event.object;
    match event.kind.as_str() {
        "checkout.session.completed" => {
            if let Some(method) = method {
                crate::payments::methods::save_in(tx, &origin, ws, method, now).await?;
            }
        }
        "invoice.paid" => {
            let Some(invoice) = our_invoice(tx, state, ws, object, now).await? else { return Ok(()) };
            mark_paid(tx, &origin, &invoice, None, now).await?;
            set_status_if(tx, &origin, ws, Status::PastDue, Status::Active, now).await?;
        }
        "invoice.payment_failed" => {
            let Some(invoice) = our_invoice(tx, state, ws, object, now).await? else { return Ok(()) };
            let message = "Stripe could not collect the payment for this invoice.";
            mark_failed(tx, state, &origin, &invoice, message, InvoiceStatus::Open, now).await?;
            if object["subscription"].is_string() {
                set_status_if(tx, &origin, ws, Status::Active, Status::PastDue, now).await?;
            }
        }
        "customer.subscription.updated" | "customer.subscription.deleted" => {
            sync_subscription(tx, &origin, ws, object, event.kind.ends_with("deleted"), now).await?;
        }
        _ => {}
    }
    Ok(())
}

fn timestamp(value: &Value) -> Option<DateTime<Utc>> {
    value.as_i64().and_then(|t| Utc.timestamp_opt(t, 0).single())
}

/// Our invoice for a Stripe invoice: one we charged (by the invoice's or
/// its PaymentIntent's ID), or — for an invoice of Stripe's own
/// subscription — one recorded now under the key `stripe:<invoice id>`.
async fn our_invoice(
    tx: &mut Tx,
    state: &AppState,
    ws: &WorkspaceId,
    object: &Value,
    now: DateTime<Utc>,
) -> AppResult<Option<Invoice>> {
    let Some(stripe_id) = object["id"].as_str() else { return Ok(None) };
    for reference in [Some(stripe_id), object["payment_intent"].as_str()].into_iter().flatten() {
        if let Some(found) = invoices::find_by_processor_ref(&mut *tx, reference).await?
            && &found.workspace_id == ws
        {
            return Ok(Some(found));
        }
    }
    if !object["subscription"].is_string() {
        return Ok(None);
    }
    let amount = object["amount_due"].as_i64().or(object["total"].as_i64()).unwrap_or(0);
    // A new subscription's first Stripe invoice is $0 (its first charge is
    // at our period's end, which our own invoice already covers): nothing
    // to record.
    if amount <= 0 {
        return Ok(None);
    }
    let line = &object["lines"]["data"][0];
    let description = line["description"].as_str().unwrap_or("Subscription").to_string();
    let period = match (timestamp(&line["period"]["start"]), timestamp(&line["period"]["end"])) {
        (Some(start), Some(end)) => Some((start, end)),
        _ => None,
    };
    let new = NewInvoice {
        kind: Kind::Subscription,
        idempotency_key: format!("stripe:{stripe_id}"),
        lines: vec![NewLine::one(description, Cents::from_minor(amount))],
        period,
    };
    let prefix = state.config.billing.catalogue.invoice_prefix.clone();
    let (invoice, created) = invoices::create(tx, ws, &prefix, &new, now).await?;
    if created {
        invoices::set_processor_ref(&mut *tx, ws, &invoice.id, stripe_id, now).await?;
    }
    Ok(Some(invoice))
}

async fn set_status_if(
    tx: &mut Tx,
    origin: &Origin,
    ws: &WorkspaceId,
    from: Status,
    to: Status,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let sub = subscriptions::lock(tx, ws).await?.ok_or_else(|| AppError::not_found("The subscription"))?;
    if sub.status != from {
        return Ok(());
    }
    execute!(
        &mut *tx,
        "UPDATE subscriptions SET status = $2, updated_at = $3 WHERE workspace_id = $1",
        ws.as_str(),
        to.as_str(),
        now
    )?;
    let changes = Changes::new().field("status", from.as_str(), to.as_str());
    audit::record(tx, origin, &super::SYNCED, &target(ws, &sub.plan_key), &changes, now).await?;
    Ok(())
}

fn target(ws: &WorkspaceId, plan_key: &str) -> Target {
    Target::new("subscription", ws, plan_key.to_string())
}

/// Stripe's subscription status as ours; `None` for states with no
/// counterpart (e.g. `incomplete`, a first payment still in progress).
fn status_of(stripe: &str) -> Option<Status> {
    match stripe {
        "trialing" => Some(Status::Trialing),
        "active" => Some(Status::Active),
        "past_due" | "unpaid" => Some(Status::PastDue),
        "canceled" | "incomplete_expired" => Some(Status::Canceled),
        _ => None,
    }
}

async fn sync_subscription(
    tx: &mut Tx,
    origin: &Origin,
    ws: &WorkspaceId,
    object: &Value,
    deleted: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let sub = subscriptions::lock(tx, ws).await?.ok_or_else(|| AppError::not_found("The subscription"))?;
    let status = if deleted { Some(Status::Canceled) } else { object["status"].as_str().and_then(status_of) };
    let status = status.unwrap_or(sub.status);
    let cancel = !deleted && object["cancel_at_period_end"].as_bool().unwrap_or(sub.cancel_at_period_end);
    // Stripe's end of the period we are both in; a later period is the
    // renewal job's to open.
    let same_period = timestamp(&object["current_period_start"]).is_some_and(|start| start <= sub.period_start);
    let period_end = match timestamp(&object["current_period_end"]) {
        Some(end) if same_period && end > sub.period_start => end,
        _ => sub.period_end,
    };
    // A deleted subscription is gone at Stripe: nothing to change or cancel later.
    let subscription_ref = match deleted {
        true => None,
        false => object["id"].as_str().map(str::to_string).or(sub.subscription_ref.clone()),
    };
    let mut changes = Changes::new();
    if status != sub.status {
        changes = changes.field("status", sub.status.as_str(), status.as_str());
    }
    if cancel != sub.cancel_at_period_end {
        changes = changes.field("cancel_at_period_end", sub.cancel_at_period_end, cancel);
    }
    if period_end != sub.period_end {
        changes = changes.field("period_end", sub.period_end, period_end);
    }
    if changes.0.is_empty() && subscription_ref == sub.subscription_ref {
        return Ok(());
    }
    execute!(
        &mut *tx,
        "UPDATE subscriptions SET status = $2, cancel_at_period_end = $3, period_end = $4, subscription_ref = $5,
             updated_at = $6
         WHERE workspace_id = $1",
        ws.as_str(),
        status.as_str(),
        cancel,
        period_end,
        subscription_ref,
        now
    )?;
    if !changes.0.is_empty() {
        audit::record(tx, origin, &super::SYNCED, &target(ws, &sub.plan_key), &changes, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_statuses_map_to_ours_and_in_between_states_keep_ours() {
        assert_eq!(status_of("active"), Some(Status::Active));
        assert_eq!(status_of("unpaid"), Some(Status::PastDue));
        assert_eq!(status_of("incomplete_expired"), Some(Status::Canceled));
        assert_eq!(status_of("incomplete"), None);
        assert_eq!(status_of("paused"), None);
    }
}
