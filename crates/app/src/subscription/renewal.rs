//! Renewals: the feature's worker loop runs [`run_pass`] about every 30
//! seconds (and tests call it directly). For each subscription whose
//! period (or trial) has ended it works out the next terms (the scheduled
//! change, the fallback plan after a cancellation, the chosen plan or the
//! fallback at a trial's end), then:
//!
//! 1. **charge** ([`charge_step`]): an invoice of kind `subscription` under
//!    the key `renewal:<workspace>:<new period start>`, created while the
//!    subscription row is locked and the period re-checked, then collected
//!    outside any transaction with the invoice ID as the processor's
//!    idempotency key;
//! 2. **grant** ([`grant_step`]), once paid (or free), in one transaction
//!    that locks the row and re-checks that the period is still the one
//!    being renewed: the ended cycle's unused credits expire (key
//!    `expiry:<period start>`), the new cycle's are granted (key
//!    `cycle_grant:<period start>`), scheduled changes apply and the period
//!    advances.
//!
//! Every step is keyed, so a process killed between them, or two processes
//! renewing at once, leave one invoice, one charge, one grant and one
//! expiry per workspace and period.
//!
//! A declined renewal leaves the invoice open and the subscription
//! `past_due`; it is retried once a day; after [`GRACE_DAYS`] days the
//! invoice becomes `uncollectible` and the workspace falls to the fallback
//! plan. A trial whose first charge is declined falls to the fallback plan
//! at once (its invoice is void). Admins are emailed [`REMINDER_DAYS`] days
//! before a trial ends.
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::fetch_all;

use super::change::period_end;
use super::plans::{Catalogue, Cycle, Plan};
use super::store::{self, Status, SubscriptionRow};
use crate::audit::Origin;
use crate::credits::ledger::{self, EntryKind, NewEntry};
use crate::error::AppResult;
use crate::invoices::charge::{self, OnDecline, Outcome};
use crate::invoices::store::{self as invoices, Invoice, Kind, NewInvoice, NewLine};
use crate::state::AppState;

/// How often the worker looks for ended periods.
pub const POLL_INTERVAL: StdDuration = StdDuration::from_secs(30);
/// Days a declined renewal is retried before the workspace falls to the fallback plan.
pub const GRACE_DAYS: i64 = 7;
/// A declined renewal is retried this long after its last attempt.
pub const RETRY_AFTER: Duration = Duration::hours(24);
/// Admins hear of a trial's end this many days before it.
pub const REMINDER_DAYS: i64 = 3;
/// Subscriptions looked at per pass.
const BATCH: i64 = 500;

/// The plan and cycle the next period runs on.
#[derive(Debug, Clone)]
pub struct Terms<'c> {
    pub plan: &'c Plan,
    pub cycle: Cycle,
    pub from_trial: bool,
}

/// What comes after the period of `sub` ends.
pub fn next_terms<'c>(catalogue: &'c Catalogue, sub: &SubscriptionRow) -> Terms<'c> {
    let fallback = Terms { plan: catalogue.fallback(), cycle: Cycle::Monthly, from_trial: false };
    let scheduled = sub.scheduled_plan_key.as_deref().and_then(|k| catalogue.get(k));
    let cycle = sub.scheduled_cycle().unwrap_or(sub.cycle);
    match sub.status {
        Status::Trialing if sub.cancel_at_period_end => Terms { from_trial: true, ..fallback },
        Status::Trialing => match scheduled {
            Some(plan) if plan.is_free() || sub.has_payment_method() => Terms { plan, cycle, from_trial: true },
            _ => Terms { from_trial: true, ..fallback },
        },
        _ if sub.cancel_at_period_end => fallback,
        _ => Terms { plan: scheduled.unwrap_or_else(|| catalogue.resolve(&sub.plan_key)), cycle, from_trial: false },
    }
}

/// What the charge step found.
#[derive(Debug)]
pub enum Step {
    /// The period has not ended, or another process renewed it.
    NotDue,
    /// Declined earlier; the next attempt is later.
    Waiting,
    /// Declined now: the subscription is past due.
    Declined(String),
    /// Paid (the invoice), or nothing to pay (`None`): grant next.
    Paid(Option<Box<Invoice>>),
    /// Not paid for good: the next period is the fallback plan's.
    Fallback,
}

fn key_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn invoice_key(ws: &WorkspaceId, period_start: DateTime<Utc>) -> String {
    format!("renewal:{ws}:{}", key_time(period_start))
}

