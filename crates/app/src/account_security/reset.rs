//! Resetting a forgotten password.
//!
//! Asking for a link does the same work for every address: two rate-limit
//! counters (per address, per IP) and one queued job, then the same answer.
//! Whether the address has an account is decided later, by the job, off
//! the request path, so neither the page nor its timing tells a visitor.
//! The job makes a random 256-bit token, stores only its SHA-256, and
//! queues the email with the link. Using the link deletes the token (single
//! use), sets the password, ends every session of the account, drops its
//! other links and clears its failed sign-ins.
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{email, store};
use crate::auth::model::{EmailAddress, Password};
use crate::auth::throttle;
use crate::auth::{password, session_list, users};
use crate::config::RateLimit;
use crate::error::{AppError, AppResult, FieldError};
use crate::jobs::{Job, JobError, JobHandler, NewJob};
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;

/// How long an emailed link works.
pub const VALID_MINUTES: i64 = 60;
/// Links one address may be sent (whether or not it has an account).
pub const PER_ADDRESS: RateLimit = RateLimit { requests: 3, period: StdDuration::from_secs(3600) };
/// Requests one client IP may make, over all addresses.
pub const PER_IP: RateLimit = RateLimit { requests: 20, period: StdDuration::from_secs(3600) };

pub const JOB_KIND: &str = "account.password_reset";

#[derive(Serialize, Deserialize)]
struct ResetRequest {
    email: String,
}

/// Asks for a reset link for `email`. `Err` only for a refusal by a rate
/// limit (429 with the wait) or an internal error; an unknown address
/// succeeds like a known one.
pub async fn request(state: &AppState, email: &EmailAddress, ip: Option<&str>) -> AppResult<()> {
    let now = state.clock.now();
    // The bucket names a hash of the address: the counters table holds no addresses.
    let mut buckets = vec![(format!("password-reset:address:{}", sha256_hex(&email.normalized())), PER_ADDRESS)];
    if let Some(ip) = ip {
        buckets.push((format!("password-reset:ip:{ip}"), PER_IP));
    }
    for (bucket, limit) in buckets {
        let decision = crate::ratelimit::check(&state.db, &bucket, limit, now).await?;
        if !decision.allowed {
            let wait = decision.retry_after_secs().unwrap_or(60).max(1);
            let minutes = wait.div_ceil(60);
            return Err(AppError::too_many_requests(
                format!(
                    "Too many reset requests. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
                wait,
            ));
        }
    }
    let payload = serde_json::to_value(ResetRequest { email: email.normalized() }).map_err(anyhow::Error::from)?;
    let mut tx = state.db.begin().await?;
    crate::jobs::enqueue(&mut tx, NewJob { kind: JOB_KIND, payload, workspace_id: None, run_at: now }).await?;
    tx.commit().await?;
    state.jobs_wakeup.notify_one();
    Ok(())
}

/// The job: if the address has an account, a token and its email.
pub struct SendResetLink;

#[async_trait]
impl JobHandler for SendResetLink {
    fn kind(&self) -> &'static str {
        JOB_KIND
    }

    async fn run(&self, state: &AppState, job: &Job) -> Result<(), JobError> {
        let request: ResetRequest = job.payload_as()?;
        let email = EmailAddress::parse(&request.email).map_err(JobError::Permanent)?;
        let user = users::find_by_email(&state.db, &email).await.map_err(anyhow::Error::from)?;
        let Some(user) = user else {
            return Ok(());
        };
        let token = random_token(32);
        let now = state.clock.now();
        let link = format!("{}/password/reset/{token}", state.public_url);
        let host = url::Url::parse(&state.public_url).ok().and_then(|u| u.host_str().map(str::to_string));
        // Stable for this job, so a retried delivery repeats the same Message-ID.
        let message_id = format!("reset.{}@{}", job.id, host.as_deref().unwrap_or("switchboard.localhost"));
        let message = email::reset_link(&user.email, &link, message_id);
        let mut tx = state.db.begin().await.map_err(anyhow::Error::from)?;
        let expires_at = now + Duration::minutes(VALID_MINUTES);
        store::insert(&mut tx, &user.id, &sha256_hex(&token), now, expires_at).await.map_err(anyhow::Error::from)?;
        crate::jobs::email::enqueue_email(&mut tx, None, &message, now).await.map_err(anyhow::Error::from)?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        state.jobs_wakeup.notify_one();
        Ok(())
    }
}

/// Whether `token` is a live link (for showing the form; nothing is used).
pub async fn is_valid(state: &AppState, token: &str) -> AppResult<bool> {
    Ok(store::peek(&state.db, &sha256_hex(token), state.clock.now()).await?.is_some())
}

/// What using a link did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Reset,
    /// Used, expired or never issued.
    InvalidLink,
}

/// Sets a new password with the link's token. A bad password is a field
/// error on `password` and leaves the link usable.
pub async fn complete(state: &AppState, token: &str, new_password: &str) -> AppResult<Outcome> {
    let token_hash = sha256_hex(token);
    // A dead link is said first, and costs no password hash.
    if store::peek(&state.db, &token_hash, state.clock.now()).await?.is_none() {
        return Ok(Outcome::InvalidLink);
    }
    let password =
        Password::parse(new_password).map_err(|m| AppError::validation(vec![FieldError::new("password", m)]))?;
    let hash = password::hash(&password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(user_id) = store::take(&mut tx, &token_hash, now).await? else {
        return Ok(Outcome::InvalidLink);
    };
    let user = users::find(&mut tx, &user_id).await?.ok_or_else(|| anyhow::anyhow!("reset token without its user"))?;
    users::set_password_hash(&mut tx, &user_id, &hash, now).await?;
    store::delete_for_user(&mut tx, &user_id).await?;
    session_list::end_all(&mut tx, &user_id, None).await?;
    // Whoever held the emailed link may sign in at once, even if someone
    // else's wrong guesses had locked the account.
    throttle::clear_for_account(&mut tx, &user.email.to_lowercase()).await?;
    tx.commit().await?;
    Ok(Outcome::Reset)
}
