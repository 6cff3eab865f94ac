//! The reset pages: "Forgot password?" (ask for a link) and the link's
//! own page (choose a new password).
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::reset::{self, Outcome};
use crate::auth::model::EmailAddress;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{ClientMeta, Flash, Page, redirect_with_flash};

/// What every visitor is told after asking, whatever the address.
pub const SENT: &str = "If an account uses that address, we have sent it a link to choose a new password. \
                        The link works once, for 60 minutes.";

#[derive(Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

async fn render_forgot(
    state: &AppState,
    page: &Page,
    email: &str,
    error: Option<String>,
    sent: bool,
    status: StatusCode,
) -> AppResult<Response> {
    let ctx = context! { title => "Reset your password", email => email, error => error, sent => sent.then_some(SENT) };
    page.render_status(state, status, "account_security/forgot.html", ctx).await
}

pub async fn forgot_page(State(state): State<AppState>, page: Page) -> AppResult<Response> {
    render_forgot(&state, &page, "", None, false, StatusCode::OK).await
}

pub async fn request_reset(
    State(state): State<AppState>,
    meta: ClientMeta,
    page: Page,
    Form(form): Form<ForgotForm>,
) -> AppResult<Response> {
    let email = match EmailAddress::parse(&form.email) {
        Ok(email) => email,
        Err(message) => {
            return render_forgot(&state, &page, &form.email, Some(message), false, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    match reset::request(&state, &email, meta.ip.as_deref()).await {
        Ok(()) => render_forgot(&state, &page, "", None, true, StatusCode::OK).await,
        Err(err) => {
            let Some(problem) = err.problem().filter(|p| p.status == StatusCode::TOO_MANY_REQUESTS) else {
                return Err(err);
            };
            let wait = problem.retry_after_secs;
            let mut response =
                render_forgot(&state, &page, &form.email, Some(problem.detail.clone()), false, problem.status).await?;
            if let Some(v) = wait.and_then(|w| HeaderValue::from_str(&w.to_string()).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(response)
        }
    }
}

async fn render_reset(
    state: &AppState,
    page: &Page,
    token: &str,
    valid: bool,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let ctx = context! { title => "Choose a new password", token => token, valid => valid, error => error };
    let mut response = page.render_status(state, status, "account_security/reset.html", ctx).await?;
    // The token is in this page's URL: never send it on as a Referer.
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}

pub async fn reset_page(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> AppResult<Response> {
    let valid = reset::is_valid(&state, &token).await?;
    let status = if valid { StatusCode::OK } else { StatusCode::NOT_FOUND };
    render_reset(&state, &page, &token, valid, None, status).await
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    match reset::complete(&state, &token, &form.password).await {
        Ok(Outcome::Reset) => {
            let mut response = redirect_with_flash(
                "/signin",
                Flash::success(
                    "Your password has been changed and every session signed out. Sign in with the new password.",
                ),
            );
            // Whoever used the link is signed out here too.
            crate::web::page::append_cookie(&mut response, crate::auth::session::removal_cookie());
            Ok(response)
        }
        Ok(Outcome::InvalidLink) => render_reset(&state, &page, &token, false, None, StatusCode::NOT_FOUND).await,
        Err(err) => {
            let Some(message) = err.field_message("password").map(str::to_string) else { return Err(err) };
            render_reset(&state, &page, &token, true, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
