//! The two-factor tables (`two_factor_secrets`, `two_factor_recovery_codes`,
//! `two_factor_challenges`) and `workspaces.require_two_factor`.
use chrono::{DateTime, Utc};
use switchboard_core::{UserId, WorkspaceId};
use switchboard_db::{IntoExec, execute, fetch_optional, fetch_scalar};

#[derive(Debug, sqlx::FromRow)]
pub struct SecretRow {
    pub secret_sealed: String,
    pub enabled_at: Option<DateTime<Utc>>,
}

pub async fn find_secret<'a>(ex: impl IntoExec<'a>, user_id: &UserId) -> Result<Option<SecretRow>, sqlx::Error> {
    fetch_optional!(
        ex,
        SecretRow,
        "SELECT secret_sealed, enabled_at FROM two_factor_secrets WHERE id = $1",
        user_id.as_str()
    )
}

pub async fn is_enabled<'a>(ex: impl IntoExec<'a>, user_id: &UserId) -> Result<bool, sqlx::Error> {
    let n = fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM two_factor_secrets WHERE id = $1 AND enabled_at IS NOT NULL",
        user_id.as_str()
    )?;
    Ok(n > 0)
}

/// A new secret awaiting its confirming code (replacing a pending one; an
/// enabled one is never replaced here).
pub async fn put_pending<'a>(
    ex: impl IntoExec<'a>,
    user_id: &UserId,
    sealed: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        ex,
        "INSERT INTO two_factor_secrets (id, secret_sealed, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at,
           last_step = NULL
         WHERE two_factor_secrets.enabled_at IS NULL",
        user_id.as_str(),
        sealed,
        now
    )?;
    Ok(n == 1)
}

/// Turns the pending secret on; `false` if it was already on.
pub async fn enable<'a>(ex: impl IntoExec<'a>, user_id: &UserId, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let n = execute!(
        ex,
        "UPDATE two_factor_secrets SET enabled_at = $2 WHERE id = $1 AND enabled_at IS NULL",
        user_id.as_str(),
        now
    )?;
    Ok(n == 1)
}

/// Records `step` as used; `false` when it (or a later one) already was,
/// so each code is accepted once.
pub async fn use_step<'a>(ex: impl IntoExec<'a>, user_id: &UserId, step: i64) -> Result<bool, sqlx::Error> {
    let n = execute!(
        ex,
        "UPDATE two_factor_secrets SET last_step = $2 WHERE id = $1 AND (last_step IS NULL OR last_step < $2)",
        user_id.as_str(),
        step
    )?;
    Ok(n == 1)
}

/// Removes the secret and the recovery codes.
pub async fn delete_all(tx: &mut switchboard_db::Tx, user_id: &UserId) -> Result<(), sqlx::Error> {
    execute!(&mut *tx, "DELETE FROM two_factor_recovery_codes WHERE user_id = $1", user_id.as_str())?;
    execute!(&mut *tx, "DELETE FROM two_factor_secrets WHERE id = $1", user_id.as_str())?;
    Ok(())
}

/// Replaces the user's recovery codes with `hashes`.
pub async fn replace_recovery_codes(
    tx: &mut switchboard_db::Tx,
    user_id: &UserId,
    hashes: &[String],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(&mut *tx, "DELETE FROM two_factor_recovery_codes WHERE user_id = $1", user_id.as_str())?;
    for hash in hashes {
        execute!(
            &mut *tx,
            "INSERT INTO two_factor_recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)",
            ulid::Ulid::new().to_string(),
            user_id.as_str(),
            hash,
            now
        )?;
    }
    Ok(())
}

/// Uses a recovery code; `false` when unknown or already used.
pub async fn use_recovery_code<'a>(
    ex: impl IntoExec<'a>,
    user_id: &UserId,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        ex,
        "UPDATE two_factor_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        user_id.as_str(),
        hash,
        now
    )?;
    Ok(n >= 1)
}

pub async fn unused_recovery_codes<'a>(ex: impl IntoExec<'a>, user_id: &UserId) -> Result<i64, sqlx::Error> {
    fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM two_factor_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        user_id.as_str()
    )
}

// --- the pending second step of a sign-in

pub async fn insert_challenge<'a>(
    ex: impl IntoExec<'a>,
    id_hash: &str,
    user_id: &UserId,
    next_path: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO two_factor_challenges (id, user_id, next_path, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        id_hash,
        user_id.as_str(),
        next_path,
        now,
        expires_at
    )?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct Challenge {
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    pub next_path: String,
    pub attempts: i32,
}

/// Counts one attempt at the challenge before its code is checked (so
/// parallel guesses cannot exceed the limit) and returns it; `None` when it
/// is unknown, expired or out of attempts.
pub async fn take_attempt(
    tx: &mut switchboard_db::Tx,
    id_hash: &str,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Option<Challenge>, sqlx::Error> {
    let n = execute!(
        &mut *tx,
        "UPDATE two_factor_challenges SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 AND expires_at > $3",
        id_hash,
        max_attempts,
        now
    )?;
    if n == 0 {
        return Ok(None);
    }
    fetch_optional!(
        &mut *tx,
        Challenge,
        "SELECT user_id, next_path, attempts FROM two_factor_challenges WHERE id = $1",
        id_hash
    )
}

pub async fn find_challenge<'a>(
    ex: impl IntoExec<'a>,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Challenge>, sqlx::Error> {
    fetch_optional!(
        ex,
        Challenge,
        "SELECT user_id, next_path, attempts FROM two_factor_challenges WHERE id = $1 AND expires_at > $2",
        id_hash,
        now
    )
}

pub async fn delete_challenge<'a>(ex: impl IntoExec<'a>, id_hash: &str) -> Result<(), sqlx::Error> {
    execute!(ex, "DELETE FROM two_factor_challenges WHERE id = $1", id_hash)?;
    Ok(())
}

pub async fn delete_expired_challenges<'a>(ex: impl IntoExec<'a>, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    execute!(ex, "DELETE FROM two_factor_challenges WHERE expires_at < $1", now)
}

// --- the workspace requirement

pub async fn workspace_requires<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<bool, sqlx::Error> {
    let n = fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM workspaces WHERE id = $1 AND require_two_factor = $2",
        workspace_id.as_str(),
        true
    )?;
    Ok(n > 0)
}

/// True when `workspace_id` requires a second factor and `user_id` has none.
pub async fn blocked_by_requirement<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
) -> Result<bool, sqlx::Error> {
    let n = fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM workspaces w WHERE w.id = $1 AND w.require_two_factor = $3
           AND NOT EXISTS (SELECT 1 FROM two_factor_secrets t WHERE t.id = $2 AND t.enabled_at IS NOT NULL)",
        workspace_id.as_str(),
        user_id.as_str(),
        true
    )?;
    Ok(n > 0)
}

pub async fn set_workspace_requires<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    required: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE workspaces SET require_two_factor = $2, updated_at = $3 WHERE id = $1",
        workspace_id.as_str(),
        required,
        now
    )?;
    Ok(())
}
