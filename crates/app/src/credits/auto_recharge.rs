//! Auto-recharge: when a debit takes the balance below the threshold,
//! buy `amount` credits with the saved payment method, at most `monthly
//! cap` credits a calendar month.
//!
//! The debit that crosses the line enqueues [`AUTO_RECHARGE_JOB`] in its
//! own transaction, keyed `auto_recharge:<seq of that entry>`
//! (`low_balance`); that key is the invoice's and the grant's too, so a
//! job run twice (a lease expired, two processes) charges and grants once.
//! A declined payment turns auto-recharge off with the reason (audited as
//! the system; the invoice's failure email tells the Admins it is off).
//!
//! The monthly cap counts this calendar month, in the workspace's time
//! zone, of auto-recharge grants plus auto-recharge invoices still open;
//! the job checks it with the balance row locked, so two jobs cannot both
//! pass it. A job that finds the balance back at or above the threshold
//! (a top-up came first) or auto-recharge turned off does nothing.
use async_trait::async_trait;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::{Tx, execute, fetch_scalar};

use super::ledger::{self, BalanceRow};
pub use super::low_balance::{AUTO_RECHARGE_JOB, AutoRechargePayload};
use super::top_up::{self, MAX_CREDITS, MIN_CREDITS};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult, FieldError};
use crate::invoices::charge::{self, OnDecline, Outcome};
use crate::invoices::store::{self as invoices, Kind};
use crate::jobs::{Job, JobError, JobHandler};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// The settings, in whole credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true, "threshold": 500, "amount": 2000, "monthly_cap": 10000}))]
pub struct Settings {
    pub enabled: bool,
    /// Recharge when a debit takes the balance below this many credits (≥ 0).
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub threshold: i64,
    /// Credits bought each time (100 – 1,000,000).
    #[schema(minimum = 100, maximum = 1_000_000)]
    pub amount: i64,
    /// At most this many credits a calendar month (≥ amount).
    #[schema(minimum = 100, maximum = 100_000_000)]
    pub monthly_cap: i64,
}

impl Settings {
    pub fn of(row: &BalanceRow) -> Settings {
        let whole = |millis: i64| millis / Credits::MILLIS_PER_CREDIT;
        Settings {
            enabled: row.auto_recharge_enabled,
            threshold: whole(row.auto_recharge_threshold),
            amount: whole(row.auto_recharge_amount),
            monthly_cap: whole(row.auto_recharge_monthly_cap),
        }
    }

    /// Checks every field; the errors name them all.
    pub fn validate(self) -> AppResult<Settings> {
        let mut errors = Vec::new();
        if !(0..=MAX_CREDITS * 10).contains(&self.threshold) {
            errors.push(FieldError::new("threshold", "The threshold is a whole number of credits, 0 or more."));
        }
        if !(MIN_CREDITS..=MAX_CREDITS).contains(&self.amount) {
            errors.push(FieldError::new("amount", "Recharge between 100 and 1,000,000 credits at a time."));
        }
        if self.monthly_cap < self.amount || self.monthly_cap > MAX_CREDITS * 100 {
            errors.push(FieldError::new(
                "monthly_cap",
                "The monthly cap must be at least the recharge amount (and at most 100,000,000).",
            ));
        }
        if errors.is_empty() { Ok(self) } else { Err(AppError::validation(errors)) }
    }
}

/// The settings and why auto-recharge turned itself off, if it did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "enabled": false, "threshold": 500, "amount": 2000, "monthly_cap": 10000,
    "disabled_reason": "The payment for invoice SB-8XQZ-0004 failed: Your card was declined."
}))]
pub struct AutoRecharge {
    pub enabled: bool,
    pub threshold: i64,
    pub amount: i64,
    pub monthly_cap: i64,
    /// Why auto-recharge turned itself off (a declined payment), if it did.
    pub disabled_reason: Option<String>,
}

impl AutoRecharge {
    /// The settings as a balance row holds them.
    pub fn from_row(row: BalanceRow) -> Self {
        AutoRecharge::new(Settings::of(&row), row.auto_recharge_disabled_reason)
    }

    fn new(s: Settings, disabled_reason: Option<String>) -> Self {
        AutoRecharge {
            enabled: s.enabled,
            threshold: s.threshold,
            amount: s.amount,
            monthly_cap: s.monthly_cap,
            disabled_reason,
        }
    }

    pub fn settings(&self) -> Settings {
        Settings {
            enabled: self.enabled,
            threshold: self.threshold,
            amount: self.amount,
            monthly_cap: self.monthly_cap,
        }
    }
}

pub async fn read(state: &AppState, ws: &WorkspaceId) -> AppResult<AutoRecharge> {
    let row = match ledger::read_balance(&state.db, ws).await? {
        Some(row) => row,
        None => {
            ledger::ensure_balance_row(&state.db, ws, state.clock.now()).await?;
            ledger::read_balance(&state.db, ws).await?.ok_or_else(|| AppError::not_found("The credit balance"))?
        }
    };
    Ok(AutoRecharge::from_row(row))
}

