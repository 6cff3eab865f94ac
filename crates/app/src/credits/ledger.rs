//! The credits ledger: append-only entries whose sum is the balance, and
//! the balance row kept equal to that sum in the same transaction.
//!
//! [`post`] is the one way credits move. It locks the workspace's balance
//! row first (`FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE`
//! already serialises writers), so concurrent debits queue on that row and
//! can never spend the same credit twice; then it returns the entry already
//! written under the same idempotency key, if there is one, or appends the
//! new entry and updates the row.
//!
//! The balance has two parts. **Cycle credits** (granted each billing
//! cycle) are spent first and expire at the cycle's end; **top-up
//! credits** (top-ups, refunds, positive adjustments) never expire and
//! carry any overdraft. Each entry records how it split between the two,
//! so [`verify`] can recompute both parts from the entries alone.
use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::{CreditEntryId, Credits, WorkspaceId};
use switchboard_db::{Backend, IntoExec, Tx, execute, fetch_all, fetch_optional};

use crate::error::{AppError, AppResult};

pub use super::spend::check_can_spend;
pub use super::verify::{Verification, verify};

/// What an entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    CycleGrant,
    TopUp,
    Usage,
    NumberRental,
    VoiceClone,
    Adjustment,
    Expiry,
    Refund,
}

impl EntryKind {
    pub const ALL: [EntryKind; 8] = [
        EntryKind::CycleGrant,
        EntryKind::TopUp,
        EntryKind::Usage,
        EntryKind::NumberRental,
        EntryKind::VoiceClone,
        EntryKind::Adjustment,
        EntryKind::Expiry,
        EntryKind::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::CycleGrant => "cycle_grant",
            EntryKind::TopUp => "top_up",
            EntryKind::Usage => "usage",
            EntryKind::NumberRental => "number_rental",
            EntryKind::VoiceClone => "voice_clone",
            EntryKind::Adjustment => "adjustment",
            EntryKind::Expiry => "expiry",
            EntryKind::Refund => "refund",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EntryKind::CycleGrant => "Cycle credits",
            EntryKind::TopUp => "Top-up",
            EntryKind::Usage => "Usage",
            EntryKind::NumberRental => "Number rental",
            EntryKind::VoiceClone => "Voice clone",
            EntryKind::Adjustment => "Adjustment",
            EntryKind::Expiry => "Expired",
            EntryKind::Refund => "Refund",
        }
    }
}

impl TryFrom<String> for EntryKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("unknown entry kind {s:?}"))
    }
}

/// Whether a debit may take the balance below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overdraft {
    /// A purchase (a number, a clone, a top-up-priced action): refused with
    /// the shortfall when the balance does not cover it.
    Refuse,
    /// Usage that already happened (a finished call): always recorded.
    Allow,
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: EntryKind,
    /// Signed: positive grants, negative debits. Ignored for
    /// [`EntryKind::Expiry`], which takes whatever cycle credits are left.
    pub amount: Credits,
    /// Unique per workspace: a second post with the same key returns the
    /// first entry and changes nothing.
    pub idempotency_key: String,
    pub description: String,
    pub reference: Option<String>,
    pub overdraft: Overdraft,
    /// The entry's ID when the caller needs it before posting (rows that
    /// point at the entry, written first); a new one otherwise.
    pub id: Option<CreditEntryId>,
}

impl NewEntry {
    pub fn new(
        kind: EntryKind,
        amount: Credits,
        idempotency_key: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        NewEntry {
            kind,
            amount,
            idempotency_key: idempotency_key.into(),
            description: description.into(),
            reference: None,
            overdraft: Overdraft::Refuse,
            id: None,
        }
    }

    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    pub fn overdraft(mut self, overdraft: Overdraft) -> Self {
        self.overdraft = overdraft;
        self
    }

    pub fn with_id(mut self, id: CreditEntryId) -> Self {
        self.id = Some(id);
        self
    }
}

/// The balance and its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Balance {
    pub cycle: Credits,
    pub top_up: Credits,
}

impl Balance {
    pub fn total(&self) -> Credits {
        // Both parts are bounded by checked arithmetic when they change.
        self.cycle.checked_add(self.top_up).unwrap_or(Credits::from_millis(i64::MAX))
    }
}

/// The balance row as [`post`] locks it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BalanceRow {
    pub cycle_credits: i64,
    pub top_up_credits: i64,
    pub entry_count: i64,
    pub low_balance_threshold: i64,
    pub auto_recharge_enabled: bool,
    pub auto_recharge_threshold: i64,
    pub auto_recharge_amount: i64,
    pub auto_recharge_monthly_cap: i64,
    pub auto_recharge_disabled_reason: Option<String>,
}

