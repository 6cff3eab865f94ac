//! Collecting an invoice through the payment processor. The processor is
//! called outside any transaction (a slow bank must not hold a database
//! lock), with the invoice ID as its idempotency key, so a retry after a
//! crash or by a second process charges at most once. The result is then
//! recorded with its audit entry and event; a failure emails the Admins.
//!
//! Callers grant what was paid for (credits, a plan) only after
//! [`Outcome::Paid`], under an idempotency key of their own, so a retry
//! that finds the invoice paid grants exactly once too.
use chrono::{DateTime, Utc};
use switchboard_core::{Cents, WorkspaceId};
use switchboard_db::Tx;
use switchboard_providers::payments::{ChargeRequest, PaymentError};

use super::store::{self, Invoice, Status};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::subscription::store as subscriptions;

/// How a charge ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Paid(Invoice),
    /// Refused (or no payment method): `message` is safe to show.
    Declined {
        invoice: Invoice,
        message: String,
    },
}

/// What a declined invoice becomes: left `open` (a renewal, retried later)
/// or `void` (a top-up: nothing is owed once it failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDecline {
    KeepOpen,
    Void,
}

pub fn target(invoice: &Invoice) -> Target {
    Target::new("invoice", &invoice.id, invoice.number.clone())
}

/// Charges `invoice` (open) to the workspace's saved payment method. An
/// invoice already paid is returned as paid without a charge; a zero total
/// is paid without calling the processor. A processor that cannot be
/// reached is an error (503, retry later) and changes nothing.
pub async fn collect(state: &AppState, origin: &Origin, invoice: Invoice, on_decline: OnDecline) -> AppResult<Outcome> {
    let ws = invoice.workspace_id.clone();
    match invoice.status {
        Status::Paid => return Ok(Outcome::Paid(invoice)),
        Status::Open | Status::Draft => {}
        Status::Void | Status::Uncollectible => {
            let message = invoice.failure_message.clone().unwrap_or_else(|| "This invoice was closed.".into());
            return Ok(Outcome::Declined { invoice, message });
        }
    }
    if invoice.total_cents == Cents::ZERO {
        return record_paid(state, origin, &ws, invoice, None).await;
    }
    let sub = subscriptions::find(&state.db, &ws).await?.ok_or_else(|| AppError::not_found("The subscription"))?;
    let (Some(customer), Some(method)) = (sub.customer_ref.as_deref(), sub.payment_method_ref.as_deref()) else {
        let message = "No payment method: add a card first.".to_string();
        return record_declined(state, origin, &ws, invoice, &message, on_decline).await;
    };
    let description = format!("Switchboard invoice {}", invoice.number);
    let request = ChargeRequest {
        customer,
        payment_method: method,
        amount: invoice.total_cents,
        description: &description,
        idempotency_key: invoice.id.as_str(),
    };
    match state.payments.charge(request).await {
        Ok(charge) => record_paid(state, origin, &ws, invoice, Some(&charge.reference)).await,
        Err(PaymentError::Declined { message, .. }) | Err(PaymentError::Invalid(message)) => {
            record_declined(state, origin, &ws, invoice, &message, on_decline).await
        }
        Err(PaymentError::Unavailable(reason)) => {
            tracing::warn!(invoice = %invoice.id, %reason, "payment processor unavailable");
            Err(AppError::Client(crate::error::Problem {
                status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                code: "payment_processor_unavailable",
                detail: "The payment processor could not be reached; nothing was charged. Try again in a minute."
                    .into(),
                fields: Vec::new(),
                retry_after_secs: Some(60),
            }))
        }
    }
}

async fn record_paid(
    state: &AppState,
    origin: &Origin,
    ws: &WorkspaceId,
    invoice: Invoice,
    processor_ref: Option<&str>,
) -> AppResult<Outcome> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    mark_paid(&mut tx, origin, &invoice, processor_ref, now).await?;
    let invoice = store::find(&mut tx, ws, &invoice.id).await?.ok_or_else(|| AppError::not_found("The invoice"))?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(Outcome::Paid(invoice))
}

/// Marks an open invoice paid, with its audit entry (and so the
/// `invoice.paid` event), in the caller's transaction. A no-op when it was
/// not open: a replayed processor event changes nothing.
pub async fn mark_paid(
    tx: &mut Tx,
    origin: &Origin,
    invoice: &Invoice,
    processor_ref: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if !store::mark_paid(&mut *tx, &invoice.workspace_id, &invoice.id, processor_ref, now).await? {
        return Ok(false);
    }
    let changes = Changes::new().field("status", invoice.status.as_str(), "paid").field(
        "total_cents",
        (),
        invoice.total_cents.minor(),
    );
    audit::record(tx, origin, &super::PAID, &target(invoice), &changes, now).await?;
    Ok(true)
}

async fn record_declined(
    state: &AppState,
    origin: &Origin,
    ws: &WorkspaceId,
    invoice: Invoice,
    message: &str,
    on_decline: OnDecline,
) -> AppResult<Outcome> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let status = match on_decline {
        OnDecline::KeepOpen => Status::Open,
        OnDecline::Void => Status::Void,
    };
    mark_failed(&mut tx, state, origin, &invoice, message, status, now).await?;
    let invoice = store::find(&mut tx, ws, &invoice.id).await?.ok_or_else(|| AppError::not_found("The invoice"))?;
    tx.commit().await?;
    state.jobs_wakeup.notify_one();
    state.webhooks_wakeup.notify_one();
    Ok(Outcome::Declined { invoice, message: message.to_string() })
}

/// Records a failed payment of an open invoice in the caller's transaction:
/// the message, the status it leaves (`open`, `void`, `uncollectible`), the
/// audit entry (and `invoice.payment_failed` event) and an email to every
/// Admin. A no-op when the invoice is no longer open.
pub async fn mark_failed(
    tx: &mut Tx,
    state: &AppState,
    origin: &Origin,
    invoice: &Invoice,
    message: &str,
    status: Status,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if !store::mark_failed(&mut *tx, &invoice.workspace_id, &invoice.id, message, status, now).await? {
        return Ok(false);
    }
    let changes = Changes::new()
        .field("status", invoice.status.as_str(), status.as_str())
        .field("failure_message", (), message)
        .field("total_cents", (), invoice.total_cents.minor());
    audit::record(tx, origin, &super::PAYMENT_FAILED, &target(invoice), &changes, now).await?;
    email_admins(tx, state, invoice, message, now).await?;
    Ok(true)
}

async fn email_admins(
    tx: &mut Tx,
    state: &AppState,
    invoice: &Invoice,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let ws = &invoice.workspace_id;
    let (workspace, admins) = crate::tenancy::admins_to_notify(tx, ws).await?;
    let link = format!("{}/settings/subscription", state.public_url);
    for (i, to) in admins.into_iter().enumerate() {
        let message = super::email::payment_failed(&to, &workspace, invoice, reason, &link, i);
        crate::jobs::email::enqueue_email(tx, Some(ws.clone()), &message, now).await?;
    }
    Ok(())
}