/// Changes the settings (Admins), audited as `credits.auto_recharge_updated`.
/// Turning it on clears the reason it was turned off.
pub async fn update(state: &AppState, ctx: &WorkspaceCtx, new: Settings) -> AppResult<AutoRecharge> {
    ctx.require(Permission::ManageSettings)?;
    let new = new.validate()?;
    let ws = &ctx.workspace.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = ledger::lock_balance(&mut tx, ws, now).await?;
    let reason = if new.enabled { None } else { row.auto_recharge_disabled_reason.clone() };
    write(&mut tx, ws, new, reason.as_deref(), now).await?;
    let changes = changes(Settings::of(&row), new, row.auto_recharge_disabled_reason.as_deref(), reason.as_deref());
    if !changes.is_empty() {
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::AUTO_RECHARGE_UPDATED, &target(ws), &changes, now)
            .await?;
    }
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(AutoRecharge::new(new, reason))
}

fn target(ws: &WorkspaceId) -> Target {
    Target::new("credit_balance", ws, "Auto-recharge")
}

fn changes(before: Settings, after: Settings, reason_before: Option<&str>, reason_after: Option<&str>) -> Changes {
    Changes::new()
        .field("enabled", before.enabled, after.enabled)
        .field("threshold", before.threshold, after.threshold)
        .field("amount", before.amount, after.amount)
        .field("monthly_cap", before.monthly_cap, after.monthly_cap)
        .field("disabled_reason", reason_before, reason_after)
}

async fn write(
    tx: &mut Tx,
    ws: &WorkspaceId,
    s: Settings,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let millis = |whole: i64| whole.saturating_mul(Credits::MILLIS_PER_CREDIT);
    execute!(
        &mut *tx,
        "UPDATE credit_balances SET auto_recharge_enabled = $2, auto_recharge_threshold = $3,
             auto_recharge_amount = $4, auto_recharge_monthly_cap = $5, auto_recharge_disabled_reason = $6,
             updated_at = $7
         WHERE workspace_id = $1",
        ws.as_str(),
        s.enabled,
        millis(s.threshold),
        millis(s.amount),
        millis(s.monthly_cap),
        reason,
        now
    )?;
    Ok(())
}

/// The start of the calendar month holding `now` in `tz`, in UTC.
pub fn month_start(now: DateTime<Utc>, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let local = now.with_timezone(&tz);
    tz.with_ymd_and_hms(local.year(), local.month(), 1, 0, 0, 0)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now)
}

/// Milli-credits auto-recharge has granted since `since`, plus those of its
/// invoices still open (being charged by another job).
async fn spent_this_month(
    tx: &mut Tx,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
    amount: Credits,
) -> Result<i64, sqlx::Error> {
    let granted = fetch_scalar!(
        &mut *tx,
        i64,
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM credit_entries
         WHERE workspace_id = $1 AND kind = 'top_up' AND idempotency_key LIKE 'auto_recharge:%' AND created_at >= $2",
        ws.as_str(),
        since
    )?;
    let open = invoices::count_open_since(&mut *tx, ws, Kind::AutoRecharge, since).await?;
    Ok(granted.saturating_add(open.saturating_mul(amount.millis())))
}

/// What a recharge job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recharge {
    /// Charged and granted (or found already granted).
    Granted,
    /// Nothing to do: turned off, balance back above the line, or the cap reached.
    Skipped(&'static str),
    /// The payment was declined; auto-recharge is now off.
    Declined,
}

