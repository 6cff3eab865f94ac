//! The `email_verifications` table and `users.email_verified_at`: only this
//! module touches them.
use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_db::{IntoExec, execute, fetch_optional, fetch_scalar};

/// Stores a new link's token hash.
pub async fn insert<'a>(
    ex: impl IntoExec<'a>,
    user_id: &UserId,
    token_hash: &str,
    email_normalized: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO email_verifications (id, user_id, token_hash, email_normalized, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        ulid::Ulid::new().to_string(),
        user_id.as_str(),
        token_hash,
        email_normalized,
        now,
        expires_at
    )?;
    Ok(())
}

/// Links sent to the user since `since` (the resend limit counts them).
pub async fn sent_since<'a>(ex: impl IntoExec<'a>, user_id: &UserId, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM email_verifications WHERE user_id = $1 AND created_at > $2",
        user_id.as_str(),
        since
    )
}

/// When the most recent link was sent.
pub async fn last_sent<'a>(ex: impl IntoExec<'a>, user_id: &UserId) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    fetch_scalar!(
        ex,
        Option<DateTime<Utc>>,
        "SELECT MAX(created_at) FROM email_verifications WHERE user_id = $1",
        user_id.as_str()
    )
}

#[derive(Debug, sqlx::FromRow)]
pub struct Link {
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    pub email_normalized: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn find_by_token_hash<'a>(ex: impl IntoExec<'a>, token_hash: &str) -> Result<Option<Link>, sqlx::Error> {
    fetch_optional!(
        ex,
        Link,
        "SELECT user_id, email_normalized, expires_at, used_at FROM email_verifications WHERE token_hash = $1",
        token_hash
    )
}

/// Marks the link used; `false` when another request used it first.
pub async fn use_link<'a>(ex: impl IntoExec<'a>, token_hash: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let n = execute!(
        ex,
        "UPDATE email_verifications SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
        token_hash,
        now
    )?;
    Ok(n == 1)
}

/// Workspaces the user created (an unverified account may create one).
pub async fn workspaces_created<'a>(ex: impl IntoExec<'a>, user_id: &UserId) -> Result<i64, sqlx::Error> {
    fetch_scalar!(ex, i64, "SELECT COUNT(*) FROM workspaces WHERE created_by = $1", user_id.as_str())
}

/// Drops links that expired long ago (hourly maintenance).
pub async fn delete_expired<'a>(ex: impl IntoExec<'a>, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    execute!(ex, "DELETE FROM email_verifications WHERE expires_at < $1", before)
}