/// Charges the next period of `ws` if it is due (see the module header).
pub async fn charge_step(state: &AppState, ws: &WorkspaceId) -> AppResult<Step> {
    let catalogue = &state.config.billing.catalogue;
    let now = state.clock.now();
    let Some(sub) = store::find(&state.db, ws).await? else { return Ok(Step::NotDue) };
    if sub.period_end > now {
        return Ok(Step::NotDue);
    }
    let start = sub.period_end;
    let terms = next_terms(catalogue, &sub);
    let price = terms.plan.price(terms.cycle);
    if price.minor() == 0 {
        return Ok(Step::Paid(None));
    }
    if state.payments.collects_renewals() && sub.subscription_ref.is_some() {
        // The processor charges this cycle on its own subscription; its
        // `invoice.paid` event records the paid invoice (stripe_events),
        // and the period opens once that has arrived.
        return Ok(match invoices::find_paid_for_period(&state.db, ws, start).await? {
            Some(invoice) => Step::Paid(Some(Box::new(invoice))),
            None => Step::Waiting,
        });
    }
    let origin = Origin::system(ws.clone());
    let key = invoice_key(ws, start);
    let invoice = match invoices::find_by_key(&state.db, ws, &key).await? {
        Some(invoice) => invoice,
        None => {
            let end = period_end(start, terms.cycle);
            let line = format!(
                "{} plan ({}), {} – {}",
                terms.plan.name,
                terms.cycle.label(),
                start.format("%-d %b %Y"),
                end.format("%-d %b %Y")
            );
            let new = NewInvoice {
                kind: Kind::Subscription,
                idempotency_key: key.clone(),
                lines: vec![NewLine::one(line, price)],
                period: Some((start, end)),
            };
            let mut tx = state.db.begin().await?;
            // The lock queues a second process here; it then finds the
            // period renewed, or the invoice made.
            match store::lock(&mut tx, ws).await? {
                Some(row) if row.period_end == start => {}
                _ => return Ok(Step::NotDue),
            }
            let (invoice, _) = invoices::create(&mut tx, ws, &catalogue.invoice_prefix, &new, now).await?;
            tx.commit().await?;
            invoice
        }
    };
    match invoice.status {
        invoices::Status::Paid => return Ok(Step::Paid(Some(Box::new(invoice)))),
        invoices::Status::Void | invoices::Status::Uncollectible => return Ok(Step::Fallback),
        invoices::Status::Open | invoices::Status::Draft => {}
    }
    if sub.status == Status::PastDue {
        if now >= start + Duration::days(GRACE_DAYS) {
            give_up(state, &origin, &invoice).await?;
            return Ok(Step::Fallback);
        }
        if invoice.updated_at + RETRY_AFTER > now {
            return Ok(Step::Waiting);
        }
    }
    let on_decline = if terms.from_trial { OnDecline::Void } else { OnDecline::KeepOpen };
    match charge::collect(state, &origin, invoice, on_decline).await? {
        Outcome::Paid(invoice) => Ok(Step::Paid(Some(Box::new(invoice)))),
        Outcome::Declined { .. } if terms.from_trial => Ok(Step::Fallback),
        Outcome::Declined { message, .. } => {
            mark_past_due(state, &origin, ws, start).await?;
            Ok(Step::Declined(message))
        }
    }
}

async fn give_up(state: &AppState, origin: &Origin, invoice: &Invoice) -> AppResult<()> {
    let now = state.clock.now();
    let message = format!("Not paid within {GRACE_DAYS} days: the workspace moved to the free plan.");
    let mut tx = state.db.begin().await?;
    charge::mark_failed(&mut tx, state, origin, invoice, &message, invoices::Status::Uncollectible, now).await?;
    tx.commit().await?;
    state.jobs_wakeup.notify_one();
    Ok(())
}

async fn mark_past_due(state: &AppState, origin: &Origin, ws: &WorkspaceId, start: DateTime<Utc>) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if let Some(before) = store::lock(&mut tx, ws).await?
        && before.period_end == start
        && before.status != Status::PastDue
    {
        let after = SubscriptionRow { status: Status::PastDue, ..before.clone() };
        store::save(&mut tx, &after, now).await?;
        super::service::record(&mut tx, &state.config.billing.catalogue, origin, &before, &after, now).await?;
    }
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(())
}

