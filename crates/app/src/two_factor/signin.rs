//! The second step of a sign-in. After the right password, an account
//! with two-factor sign-in gets no session yet: a pending step is stored
//! server-side (the browser holds a random token in a cookie, the database
//! its SHA-256), valid for five minutes and five codes. The right TOTP
//! code (or an unused recovery code) finishes the sign-in.
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Duration, Utc};
use minijinja::context;
use serde::Deserialize;
use switchboard_core::UserId;
use switchboard_db::Tx;

use super::{service, store};
use crate::auth::MaybeSession;
use crate::auth::throttle::{self, ThrottleKey};
use crate::auth::users;
use crate::error::AppResult;
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;
use crate::web::flash::redirect;
use crate::web::page::append_cookie;
use crate::web::{ClientMeta, Flash, Page, redirect_with_flash};

pub const CHALLENGE_COOKIE: &str = "sb_2fa";
/// How long the second step waits for its code.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Codes one pending step accepts before the password is asked again.
pub const MAX_ATTEMPTS: i32 = 5;

/// Whether the account needs a second factor to sign in.
pub async fn needed(tx: &mut Tx, user_id: &UserId) -> AppResult<bool> {
    Ok(store::is_enabled(&mut *tx, user_id).await?)
}

fn cookie(state: &AppState, token: String, minutes: i64) -> Cookie<'static> {
    Cookie::build((CHALLENGE_COOKIE, token))
        .path("/signin")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(time::Duration::minutes(minutes))
        .build()
}

/// Starts the second step (in the password check's transaction, which it
/// commits) and sends the browser to it.
pub async fn begin(
    state: &AppState,
    mut tx: Tx,
    user_id: &UserId,
    next: &str,
    now: DateTime<Utc>,
) -> AppResult<Response> {
    let token = random_token(32);
    let expires_at = now + Duration::minutes(CHALLENGE_MINUTES);
    store::insert_challenge(&mut tx, &sha256_hex(&token), user_id, next, now, expires_at).await?;
    tx.commit().await?;
    let mut response = redirect("/signin/two-factor");
    append_cookie(&mut response, cookie(state, token, CHALLENGE_MINUTES));
    Ok(response)
}

fn start_again(state: &AppState, message: &str) -> Response {
    let mut response = redirect_with_flash("/signin", Flash::error(message));
    append_cookie(&mut response, cookie(state, String::new(), 0));
    response
}

const EXPIRED: &str = "Your sign-in timed out. Enter your email and password again.";

async fn render(state: &AppState, page: &Page, error: Option<String>, status: StatusCode) -> AppResult<Response> {
    let ctx = context! { title => "Two-factor sign-in", error => error };
    page.render_status(state, status, "auth/two_factor.html", ctx).await
}

pub async fn code_page(State(state): State<AppState>, jar: CookieJar, page: Page) -> AppResult<Response> {
    let pending = match jar.get(CHALLENGE_COOKIE) {
        Some(c) if !c.value().is_empty() => {
            store::find_challenge(&state.db, &sha256_hex(c.value()), state.clock.now()).await?
        }
        _ => None,
    };
    if pending.is_none() {
        return Ok(start_again(&state, EXPIRED));
    }
    render(&state, &page, None, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn submit_code(
    State(state): State<AppState>,
    MaybeSession(old_session): MaybeSession,
    jar: CookieJar,
    meta: ClientMeta,
    page: Page,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    let Some(token) = jar.get(CHALLENGE_COOKIE).map(|c| c.value().to_string()).filter(|t| !t.is_empty()) else {
        return Ok(start_again(&state, EXPIRED));
    };
    let id_hash = sha256_hex(&token);
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // The attempt is counted before the code is checked.
    let Some(challenge) = store::take_attempt(&mut tx, &id_hash, MAX_ATTEMPTS, now).await? else {
        tx.commit().await?;
        return Ok(start_again(&state, EXPIRED));
    };
    // The password's attempt is still counted (see `accounts::pages::signin`):
    // a right code gives it back, a wrong one counts as one more, so signing
    // in again and again cannot buy unlimited guesses.
    let keys = users::find(&mut tx, &challenge.user_id)
        .await?
        .map(|u| ThrottleKey::sign_in(&u.email.to_lowercase(), meta.ip.as_deref()).to_vec())
        .unwrap_or_default();
    if service::check_code(&state, &mut tx, &challenge.user_id, &form.code, now).await?.is_some() {
        throttle::release(&mut tx, &keys).await?;
        store::delete_challenge(&mut tx, &id_hash).await?;
        let mut response = crate::accounts::pages::finish_sign_in(
            &state,
            tx,
            old_session.as_deref(),
            &challenge.user_id,
            &meta,
            &challenge.next_path,
            now,
        )
        .await?;
        append_cookie(&mut response, cookie(&state, String::new(), 0));
        return Ok(response);
    }
    // Only the account-and-client counter: the client's own budget is for passwords.
    throttle::record_failure(&mut tx, keys.get(..1).unwrap_or_default(), now).await?;
    if challenge.attempts >= MAX_ATTEMPTS {
        store::delete_challenge(&mut tx, &id_hash).await?;
        tx.commit().await?;
        return Ok(start_again(&state, "Too many wrong codes. Enter your email and password again."));
    }
    tx.commit().await?;
    let left = MAX_ATTEMPTS - challenge.attempts;
    let message = format!(
        "That code is not right, or was already used. {left} attempt{} left.",
        if left == 1 { "" } else { "s" }
    );
    render(&state, &page, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await
}