impl BalanceRow {
    pub fn balance(&self) -> Balance {
        Balance { cycle: Credits::from_millis(self.cycle_credits), top_up: Credits::from_millis(self.top_up_credits) }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "cre_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "seq": 42, "kind": "usage", "amount": -12_500, "cycle_part": -12_500,
    "top_up_part": 0, "balance_after": 7_987_500, "idempotency_key": "call:cal_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
    "description": "Call, 2 min 30 s", "reference": "cal_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "created_at": "2026-12-07T09:30:00Z"
}))]
pub struct Entry {
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub id: CreditEntryId,
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub kind: EntryKind,
    /// Milli-credits, signed.
    #[schema(value_type = i64)]
    #[sqlx(try_from = "i64")]
    pub amount: Credits,
    #[schema(value_type = i64)]
    #[sqlx(try_from = "i64")]
    pub cycle_part: Credits,
    #[schema(value_type = i64)]
    #[sqlx(try_from = "i64")]
    pub top_up_part: Credits,
    #[schema(value_type = i64)]
    #[sqlx(try_from = "i64")]
    pub balance_after: Credits,
    pub idempotency_key: String,
    pub description: String,
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What [`post`] did.
#[derive(Debug, Clone)]
pub struct Posted {
    pub entry: Entry,
    /// The key had been used: nothing changed, `entry` is the first one.
    pub replayed: bool,
    pub before: Balance,
    pub after: Balance,
    /// The locked row as it was before this entry (auto-recharge settings).
    pub row: BalanceRow,
}

macro_rules! entry_select {
    () => {
        "SELECT id, seq, kind, amount, cycle_part, top_up_part, balance_after, idempotency_key, description,
                reference, created_at
         FROM credit_entries"
    };
}

macro_rules! balance_select {
    () => {
        "SELECT cycle_credits, top_up_credits, entry_count, low_balance_threshold, auto_recharge_enabled, auto_recharge_threshold,
                auto_recharge_amount, auto_recharge_monthly_cap, auto_recharge_disabled_reason
         FROM credit_balances WHERE workspace_id = $1"
    };
}

/// Creates the workspace's balance row if it has none (a workspace created
/// before billing existed); a no-op otherwise.
pub async fn ensure_balance_row<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO credit_balances (workspace_id, updated_at) VALUES ($1, $2) ON CONFLICT (workspace_id) DO NOTHING",
        ws.as_str(),
        now
    )?;
    Ok(())
}

/// Locks and reads the balance row, creating it when missing.
pub async fn lock_balance(tx: &mut Tx, ws: &WorkspaceId, now: DateTime<Utc>) -> Result<BalanceRow, sqlx::Error> {
    let sql = match tx.backend() {
        Backend::Sqlite => balance_select!(),
        Backend::Postgres => concat!(balance_select!(), " FOR UPDATE"),
    };
    if let Some(row) = fetch_optional!(&mut *tx, BalanceRow, sql, ws.as_str())? {
        return Ok(row);
    }
    ensure_balance_row(&mut *tx, ws, now).await?;
    fetch_optional!(&mut *tx, BalanceRow, sql, ws.as_str())?.ok_or(sqlx::Error::RowNotFound)
}

/// The balance without a lock (pages and the API): one primary-key read,
/// however long the ledger.
pub async fn read_balance<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Option<BalanceRow>, sqlx::Error> {
    fetch_optional!(ex, BalanceRow, balance_select!(), ws.as_str())
}

pub async fn find_by_key<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, key: &str) -> Result<Option<Entry>, sqlx::Error> {
    let sql = concat!(entry_select!(), " WHERE workspace_id = $1 AND idempotency_key = $2");
    fetch_optional!(ex, Entry, sql, ws.as_str(), key)
}

/// Entries newest first, `limit` of them, older than `before_seq` when given
/// (keyset paging on the per-workspace sequence).
pub async fn page<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let sql = concat!(entry_select!(), " WHERE workspace_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3");
    fetch_all!(ex, Entry, sql, ws.as_str(), before_seq.unwrap_or(i64::MAX), limit)
}

fn overflow() -> AppError {
    AppError::unprocessable("amount_out_of_range", "That amount of credits is out of range.")
}

