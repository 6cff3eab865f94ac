//! Sign-up with an address that already has an account. The visitor gets
//! the answer a new account gets (a redirect to `/workspaces/new` setting a
//! session cookie of the same shape, after the same password hash), so the
//! sign-up form does not tell who has an account; the account's owner gets
//! an email saying someone tried, with links to sign in and to reset the
//! password. The cookie matches no session: the next page asks to sign in.
//!
//! What cannot be hidden is that page: a new account is signed in, a taken
//! address is not. That needs the sign-up itself to wait for the emailed
//! link, which would change the flow for every new user.
use std::time::Duration as StdDuration;

use axum::response::Response;
use chrono::{DateTime, Utc};

use super::email;
use crate::auth::model::EmailAddress;
use crate::auth::session;
use crate::config::RateLimit;
use crate::error::AppResult;
use crate::secrets::random_token;
use crate::state::AppState;
use crate::web::flash::redirect;
use crate::web::page::append_cookie;

/// Where a new account lands after sign-up (without an invitation).
pub const NEW_ACCOUNT_LANDING: &str = "/workspaces/new";

/// "Someone tried to sign up" emails one address receives at most: a
/// stranger cannot flood its owner through the sign-up form.
pub const NOTICES: RateLimit = RateLimit { requests: 3, period: StdDuration::from_secs(3600) };

/// The answer to a sign-up whose address is taken; emails the owner.
pub async fn address_taken(state: &AppState, email: &EmailAddress, now: DateTime<Utc>) -> AppResult<Response> {
    let bucket = format!("signup-notice:address:{}", crate::secrets::sha256_hex(&email.normalized()));
    if crate::ratelimit::check(&state.db, &bucket, NOTICES, now).await?.allowed {
        let host = url::Url::parse(&state.public_url).ok().and_then(|u| u.host_str().map(str::to_string));
        let message_id = format!("signup.{}@{}", ulid::Ulid::new(), host.as_deref().unwrap_or("switchboard.localhost"));
        let signin = format!("{}/signin", state.public_url);
        let forgot = format!("{}/password/forgot", state.public_url);
        let owner = crate::auth::users::find_by_email(&state.db, email).await?;
        let to = owner.map_or_else(|| email.as_str().to_string(), |u| u.email);
        let message = email::signup_attempt(&to, &signin, &forgot, message_id);
        let mut tx = state.db.begin().await?;
        crate::jobs::email::enqueue_email(&mut tx, None, &message, now).await?;
        tx.commit().await?;
        state.jobs_wakeup.notify_one();
    }
    let mut response = redirect(NEW_ACCOUNT_LANDING);
    append_cookie(&mut response, session::cookie(state, random_token(32)));
    Ok(response)
}
