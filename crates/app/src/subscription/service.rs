//! Changing the plan or cycle, cancelling and resuming: the one place pages
//! and the API call. What a change does (now or at the period's end, and
//! for how much) is decided in [`super::change`]; this module checks,
//! charges, writes and audits.
//!
//! An upgrade is charged first, through an invoice of kind `proration`
//! collected with [`OnDecline::Void`], and only once it is paid does the
//! plan change and the prorated credits arrive (under a key derived from
//! the invoice, so a retry grants once). A declined charge changes nothing
//! and answers 402 `payment_declined` with the processor's message.
use chrono::{DateTime, Utc};
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::Tx;

use super::change::{self, Current, Decision, Effect};
use super::plans::{Catalogue, Cycle};
use super::store::{self, Status, SubscriptionRow};
use crate::audit::{self, Changes, Origin, Target};
use crate::credits::ledger::{self, EntryKind, NewEntry};
use crate::error::{AppError, AppResult};
use crate::invoices::charge::{self, OnDecline, Outcome};
use crate::invoices::store::{self as invoices, Invoice, Kind, NewInvoice, NewLine, Status as InvoiceStatus};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// A change worked out for the confirm dialog and the API's preview.
#[derive(Debug, Clone)]
pub struct Preview {
    pub sub: SubscriptionRow,
    pub decision: Decision,
    /// The change needs a saved payment method the workspace lacks.
    pub needs_payment_method: bool,
}

/// What a change did.
#[derive(Debug, Clone)]
pub struct Changed {
    pub sub: SubscriptionRow,
    pub decision: Decision,
    /// The proration invoice, paid (upgrades that cost something).
    pub invoice: Option<Invoice>,
}

pub fn target(catalogue: &Catalogue, sub: &SubscriptionRow) -> Target {
    Target::new("subscription", &sub.workspace_id, format!("{} plan", catalogue.resolve(&sub.plan_key).name))
}

/// Records `subscription.updated` with every field the event carries, as
/// it was and as it is.
pub async fn record(
    tx: &mut Tx,
    catalogue: &Catalogue,
    origin: &Origin,
    before: &SubscriptionRow,
    after: &SubscriptionRow,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let changes = Changes::new()
        .field("plan", &before.plan_key, &after.plan_key)
        .field("cycle", before.cycle.as_str(), after.cycle.as_str())
        .field("status", before.status.as_str(), after.status.as_str())
        .field("cancel_at_period_end", before.cancel_at_period_end, after.cancel_at_period_end)
        .field("scheduled_plan", &before.scheduled_plan_key, &after.scheduled_plan_key)
        .field("scheduled_cycle", &before.scheduled_cycle, &after.scheduled_cycle)
        .field("period_end", before.period_end, after.period_end);
    audit::record(tx, origin, &super::UPDATED, &target(catalogue, after), &changes, now).await?;
    Ok(())
}

fn parse_plan<'c>(catalogue: &'c Catalogue, plan: &str) -> AppResult<&'c super::plans::Plan> {
    catalogue.get(plan).ok_or_else(|| {
        let keys: Vec<&str> = catalogue.all().iter().map(|p| p.key.as_str()).collect();
        AppError::field("plan", format!("Choose one of the plans: {}.", keys.join(", ")))
    })
}

/// Refuses changes while the period has ended and its renewal is not done
/// (past due, or the renewal pass has not reached it yet): the renewal
/// applies what is scheduled, so it must not change under it.
fn settled(sub: &SubscriptionRow, now: DateTime<Utc>) -> AppResult<()> {
    if sub.status == Status::PastDue {
        return Err(AppError::conflict(
            "subscription_past_due",
            "The last renewal is not paid yet: update the payment method, and the plan can change once it is paid.",
        ));
    }
    if sub.period_end <= now {
        return Err(AppError::conflict(
            "renewal_in_progress",
            "The period has just ended and is being renewed; try again in a minute.",
        ));
    }
    Ok(())
}

/// Works out a change without making it.
pub async fn preview(state: &AppState, ctx: &WorkspaceCtx, plan: &str, cycle: Cycle) -> AppResult<Preview> {
    ctx.require(Permission::ManageSettings)?;
    let catalogue = &state.config.billing.catalogue;
    let target = parse_plan(catalogue, plan)?;
    let sub = super::trial::load_or_start(state, &ctx.workspace.id).await?;
    let decision = decide(catalogue, &sub, target, cycle, state.clock.now());
    let paid = match decision.effect {
        Effect::Now => decision.charge.minor() > 0,
        Effect::PeriodEnd => sub.status == Status::Trialing && !target.is_free(),
        Effect::Unchanged => false,
    };
    Ok(Preview { needs_payment_method: paid && !sub.has_payment_method(), sub, decision })
}

