//! The rules of email verification: a link goes out at sign-up (in the
//! sign-up's transaction) and on request (rate-limited); following it, or
//! accepting an invitation sent to the address, marks the address verified.
//! Until then an account may create one workspace and send no invitations.
use chrono::{DateTime, Duration, Utc};
use switchboard_core::UserId;
use switchboard_db::Tx;

use super::email::VerificationEmail;
use super::store;
use crate::auth::users;
use crate::error::{AppError, AppResult};
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;

/// How long a link works.
pub const VALID_HOURS: i64 = 48;
/// At most one link a minute…
pub const RESEND_INTERVAL_SECS: i64 = 60;
/// …and this many a day per account.
pub const SENDS_PER_DAY: i64 = 5;

/// The error code for what an unverified account may not do yet.
pub const UNVERIFIED: &str = "email_not_verified";

/// Sends a verification link to `email` for `user_id`, in the caller's
/// transaction (the sign-up's, or a resend's).
pub async fn send_link(
    state: &AppState,
    tx: &mut Tx,
    user_id: &UserId,
    email: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let token = random_token(24);
    let hash = sha256_hex(&token);
    let expires_at = now + Duration::hours(VALID_HOURS);
    store::insert(&mut *tx, user_id, &hash, &email.to_lowercase(), now, expires_at).await?;
    let link = format!("{}/verify-email/{token}", state.public_url);
    let host = url::Url::parse(&state.public_url).ok().and_then(|u| u.host_str().map(str::to_string));
    let mail = VerificationEmail {
        to: email,
        link: &link,
        expires_at,
        message_id: format!(
            "verify.{}.{}@{}",
            user_id,
            now.timestamp_millis(),
            host.as_deref().unwrap_or("switchboard.localhost")
        ),
    };
    super::job::enqueue(tx, user_id, mail.message(), now).await?;
    Ok(())
}

/// Sign-up's one call: the new account gets its first link.
pub async fn on_sign_up(state: &AppState, tx: &mut Tx, user: &users::User, now: DateTime<Utc>) -> AppResult<()> {
    send_link(state, tx, &user.id, &user.email, now).await?;
    state.jobs_wakeup.notify_one();
    Ok(())
}

/// Whether the account's address is verified.
pub async fn is_verified(state: &AppState, user_id: &UserId) -> AppResult<bool> {
    Ok(users::email_verified_at(&state.db, user_id).await?.is_some())
}

fn unverified(what: &str) -> AppError {
    AppError::forbidden_code(
        UNVERIFIED,
        format!(
            "Verify your email address before you {what}: follow the link we emailed you, \
             or ask for a new one with “Resend verification email”."
        ),
    )
}

/// Refuses a send of invitations by an unverified account.
pub async fn require_verified_to_invite(state: &AppState, user_id: &UserId) -> AppResult<()> {
    if is_verified(state, user_id).await? { Ok(()) } else { Err(unverified("invite people")) }
}

/// Refuses a second workspace of an unverified account.
pub async fn check_workspace_limit(tx: &mut Tx, user_id: &UserId) -> AppResult<()> {
    if users::email_verified_at(&mut *tx, user_id).await?.is_some() {
        return Ok(());
    }
    if store::workspaces_created(&mut *tx, user_id).await? >= 1 {
        return Err(unverified("create another workspace"));
    }
    Ok(())
}

/// Accepting an invitation sent to the address proves it.
pub async fn on_invitation_accepted(tx: &mut Tx, user_id: &UserId, email: &str, now: DateTime<Utc>) -> AppResult<()> {
    users::mark_verified(&mut *tx, user_id, &email.to_lowercase(), now).await?;
    Ok(())
}

/// A new link on request: refused when already verified, or within the
/// minute after the last one, or past the day's allowance.
pub async fn resend(state: &AppState, user_id: &UserId) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(&mut tx, user_id).await?.ok_or_else(AppError::unauthenticated)?;
    if users::email_verified_at(&mut tx, user_id).await?.is_some() {
        return Err(AppError::conflict("already_verified", "Your email address is already verified."));
    }
    if let Some(last) = store::last_sent(&mut tx, user_id).await? {
        let wait = (last + Duration::seconds(RESEND_INTERVAL_SECS) - now).num_seconds();
        if wait > 0 {
            return Err(AppError::too_many_requests(
                format!("We just sent a verification email. Try again in {wait} seconds."),
                wait as u64,
            ));
        }
    }
    if store::sent_since(&mut tx, user_id, now - Duration::days(1)).await? >= SENDS_PER_DAY {
        return Err(AppError::too_many_requests(
            format!("We have sent {SENDS_PER_DAY} verification emails today. Try again tomorrow."),
            3600,
        ));
    }
    send_link(state, &mut tx, user_id, &user.email, now).await?;
    tx.commit().await?;
    state.jobs_wakeup.notify_one();
    Ok(())
}

/// What following a link did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Verified,
    Expired,
    /// Unknown, already used, or sent to an address the account no longer has.
    Invalid,
}

pub async fn verify(state: &AppState, token: &str) -> AppResult<Outcome> {
    let now = state.clock.now();
    let hash = sha256_hex(token);
    let mut tx = state.db.begin().await?;
    let Some(link) = store::find_by_token_hash(&mut tx, &hash).await? else {
        return Ok(Outcome::Invalid);
    };
    if link.used_at.is_some() {
        return Ok(Outcome::Invalid);
    }
    if link.expires_at <= now {
        return Ok(Outcome::Expired);
    }
    if !store::use_link(&mut tx, &hash, now).await? {
        return Ok(Outcome::Invalid);
    }
    users::mark_verified(&mut tx, &link.user_id, &link.email_normalized, now).await?;
    tx.commit().await?;
    Ok(Outcome::Verified)
}

/// Hourly: links expired a week ago go.
pub async fn delete_expired(state: &AppState) -> anyhow::Result<()> {
    store::delete_expired(&state.db, state.clock.now() - Duration::days(7)).await?;
    Ok(())
}
