//! The `password_reset_tokens` table. Rows are account data, not a
//! workspace's, so these functions take a user rather than a workspace.
use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_db::{IntoExec, Tx, execute, fetch_optional};

use crate::state::AppState;

pub async fn insert(
    tx: &mut Tx,
    user_id: &UserId,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        tx,
        "INSERT INTO password_reset_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        user_id.as_str(),
        now,
        expires_at
    )?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Owner {
    #[sqlx(try_from = "String")]
    user_id: UserId,
}

/// The account a live (unexpired) token belongs to, without using it.
pub async fn peek<'a>(
    ex: impl IntoExec<'a>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<UserId>, sqlx::Error> {
    let row = fetch_optional!(
        ex,
        Owner,
        "SELECT user_id FROM password_reset_tokens WHERE token_hash = $1 AND expires_at > $2",
        token_hash,
        now
    )?;
    Ok(row.map(|r| r.user_id))
}

/// Uses a live token: deletes it and returns its account. One statement,
/// so of two requests racing with the same link only one gets the account.
pub async fn take(tx: &mut Tx, token_hash: &str, now: DateTime<Utc>) -> Result<Option<UserId>, sqlx::Error> {
    let row = fetch_optional!(
        &mut *tx,
        Owner,
        "DELETE FROM password_reset_tokens WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id",
        token_hash,
        now
    )?;
    Ok(row.map(|r| r.user_id))
}

/// Every outstanding link of the account stops working (after a reset or a change).
pub async fn delete_for_user<'a>(ex: impl IntoExec<'a>, user_id: &UserId) -> Result<(), sqlx::Error> {
    execute!(ex, "DELETE FROM password_reset_tokens WHERE user_id = $1", user_id.as_str())?;
    Ok(())
}

/// Hourly maintenance: expired links are useless; drop them.
pub async fn delete_expired(state: &AppState) -> anyhow::Result<()> {
    execute!(&state.db, "DELETE FROM password_reset_tokens WHERE expires_at <= $1", state.clock.now())?;
    Ok(())
}
