//! The workspace's customer at the processor and its saved payment method.
//! The card number goes straight to the processor
//! ([`PaymentProcessor::attach_card`](switchboard_providers::payments::PaymentProcessor::attach_card));
//! only the brand, last four digits and the processor's reference are
//! stored, and the audit entry names only brand and last four.
use chrono::{DateTime, Utc};
use switchboard_core::WorkspaceId;
use switchboard_db::{Tx, execute};
use switchboard_providers::payments::{CardInput, PaymentError, PaymentMethod};

use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::subscription::store::{self as subscriptions, SubscriptionRow};
use crate::subscription::trial;

/// The processor's error as the person should read it, by the card field
/// it concerns (`card_number`).
pub fn payment_error(err: PaymentError) -> AppError {
    match err {
        PaymentError::Declined { message, .. } => AppError::payment_required("payment_declined", message),
        PaymentError::Invalid(message) => AppError::field("card_number", message),
        PaymentError::Unavailable(reason) => {
            tracing::warn!(%reason, "payment processor unavailable");
            AppError::Internal(anyhow::anyhow!("the payment processor is unavailable: {reason}"))
        }
    }
}

/// The workspace's customer ID at the processor, creating the customer on
/// first need. Two concurrent first calls may each create one at the
/// processor; the first stored wins and the other is never used.
pub async fn ensure_customer(state: &AppState, ws: &WorkspaceId, name: &str) -> AppResult<String> {
    let sub = trial::load_or_start(state, ws).await?;
    if let Some(customer) = sub.customer_ref {
        return Ok(customer);
    }
    let created = state.payments.create_customer(ws.as_str(), name).await.map_err(payment_error)?;
    let now = state.clock.now();
    execute!(
        &state.db,
        "UPDATE subscriptions SET customer_ref = $2, updated_at = $3 WHERE workspace_id = $1 AND customer_ref IS NULL",
        ws.as_str(),
        &created,
        now
    )?;
    let sub = subscriptions::find(&state.db, ws).await?.ok_or_else(|| AppError::not_found("The subscription"))?;
    sub.customer_ref.ok_or_else(|| AppError::Internal(anyhow::anyhow!("the customer was not stored")))
}

fn describe(brand: Option<&str>, last4: Option<&str>) -> Option<String> {
    Some(super::view::card_label(brand?, last4?))
}

/// Saves `method` as the workspace's payment method, with its audit entry.
pub async fn save(
    state: &AppState,
    origin: &Origin,
    ws: &WorkspaceId,
    method: &PaymentMethod,
) -> AppResult<SubscriptionRow> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = save_in(&mut tx, origin, ws, method, now).await?;
    tx.commit().await?;
    Ok(row)
}

/// [`save`] in the caller's transaction (a processor event saves the method
/// and records that it handled the event in one transaction).
pub async fn save_in(
    tx: &mut Tx,
    origin: &Origin,
    ws: &WorkspaceId,
    method: &PaymentMethod,
    now: DateTime<Utc>,
) -> AppResult<SubscriptionRow> {
    let before = subscriptions::lock(tx, ws).await?.ok_or_else(|| AppError::not_found("The subscription"))?;
    if before.payment_method_ref.as_deref() == Some(method.reference.as_str()) {
        // The card already saved: nothing changes, so nothing is recorded.
        return Ok(before);
    }
    execute!(
        &mut *tx,
        "UPDATE subscriptions SET payment_method_ref = $2, card_brand = $3, card_last4 = $4, updated_at = $5
         WHERE workspace_id = $1",
        ws.as_str(),
        &method.reference,
        &method.brand,
        &method.last4,
        now
    )?;
    let changes = Changes::new().field(
        "card",
        describe(before.card_brand.as_deref(), before.card_last4.as_deref()),
        describe(Some(&method.brand), Some(&method.last4)),
    );
    let target = Target::new("payment_method", ws, super::view::card_label(&method.brand, &method.last4));
    audit::record(tx, origin, &super::METHOD_UPDATED, &target, &changes, now).await?;
    let row = subscriptions::find(&mut *tx, ws).await?.ok_or_else(|| AppError::not_found("The subscription"))?;
    Ok(row)
}

/// Attaches a card typed into our form (sandbox) and saves it as the
/// workspace's payment method. A declined or invalid card changes nothing.
pub async fn add_card(state: &AppState, ctx: &WorkspaceCtx, card: &CardInput) -> AppResult<SubscriptionRow> {
    ctx.require(Permission::ManageSettings)?;
    let customer = ensure_customer(state, &ctx.workspace.id, &ctx.workspace.name).await?;
    let method = state.payments.attach_card(&customer, card).await.map_err(payment_error)?;
    save(state, &Origin::from_ctx(ctx), &ctx.workspace.id, &method).await
}