/// The error a purchase gets when the balance does not cover it: it names
/// the shortfall.
pub fn insufficient(balance: Credits, price: Credits) -> AppError {
    let shortfall = price.checked_sub(if balance.is_negative() { Credits::ZERO } else { balance }).unwrap_or(price);
    AppError::payment_required(
        "insufficient_credits",
        format!(
            "Not enough credits: this costs {} credits and the balance is {}, {} short. Top up or wait for the next cycle.",
            crate::web::format::credits(price),
            crate::web::format::credits(balance),
            crate::web::format::credits(shortfall)
        ),
    )
}

/// How a new entry splits between the cycle and top-up parts, given the
/// balance before it.
fn split(kind: EntryKind, amount: Credits, before: Balance) -> Option<(Credits, Credits, Credits)> {
    let (amount, cycle, top_up) = match kind {
        EntryKind::Expiry => {
            let left = if before.cycle.is_negative() { Credits::ZERO } else { before.cycle };
            let expired = Credits::ZERO.checked_sub(left)?;
            (expired, expired, Credits::ZERO)
        }
        EntryKind::CycleGrant => (amount, amount, Credits::ZERO),
        _ if !amount.is_negative() => (amount, Credits::ZERO, amount),
        _ => {
            // A debit: cycle credits first, the rest (possibly overdrawing) from top-ups.
            let owed = Credits::ZERO.checked_sub(amount)?;
            let available = if before.cycle.is_negative() { Credits::ZERO } else { before.cycle };
            let from_cycle = owed.min(available);
            let from_top_up = owed.checked_sub(from_cycle)?;
            (amount, Credits::ZERO.checked_sub(from_cycle)?, Credits::ZERO.checked_sub(from_top_up)?)
        }
    };
    Some((amount, cycle, top_up))
}

/// Appends `entry` to the workspace's ledger in the caller's transaction
/// (which also writes the audit entry or the job the entry pays for), or
/// returns the entry already written under its key. A debit with
/// [`Overdraft::Refuse`] the balance does not cover fails with
/// [`insufficient`] and changes nothing.
pub async fn post(tx: &mut Tx, ws: &WorkspaceId, entry: NewEntry, now: DateTime<Utc>) -> AppResult<Posted> {
    let row = lock_balance(tx, ws, now).await?;
    let before = row.balance();
    if let Some(existing) = find_by_key(&mut *tx, ws, &entry.idempotency_key).await? {
        return Ok(Posted { entry: existing, replayed: true, before, after: before, row });
    }
    let (amount, cycle_part, top_up_part) = split(entry.kind, entry.amount, before).ok_or_else(overflow)?;
    if amount.is_negative() && entry.overdraft == Overdraft::Refuse && entry.kind != EntryKind::Expiry {
        let price = Credits::ZERO.checked_sub(amount).ok_or_else(overflow)?;
        if before.total() < price {
            return Err(insufficient(before.total(), price));
        }
    }
    let after = Balance {
        cycle: before.cycle.checked_add(cycle_part).ok_or_else(overflow)?,
        top_up: before.top_up.checked_add(top_up_part).ok_or_else(overflow)?,
    };
    after.cycle.checked_add(after.top_up).ok_or_else(overflow)?;
    let seq = row.entry_count + 1;
    let id = entry.id.clone().unwrap_or_default();
    // A cycle grant resets the low-balance line to a tenth of it.
    let low_balance_threshold =
        if entry.kind == EntryKind::CycleGrant { amount.millis() / 10 } else { row.low_balance_threshold };
    execute!(
        &mut *tx,
        "UPDATE credit_balances SET cycle_credits = $2, top_up_credits = $3, entry_count = $4, updated_at = $5,
             low_balance_threshold = $6
         WHERE workspace_id = $1",
        ws.as_str(),
        after.cycle.millis(),
        after.top_up.millis(),
        seq,
        now,
        low_balance_threshold
    )?;
    execute!(
        &mut *tx,
        "INSERT INTO credit_entries (id, workspace_id, seq, kind, amount, cycle_part, top_up_part, balance_after,
             idempotency_key, description, reference, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        id.as_str(),
        ws.as_str(),
        seq,
        entry.kind.as_str(),
        amount.millis(),
        cycle_part.millis(),
        top_up_part.millis(),
        after.total().millis(),
        &entry.idempotency_key,
        &entry.description,
        entry.reference.as_deref(),
        now
    )?;
    let posted = Entry {
        id,
        seq,
        kind: entry.kind,
        amount,
        cycle_part,
        top_up_part,
        balance_after: after.total(),
        idempotency_key: entry.idempotency_key,
        description: entry.description,
        reference: entry.reference,
        created_at: now,
    };
    let posted = Posted { entry: posted, replayed: false, before, after, row };
    super::low_balance::after_post(tx, ws, &posted, now).await?;
    Ok(posted)
}