fn decide(
    catalogue: &Catalogue,
    sub: &SubscriptionRow,
    target: &super::plans::Plan,
    cycle: Cycle,
    now: DateTime<Utc>,
) -> Decision {
    let current = Current {
        plan: catalogue.resolve(&sub.plan_key),
        cycle: sub.cycle,
        trialing: sub.status == Status::Trialing,
        period_start: sub.period_start,
        period_end: sub.period_end,
    };
    change::decide(&current, target, cycle, now)
}

/// Changes the plan and/or cycle: an upgrade is charged and applied now, a
/// downgrade (or a cheaper cycle, or any choice during the trial) is
/// scheduled for the period's end.
pub async fn change(state: &AppState, ctx: &WorkspaceCtx, plan: &str, cycle: Cycle) -> AppResult<Changed> {
    let preview = preview(state, ctx, plan, cycle).await?;
    let ws = &ctx.workspace.id;
    settled(&preview.sub, state.clock.now())?;
    if preview.needs_payment_method {
        let detail = match preview.sub.status {
            Status::Trialing => "Add a payment method before choosing a paid plan: the trial moves to it when it ends.",
            _ => "Add a payment method before upgrading: the difference is charged now.",
        };
        return Err(AppError::conflict("payment_method_required", detail));
    }
    let origin = Origin::from_ctx(ctx);
    let decision = preview.decision;
    match decision.effect {
        Effect::Unchanged if preview.sub.scheduled_plan_key.is_none() && !preview.sub.cancel_at_period_end => {
            Ok(Changed { sub: preview.sub, decision, invoice: None })
        }
        // Choosing the current plan again undoes a scheduled change.
        Effect::Unchanged => {
            let sub = schedule(state, &origin, ws, None, false).await?;
            Ok(Changed { sub, decision, invoice: None })
        }
        Effect::PeriodEnd => {
            let sub = schedule(state, &origin, ws, decision.scheduled.clone(), false).await?;
            Ok(Changed { sub, decision, invoice: None })
        }
        Effect::Now => upgrade(state, &origin, &preview.sub, decision).await,
    }
}

/// Sets (or clears) the change left for the period's end and the
/// cancellation, with the audit entry.
async fn schedule(
    state: &AppState,
    origin: &Origin,
    ws: &WorkspaceId,
    scheduled: Option<(String, Cycle)>,
    cancel: bool,
) -> AppResult<SubscriptionRow> {
    let catalogue = &state.config.billing.catalogue;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let before = store::lock(&mut tx, ws).await?.ok_or_else(|| AppError::not_found("The subscription"))?;
    let mut after = before.clone();
    // A change back to what is in force is no change (except in a trial,
    // where choosing the trial's own plan is what keeps it afterwards).
    let trialing = before.status == Status::Trialing;
    let scheduled = scheduled.filter(|(plan, cycle)| trialing || *plan != before.plan_key || *cycle != before.cycle);
    after.scheduled_plan_key = scheduled.as_ref().map(|(plan, _)| plan.clone());
    after.scheduled_cycle = scheduled.map(|(_, cycle)| cycle.as_str().to_string());
    after.cancel_at_period_end = cancel;
    if after.scheduled_plan_key != before.scheduled_plan_key
        || after.scheduled_cycle != before.scheduled_cycle
        || after.cancel_at_period_end != before.cancel_at_period_end
    {
        store::save(&mut tx, &after, now).await?;
        record(&mut tx, catalogue, origin, &before, &after, now).await?;
    }
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    super::processor_sync::sync(state, ws).await;
    Ok(after)
}

/// Tries at most this many proration invoices for one change before
/// giving up (each declined one is void; a new attempt needs a new key).
const MAX_ATTEMPTS: u32 = 100;

/// The key of a change's `n`th proration invoice: the same change from
/// the same subscription state finds the same invoice, so a retry after a
/// crash (or a double click) charges once and applies what was paid for.
fn proration_key(sub: &SubscriptionRow, decision: &Decision, n: u32) -> String {
    let to_cycle = decision.scheduled.as_ref().map_or(decision.cycle_now, |(_, c)| *c);
    format!(
        "proration:{}:{}:{}:{}:{}:{n}",
        sub.period_start.timestamp_micros(),
        sub.plan_key,
        sub.cycle.as_str(),
        decision.plan_now,
        to_cycle.as_str(),
    )
}

