//! A new workspace's first subscription: a trial of the configured plan
//! (Pro by default) for `trial_days`, with the trial's credits granted as
//! its first cycle. At the trial's end the renewal job moves it to the
//! chosen plan, or to the fallback plan without a payment method.
use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use switchboard_core::WorkspaceId;
use switchboard_db::Tx;

use super::plans::Cycle;
use super::store::{self, NewSubscription, Status};
use crate::credits::ledger::{self, EntryKind, NewEntry};
use crate::error::AppResult;
use crate::state::AppState;

/// The idempotency key of the trial's credit grant.
pub const TRIAL_GRANT_KEY: &str = "trial_grant";

/// Starts the workspace's trial unless it has a subscription already.
pub async fn start(state: &AppState, tx: &mut Tx, ws: &WorkspaceId, now: DateTime<Utc>) -> AppResult<()> {
    let catalogue = &state.config.billing.catalogue;
    let trial = catalogue.trial();
    let ends = now + Duration::days(i64::from(catalogue.trial_days));
    let new = NewSubscription {
        plan_key: &trial.key,
        cycle: Cycle::Monthly,
        status: Status::Trialing,
        trial_ends_at: Some(ends),
        period_start: now,
        period_end: ends,
        processor: state.payments.name(),
    };
    if store::insert_if_missing(&mut *tx, ws, &new, now).await? {
        let grant = NewEntry::new(
            EntryKind::CycleGrant,
            catalogue.trial_credits,
            TRIAL_GRANT_KEY,
            format!("{} trial credits", trial.name),
        );
        ledger::post(tx, ws, grant, now).await?;
    }
    Ok(())
}

pub fn on_workspace_created<'a>(
    state: &'a AppState,
    tx: &'a mut Tx,
    ws: &'a WorkspaceId,
    now: DateTime<Utc>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(start(state, tx, ws, now))
}

/// The workspace's subscription, starting the trial first for a workspace
/// created before billing existed (so every reader finds one).
pub async fn load_or_start(state: &AppState, ws: &WorkspaceId) -> AppResult<store::SubscriptionRow> {
    if let Some(row) = store::find(&state.db, ws).await? {
        return Ok(row);
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    start(state, &mut tx, ws, now).await?;
    let row = store::find(&mut tx, ws).await?.ok_or_else(|| anyhow::anyhow!("the subscription was just created"))?;
    tx.commit().await?;
    Ok(row)
}