/// Expires the ended cycle's credits, grants the next cycle's and advances
/// the period, if the period starting `start` is still the one to renew.
/// `fallback`: the next period is the fallback plan's whatever was chosen.
pub async fn grant_step(state: &AppState, ws: &WorkspaceId, start: DateTime<Utc>, fallback: bool) -> AppResult<bool> {
    let catalogue = &state.config.billing.catalogue;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(before) = store::lock(&mut tx, ws).await? else { return Ok(false) };
    if before.period_end != start {
        // Renewed already (by another process, or an earlier run).
        return Ok(false);
    }
    let terms = match fallback {
        true => Terms { plan: catalogue.fallback(), cycle: Cycle::Monthly, from_trial: false },
        false => next_terms(catalogue, &before),
    };
    let at = key_time(start);
    let expiry =
        NewEntry::new(EntryKind::Expiry, Credits::ZERO, format!("expiry:{at}"), "Unused cycle credits expired");
    ledger::post(&mut tx, ws, expiry, now).await?;
    let credits = terms.plan.credits(terms.cycle);
    let grant = NewEntry::new(
        EntryKind::CycleGrant,
        credits,
        format!("cycle_grant:{at}"),
        format!("{} plan credits ({})", terms.plan.name, terms.cycle.label()),
    );
    ledger::post(&mut tx, ws, grant, now).await?;
    let after = SubscriptionRow {
        plan_key: terms.plan.key.clone(),
        cycle: terms.cycle,
        status: Status::Active,
        period_start: start,
        period_end: period_end(start, terms.cycle),
        scheduled_plan_key: None,
        scheduled_cycle: None,
        cancel_at_period_end: false,
        ..before.clone()
    };
    store::save(&mut tx, &after, now).await?;
    super::service::record(&mut tx, catalogue, &Origin::system(ws.clone()), &before, &after, now).await?;
    tx.commit().await?;
    super::limits::forget(ws);
    state.webhooks_wakeup.notify_one();
    state.jobs_wakeup.notify_one();
    super::processor_sync::sync(state, ws).await;
    Ok(true)
}

/// Renews `ws` if its period has ended: `true` when this call advanced it.
pub async fn renew(state: &AppState, ws: &WorkspaceId) -> AppResult<bool> {
    let Some(sub) = store::find(&state.db, ws).await? else { return Ok(false) };
    let start = sub.period_end;
    match charge_step(state, ws).await? {
        Step::Paid(_) => grant_step(state, ws, start, false).await,
        Step::Fallback => grant_step(state, ws, start, true).await,
        Step::NotDue | Step::Waiting | Step::Declined(_) => Ok(false),
    }
}

/// One pass: trial reminders, then every subscription due. Returns how many
/// periods advanced.
pub async fn run_pass(state: &AppState) -> anyhow::Result<usize> {
    remind(state).await?;
    let due = store::due(&state.db, state.clock.now(), BATCH).await?;
    let mut renewed = 0;
    for ws in due {
        match renew(state, &ws).await {
            Ok(true) => renewed += 1,
            Ok(false) => {}
            Err(err) => tracing::warn!(workspace = %ws, error = ?err, "renewal failed; retried next pass"),
        }
    }
    Ok(renewed)
}

/// Emails every Admin of each trial ending within [`REMINDER_DAYS`] days, once.
pub async fn remind(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock.now();
    let due = store::trial_reminders_due(&state.db, now, now + Duration::days(REMINDER_DAYS), BATCH).await?;
    for ws in due {
        let mut tx = state.db.begin().await?;
        if !store::claim_trial_reminder(&mut tx, &ws, now).await? {
            continue;
        }
        let Some(sub) = store::find(&mut tx, &ws).await? else { continue };
        let rows: Vec<(String, String)> = fetch_all!(
            &mut tx,
            (String, String),
            "SELECT u.email, w.name FROM memberships m JOIN users u ON u.id = m.user_id
             JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.workspace_id = $1 AND m.role = 'admin' AND m.status = 'active' ORDER BY u.email",
            ws.as_str()
        )?;
        let catalogue = &state.config.billing.catalogue;
        let link = format!("{}/settings/subscription", state.public_url);
        for (i, (to, workspace)) in rows.iter().enumerate() {
            let message = super::email::trial_ending(catalogue, &sub, to, workspace, &link, i);
            crate::jobs::email::enqueue_email(&mut tx, Some(ws.clone()), &message, now).await?;
        }
        tx.commit().await?;
        state.jobs_wakeup.notify_one();
    }
    Ok(())
}

/// The worker loop.
pub fn spawn(
    state: AppState,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    Ok(Some(crate::jobs::spawn_periodic(state, shutdown, POLL_INTERVAL, "renewal", |state| async move {
        run_pass(&state).await
    })))
}