/// Runs the recharge for one crossing (see the module header).
pub async fn run(state: &AppState, ws: &WorkspaceId, crossing_key: &str) -> AppResult<Recharge> {
    let origin = Origin::system(ws.clone());
    if ledger::find_by_key(&state.db, ws, crossing_key).await?.is_some() {
        return Ok(Recharge::Granted);
    }
    let now = state.clock.now();
    let sub = crate::subscription::trial::load_or_start(state, ws).await?;
    let plan = state.config.billing.catalogue.resolve(&sub.plan_key);
    let tz = crate::tenancy::timezone(&state.db, ws).await?;
    // With the balance row locked: decide, and (when due) open the invoice,
    // so a second job checks the cap after this one's invoice exists.
    let mut tx = state.db.begin().await?;
    let row = ledger::lock_balance(&mut tx, ws, now).await?;
    let settings = Settings::of(&row);
    let amount = Credits::from_millis(row.auto_recharge_amount);
    let existing = invoices::find_by_key(&mut tx, ws, crossing_key).await?;
    let invoice = match existing {
        Some(invoice) => invoice,
        None => {
            if !settings.enabled {
                return Ok(Recharge::Skipped("auto-recharge is off"));
            }
            if row.balance().total() >= Credits::from_millis(row.auto_recharge_threshold) {
                return Ok(Recharge::Skipped("the balance is back at or above the threshold"));
            }
            let spent = spent_this_month(&mut tx, ws, month_start(now, tz), amount).await?;
            if spent.saturating_add(amount.millis()) > row.auto_recharge_monthly_cap {
                tracing::info!(workspace = %ws, "auto-recharge skipped: the monthly cap is reached");
                return Ok(Recharge::Skipped("the monthly cap is reached"));
            }
            let credits = top_up::TopUpCredits::new("amount", settings.amount)?;
            let price = top_up::price(plan, credits)?;
            let lines =
                vec![invoices::NewLine::one(top_up::line_description(Kind::AutoRecharge, credits.credits()), price)];
            let new = invoices::NewInvoice {
                kind: Kind::AutoRecharge,
                idempotency_key: crossing_key.into(),
                lines,
                period: None,
            };
            let prefix = &state.config.billing.catalogue.invoice_prefix;
            invoices::create(&mut tx, ws, prefix, &new, now).await?.0
        }
    };
    tx.commit().await?;
    // What the invoice bought, read back from its line so a changed setting
    // cannot change a retried grant.
    let credits = credits_of(state, &invoice).await?;
    match charge::collect(state, &origin, invoice, OnDecline::Void).await? {
        Outcome::Paid(invoice) => {
            top_up::grant(state, &origin, &invoice, credits, crossing_key).await?;
            Ok(Recharge::Granted)
        }
        Outcome::Declined { invoice, message } => {
            turn_off(state, ws, &format!("The payment for invoice {} failed: {message}", invoice.number)).await?;
            Ok(Recharge::Declined)
        }
    }
}

/// The credits an auto-recharge invoice's line names.
async fn credits_of(state: &AppState, invoice: &invoices::Invoice) -> AppResult<Credits> {
    let lines = invoices::lines(&state.db, &invoice.workspace_id, &invoice.id).await?;
    lines
        .first()
        .and_then(|l| top_up::auto_recharge_credits(&l.description))
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("auto-recharge invoice {} names no credits", invoice.id)))
}

/// Turns auto-recharge off with `reason`, audited as the system.
pub async fn turn_off(state: &AppState, ws: &WorkspaceId, reason: &str) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = ledger::lock_balance(&mut tx, ws, now).await?;
    let before = Settings::of(&row);
    if !before.enabled {
        return Ok(());
    }
    let after = Settings { enabled: false, ..before };
    write(&mut tx, ws, after, Some(reason), now).await?;
    let changes = changes(before, after, row.auto_recharge_disabled_reason.as_deref(), Some(reason));
    audit::record(&mut tx, &Origin::system(ws.clone()), &super::AUTO_RECHARGE_UPDATED, &target(ws), &changes, now)
        .await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    Ok(())
}

/// The `credits.auto_recharge` job.
pub struct AutoRechargeJob;

#[async_trait]
impl JobHandler for AutoRechargeJob {
    fn kind(&self) -> &'static str {
        AUTO_RECHARGE_JOB
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let payload: AutoRechargePayload = job.payload_as()?;
        let ws = job.workspace_id.clone().ok_or_else(|| JobError::Permanent("the job names no workspace".into()))?;
        if !payload.crossing_key.starts_with("auto_recharge:") {
            return Err(JobError::Permanent("the crossing key is not an auto-recharge key".into()));
        }
        match run(state, &ws, &payload.crossing_key).await {
            Ok(_) => Ok(()),
            Err(AppError::Client(p)) if p.status.is_client_error() => Err(JobError::Permanent(p.detail)),
            Err(err) => Err(JobError::Retry(format!("{err:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_field_by_field() {
        let ok = Settings { enabled: true, threshold: 500, amount: 1_000, monthly_cap: 5_000 };
        assert_eq!(ok.validate().ok(), Some(ok));
        let bad = Settings { enabled: true, threshold: -1, amount: 50, monthly_cap: 10 };
        let err = bad.validate().expect_err("bad");
        for field in ["threshold", "amount", "monthly_cap"] {
            assert!(err.field_message(field).is_some(), "{field}");
        }
        let under_cap = Settings { monthly_cap: 999, ..ok };
        assert!(under_cap.validate().expect_err("cap").field_message("monthly_cap").is_some());
    }

    #[test]
    fn the_month_starts_in_the_workspace_time_zone() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).single().expect("t");
        assert_eq!(month_start(now, chrono_tz::UTC), Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().expect("t"));
        // Still 30 November in New York (UTC−5).
        let ny = month_start(now, chrono_tz::America::New_York);
        assert_eq!(ny, Utc.with_ymd_and_hms(2026, 11, 1, 4, 0, 0).single().expect("t"));
    }
}
