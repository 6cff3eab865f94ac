//! The `idempotency_keys` table: one statement per step, each safe against
//! every other process.
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use switchboard_db::{Db, execute, fetch_optional};

use super::{Claim, KeyRow, RETENTION};

// A holder's `locked_until` (its lease) also names it: storing or releasing
// matches on it, so a request that ran past its lock and was taken over
// cannot overwrite or delete the new holder's row.

/// Forgets an expired use of the key, then claims it if free.
pub(super) async fn try_claim(
    db: &Db,
    claim: &Claim,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    execute!(
        db,
        "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND created_at < $3",
        &claim.scope,
        &claim.key,
        now - RETENTION,
    )?;
    let inserted = execute!(
        db,
        "INSERT INTO idempotency_keys (scope, idem_key, request_hash, state, locked_until, created_at) \
         VALUES ($1, $2, $3, 'running', $4, $5) ON CONFLICT (scope, idem_key) DO NOTHING",
        &claim.scope,
        &claim.key,
        &claim.request_hash,
        lease,
        now,
    )?;
    Ok(inserted == 1)
}

pub(super) async fn find(db: &Db, claim: &Claim) -> Result<Option<KeyRow>, sqlx::Error> {
    fetch_optional!(
        db,
        KeyRow,
        "SELECT request_hash, state, locked_until, status_code, content_type, response_body \
         FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
        &claim.scope,
        &claim.key,
    )
}

/// Takes over a running key whose lock has run out; false when another
/// request got there first (or it finished meanwhile).
pub(super) async fn take_over(
    db: &Db,
    claim: &Claim,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let updated = execute!(
        db,
        "UPDATE idempotency_keys SET locked_until = $1 \
         WHERE scope = $2 AND idem_key = $3 AND request_hash = $4 AND state = 'running' AND locked_until < $5",
        lease,
        &claim.scope,
        &claim.key,
        &claim.request_hash,
        now,
    )?;
    Ok(updated == 1)
}

pub(super) async fn complete(
    db: &Db,
    claim: &Claim,
    lease: DateTime<Utc>,
    status: StatusCode,
    content_type: Option<&str>,
    body: Option<&[u8]>,
) -> Result<u64, sqlx::Error> {
    execute!(
        db,
        "UPDATE idempotency_keys SET state = 'done', status_code = $1, content_type = $2, response_body = $3 \
         WHERE scope = $4 AND idem_key = $5 AND state = 'running' AND locked_until = $6",
        i64::from(status.as_u16()),
        content_type,
        body,
        &claim.scope,
        &claim.key,
        lease,
    )
}

/// Deletes a running key so the client's retry runs again.
pub(super) async fn release(db: &Db, claim: &Claim, lease: DateTime<Utc>) {
    let deleted = execute!(
        db,
        "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND state = 'running' AND locked_until = $3",
        &claim.scope,
        &claim.key,
        lease,
    );
    if let Err(err) = deleted {
        tracing::error!(error = %err, scope = %claim.scope, "could not release an idempotency key");
    }
}
