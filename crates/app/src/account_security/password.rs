//! Changing one's password in the Profile Modal: the current password is
//! required, the session that asks stays signed in, every other session of
//! the account ends, and outstanding reset links stop working.
use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::store;
use crate::auth::model::Password;
use crate::auth::{Session, SignedIn, password, session_list, users};
use crate::config::RateLimit;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::web::redirect;
use crate::web::{Flash, Page, redirect_with_flash};

/// Attempts per account, so a borrowed session cannot guess the current
/// password at leisure.
pub const ATTEMPTS: RateLimit = RateLimit { requests: 10, period: StdDuration::from_secs(3600) };

/// Changes the password; returns how many other sessions ended.
pub async fn change(state: &AppState, session: &Session, current: &str, new: &str) -> AppResult<u64> {
    let now = state.clock.now();
    let bucket = format!("password-change:user:{}", session.user_id);
    let decision = crate::ratelimit::check(&state.db, &bucket, ATTEMPTS, now).await?;
    if !decision.allowed {
        let wait = decision.retry_after_secs().unwrap_or(60).max(1);
        return Err(AppError::too_many_requests("Too many password changes. Try again later.", wait));
    }
    let new = Password::parse(new).map_err(|m| AppError::validation(vec![FieldError::new("new_password", m)]))?;
    let stored = users::password_hash(&state.db, &session.user_id).await?;
    if !password::verify(current, stored.as_deref()).await? {
        return Err(AppError::validation(vec![FieldError::new(
            "current_password",
            "The current password is incorrect.",
        )]));
    }
    let hash = password::hash(&new).await?;
    let mut tx = state.db.begin().await?;
    users::set_password_hash(&mut tx, &session.user_id, &hash, now).await?;
    store::delete_for_user(&mut tx, &session.user_id).await?;
    let ended = session_list::end_all(&mut tx, &session.user_id, Some(&session.id_hash)).await?;
    tx.commit().await?;
    Ok(ended)
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    /// The page the Profile Modal was opened on.
    #[serde(default)]
    back: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    page: Page,
    Form(form): Form<ChangePasswordForm>,
) -> AppResult<Response> {
    match change(&state, &session, &form.current_password, &form.new_password).await {
        Ok(ended) => {
            let others = match ended {
                0 => String::new(),
                1 => " Your other session was signed out.".into(),
                n => format!(" Your {n} other sessions were signed out."),
            };
            Ok(redirect_with_flash(
                &redirect::target(&state.public_url, &form.back, "/profile"),
                Flash::success(format!("Password changed.{others}")),
            ))
        }
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            // Passwords are never sent back into the form.
            crate::profile::pages::render(&state, &page, BTreeMap::new(), errors, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
    }
}
