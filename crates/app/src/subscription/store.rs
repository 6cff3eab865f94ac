//! The `subscriptions` table: one row per workspace. Every function takes
//! the workspace ID.
use chrono::{DateTime, Utc};
use switchboard_core::WorkspaceId;
use switchboard_db::{Backend, IntoExec, Tx, execute, fetch_all, fetch_optional};

use super::plans::Cycle;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = SubscriptionStatus)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Trialing,
    Active,
    PastDue,
    Canceled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Trialing => "trialing",
            Status::Active => "active",
            Status::PastDue => "past_due",
            Status::Canceled => "canceled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Trialing => "Trial",
            Status::Active => "Active",
            Status::PastDue => "Past due",
            Status::Canceled => "Canceled",
        }
    }
}

impl TryFrom<String> for Status {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        [Status::Trialing, Status::Active, Status::PastDue, Status::Canceled]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown subscription status {s:?}"))
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionRow {
    #[sqlx(try_from = "String")]
    pub workspace_id: WorkspaceId,
    pub plan_key: String,
    #[sqlx(try_from = "String")]
    pub cycle: Cycle,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub trial_reminder_sent_at: Option<DateTime<Utc>>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub scheduled_plan_key: Option<String>,
    pub scheduled_cycle: Option<String>,
    pub cancel_at_period_end: bool,
    pub processor: String,
    pub customer_ref: Option<String>,
    pub subscription_ref: Option<String>,
    pub payment_method_ref: Option<String>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub invoice_counter: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SubscriptionRow {
    pub fn scheduled_cycle(&self) -> Option<Cycle> {
        self.scheduled_cycle.as_deref().and_then(|c| c.parse().ok())
    }

    pub fn has_payment_method(&self) -> bool {
        self.payment_method_ref.is_some()
    }
}

macro_rules! subscription_select {
    () => {
        "SELECT workspace_id, plan_key, cycle, status, trial_ends_at, trial_reminder_sent_at, period_start,
                period_end, scheduled_plan_key, scheduled_cycle, cancel_at_period_end, processor, customer_ref,
                subscription_ref, payment_method_ref, card_brand, card_last4, invoice_counter, created_at, updated_at
         FROM subscriptions"
    };
}

/// What a new subscription starts as.
pub struct NewSubscription<'a> {
    pub plan_key: &'a str,
    pub cycle: Cycle,
    pub status: Status,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub processor: &'a str,
}

/// Inserts the workspace's subscription unless it has one; `true` when inserted.
pub async fn insert_if_missing<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    new: &NewSubscription<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let inserted = execute!(
        ex,
        "INSERT INTO subscriptions (workspace_id, plan_key, cycle, status, trial_ends_at, period_start, period_end,
             processor, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (workspace_id) DO NOTHING",
        ws.as_str(),
        new.plan_key,
        new.cycle.as_str(),
        new.status.as_str(),
        new.trial_ends_at,
        new.period_start,
        new.period_end,
        new.processor,
        now
    )?;
    Ok(inserted > 0)
}

pub async fn find<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    fetch_optional!(ex, SubscriptionRow, concat!(subscription_select!(), " WHERE workspace_id = $1"), ws.as_str())
}

/// Reads the row locked for a change (see `credits::ledger` for why SQLite needs no lock).
pub async fn lock(tx: &mut Tx, ws: &WorkspaceId) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    let sql = match tx.backend() {
        Backend::Sqlite => concat!(subscription_select!(), " WHERE workspace_id = $1"),
        Backend::Postgres => concat!(subscription_select!(), " WHERE workspace_id = $1 FOR UPDATE"),
    };
    fetch_optional!(&mut *tx, SubscriptionRow, sql, ws.as_str())
}

/// Subscriptions whose period (or trial) has ended by `now`, oldest first.
pub async fn due<'a>(ex: impl IntoExec<'a>, now: DateTime<Utc>, limit: i64) -> Result<Vec<WorkspaceId>, sqlx::Error> {
    let ids = fetch_all!(
        ex,
        (String,),
        "SELECT workspace_id FROM subscriptions WHERE period_end <= $1 ORDER BY period_end LIMIT $2",
        now,
        limit
    )?;
    Ok(ids.into_iter().filter_map(|(id,)| id.parse().ok()).collect())
}

/// Writes the lifecycle fields of `row` (plan, cycle, status, trial, period,
/// scheduled change, cancellation) back; the caller holds the row's lock.
pub async fn save(tx: &mut Tx, row: &SubscriptionRow, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE subscriptions SET plan_key = $2, cycle = $3, status = $4, trial_ends_at = $5, period_start = $6,
             period_end = $7, scheduled_plan_key = $8, scheduled_cycle = $9, cancel_at_period_end = $10,
             updated_at = $11
         WHERE workspace_id = $1",
        row.workspace_id.as_str(),
        &row.plan_key,
        row.cycle.as_str(),
        row.status.as_str(),
        row.trial_ends_at,
        row.period_start,
        row.period_end,
        row.scheduled_plan_key.as_deref(),
        row.scheduled_cycle.as_deref(),
        row.cancel_at_period_end,
        now
    )?;
    Ok(())
}

/// Trials ending by `before` whose reminder has not been sent.
pub async fn trial_reminders_due<'a>(
    ex: impl IntoExec<'a>,
    now: DateTime<Utc>,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<WorkspaceId>, sqlx::Error> {
    let ids = fetch_all!(
        ex,
        (String,),
        "SELECT workspace_id FROM subscriptions
         WHERE status = 'trialing' AND trial_reminder_sent_at IS NULL AND trial_ends_at > $1 AND trial_ends_at <= $2
         ORDER BY trial_ends_at LIMIT $3",
        now,
        before,
        limit
    )?;
    Ok(ids.into_iter().filter_map(|(id,)| id.parse().ok()).collect())
}

/// Claims the trial reminder: `true` for the one caller that set it.
pub async fn claim_trial_reminder(tx: &mut Tx, ws: &WorkspaceId, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let done = execute!(
        &mut *tx,
        "UPDATE subscriptions SET trial_reminder_sent_at = $2 WHERE workspace_id = $1 AND trial_reminder_sent_at IS NULL",
        ws.as_str(),
        now
    )?;
    Ok(done > 0)
}