async fn upgrade(state: &AppState, origin: &Origin, sub: &SubscriptionRow, decision: Decision) -> AppResult<Changed> {
    let catalogue = &state.config.billing.catalogue;
    let ws = &sub.workspace_id;
    let invoice = if decision.charge.minor() > 0 {
        let plan = catalogue.resolve(&decision.plan_now);
        let now = state.clock.now();
        let line = format!(
            "{} plan ({}), prorated to {}",
            plan.name,
            decision.cycle_now.label(),
            decision.period.1.format("%-d %b %Y")
        );
        let mut tx = state.db.begin().await?;
        // Queues a concurrent attempt of the same change until this one's invoice exists.
        store::lock(&mut tx, ws).await?;
        let mut found = None;
        for n in 1..=MAX_ATTEMPTS {
            let key = proration_key(sub, &decision, n);
            match invoices::find_by_key(&mut tx, ws, &key).await? {
                Some(i) if matches!(i.status, InvoiceStatus::Void | InvoiceStatus::Uncollectible) => continue,
                Some(i) => found = Some(i),
                None => {
                    let new = NewInvoice {
                        kind: Kind::Proration,
                        idempotency_key: key,
                        lines: vec![NewLine::one(line, decision.charge)],
                        period: Some((now, decision.period.1)),
                    };
                    found = Some(invoices::create(&mut tx, ws, &catalogue.invoice_prefix, &new, now).await?.0);
                }
            }
            break;
        }
        tx.commit().await?;
        let Some(invoice) = found else {
            return Err(AppError::conflict(
                "too_many_attempts",
                "This change was declined too many times in this period; contact support.",
            ));
        };
        match charge::collect(state, origin, invoice, OnDecline::Void).await? {
            Outcome::Paid(invoice) => Some(invoice),
            Outcome::Declined { message, .. } => return Err(AppError::payment_required("payment_declined", message)),
        }
    } else {
        None
    };
    let grant_key = match &invoice {
        Some(invoice) => format!("proration_grant:{}", invoice.id),
        None => format!("upgrade_grant:{}", proration_key(sub, &decision, 0)),
    };
    let sub = apply_upgrade(state, origin, ws, &decision, &grant_key).await?;
    Ok(Changed { sub, decision, invoice })
}

/// Once paid: the plan changes and the prorated credits are granted, in one
/// transaction.
async fn apply_upgrade(
    state: &AppState,
    origin: &Origin,
    ws: &WorkspaceId,
    decision: &Decision,
    grant_key: &str,
) -> AppResult<SubscriptionRow> {
    let catalogue = &state.config.billing.catalogue;
    let now = state.clock.now();
    let plan = catalogue.resolve(&decision.plan_now);
    let mut tx = state.db.begin().await?;
    let before = store::lock(&mut tx, ws).await?.ok_or_else(|| AppError::not_found("The subscription"))?;
    // An upgrade always changes the plan or the cycle: finding them changed
    // means a concurrent request (or an earlier try) applied this one.
    if before.plan_key == decision.plan_now && before.cycle == decision.cycle_now {
        tx.commit().await?;
        return Ok(before);
    }
    if decision.credits > Credits::ZERO {
        let grant = NewEntry::new(
            EntryKind::CycleGrant,
            decision.credits,
            grant_key,
            format!("{} plan credits, prorated", plan.name),
        );
        ledger::post(&mut tx, ws, grant, now).await?;
    }
    let mut after = before.clone();
    after.plan_key = decision.plan_now.clone();
    after.cycle = decision.cycle_now;
    after.status = Status::Active;
    (after.period_start, after.period_end) = decision.period;
    after.scheduled_plan_key = decision.scheduled.as_ref().map(|(p, _)| p.clone());
    after.scheduled_cycle = decision.scheduled.as_ref().map(|(_, c)| c.as_str().to_string());
    after.cancel_at_period_end = false;
    store::save(&mut tx, &after, now).await?;
    record(&mut tx, catalogue, origin, &before, &after, now).await?;
    tx.commit().await?;
    super::limits::forget(ws);
    state.webhooks_wakeup.notify_one();
    state.jobs_wakeup.notify_one();
    super::processor_sync::sync(state, ws).await;
    Ok(after)
}

/// Cancels at the period's end: the workspace falls to the fallback plan then.
pub async fn cancel(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<SubscriptionRow> {
    ctx.require(Permission::ManageSettings)?;
    let catalogue = &state.config.billing.catalogue;
    let sub = super::trial::load_or_start(state, &ctx.workspace.id).await?;
    settled(&sub, state.clock.now())?;
    if sub.plan_key == catalogue.fallback_plan && sub.status != Status::Trialing {
        return Err(AppError::conflict(
            "nothing_to_cancel",
            format!("The {} plan costs nothing and has nothing to cancel.", catalogue.fallback().name),
        ));
    }
    schedule(state, &Origin::from_ctx(ctx), &ctx.workspace.id, None, true).await
}

/// Undoes a scheduled change or cancellation before the period ends.
pub async fn resume(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<SubscriptionRow> {
    ctx.require(Permission::ManageSettings)?;
    let sub = super::trial::load_or_start(state, &ctx.workspace.id).await?;
    settled(&sub, state.clock.now())?;
    if sub.scheduled_plan_key.is_none() && sub.scheduled_cycle.is_none() && !sub.cancel_at_period_end {
        return Err(AppError::conflict("nothing_to_resume", "No change or cancellation is scheduled."));
    }
    schedule(state, &Origin::from_ctx(ctx), &ctx.workspace.id, None, false).await
}
