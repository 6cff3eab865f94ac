//! The per-person cap on invitation emails: at most [`SENDS_PER_USER_PER_DAY`]
//! in any 24 hours, whatever the workspace. The per-workspace hourly budget
//! alone let one account send without end by making more workspaces.
//!
//! Each send is a row of `invitation_sends` (migration 0013), written in the
//! transaction that enqueues the email. The table is not workspace data: it
//! outlives a deleted workspace on purpose, so deleting one does not refill
//! the budget. Rows older than a day are deleted by the hourly maintenance.
use chrono::{DateTime, Duration, Utc};
use switchboard_core::UserId;
use switchboard_db::{Db, Exec, IntoExec, Tx, execute, fetch_optional, fetch_scalar};

use crate::error::{AppError, AppResult};

/// Invitation emails (first sends and resends) one person may send in any
/// 24 hours, across every workspace.
pub const SENDS_PER_USER_PER_DAY: i64 = 100;

const WINDOW: Duration = Duration::hours(24);

/// Counts one invitation email against `user`'s daily budget, or refuses
/// it (429) when the last 24 hours already hold the whole budget. Runs in
/// the sending transaction, so a refused or failed send counts nothing.
pub async fn charge(tx: &mut Tx, user: &UserId, now: DateTime<Utc>) -> AppResult<()> {
    lock_user(&mut *tx, user).await?;
    let since = now - WINDOW;
    let sent = fetch_scalar!(
        &mut *tx,
        i64,
        "SELECT COUNT(*) FROM invitation_sends WHERE user_id = $1 AND sent_at > $2",
        user.as_str(),
        since
    )?;
    if sent >= SENDS_PER_USER_PER_DAY {
        // The budget grows back as the oldest sends in the window age out.
        let oldest = fetch_scalar!(
            &mut *tx,
            DateTime<Utc>,
            "SELECT sent_at FROM invitation_sends WHERE user_id = $1 AND sent_at > $2 ORDER BY sent_at LIMIT 1",
            user.as_str(),
            since
        )?;
        let wait = (oldest + WINDOW - now).num_seconds().max(1);
        return Err(AppError::too_many_requests(
            format!(
                "You have sent {SENDS_PER_USER_PER_DAY} invitations in the last 24 hours, the most one person may \
                 send. Try again later."
            ),
            u64::try_from(wait).unwrap_or(1),
        ));
    }
    execute!(&mut *tx, "INSERT INTO invitation_sends (user_id, sent_at) VALUES ($1, $2)", user.as_str(), now)?;
    Ok(())
}

/// Two sends by one person in two workspaces lock different workspaces, so
/// on PostgreSQL the person's row is locked for the count and the insert
/// (SQLite's `BEGIN IMMEDIATE` already serialises writers). Always taken
/// after the workspace's lock, never before, so the order cannot deadlock.
async fn lock_user<'a>(ex: impl IntoExec<'a>, user: &UserId) -> Result<(), sqlx::Error> {
    let ex = ex.into_exec();
    let sql = match ex {
        Exec::Postgres(_) | Exec::PgPool(_) => "SELECT id FROM users WHERE id = $1 FOR UPDATE",
        _ => "SELECT id FROM users WHERE id = $1",
    };
    fetch_optional!(ex, (String,), sql, user.as_str())?;
    Ok(())
}

/// Hourly: forgets sends that no longer count.
pub async fn delete_old(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    execute!(db, "DELETE FROM invitation_sends WHERE sent_at <= $1", now - WINDOW)
}
