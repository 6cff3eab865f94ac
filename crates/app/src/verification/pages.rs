//! The link in the email, the "Resend verification email" action, and its
//! API twin.
use axum::Form;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::service::{self, Outcome};
use crate::auth::{MaybeSession, SignedIn};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::redirect;
use crate::web::{Flash, redirect_with_flash};

/// `GET /verify-email/{token}`: the link itself. Anyone holding it may use
/// it (it proves the mailbox received it); it works once.
pub async fn verify_email(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let home = if session.is_some() { "/" } else { "/signin" };
    Ok(match service::verify(&state, &token).await? {
        Outcome::Verified => redirect_with_flash(home, Flash::success("Your email address is verified.")),
        Outcome::Expired => redirect_with_flash(
            home,
            Flash::error("This verification link has expired. Sign in and choose “Resend verification email”."),
        ),
        Outcome::Invalid => redirect_with_flash(
            home,
            Flash::error("This verification link is no longer valid. It may have been used already."),
        ),
    })
}

#[derive(Deserialize, Default)]
pub struct ResendForm {
    #[serde(default)]
    back: String,
}

/// `POST /verify-email/resend`: the banner's button.
pub async fn resend_page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Form(form): Form<ResendForm>,
) -> AppResult<Response> {
    let back = &redirect::target(&state.public_url, &form.back, "/");
    Ok(match service::resend(&state, &session.user_id).await {
        Ok(()) => redirect_with_flash(
            back,
            Flash::success(format!("We sent a new verification link to {}.", session.user_email)),
        ),
        Err(err) => match err.problem() {
            Some(p) => redirect_with_flash(back, Flash::error(p.detail.clone())),
            None => return Err(err),
        },
    })
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"email": "ada@example.com"}))]
pub struct VerificationSentResponse {
    /// The address the link went to.
    #[schema(example = "ada@example.com")]
    pub email: String,
}

/// Sends a new verification link to the signed-in user's address (at most
/// one a minute and five a day; 409 once verified).
#[utoipa::path(post, path = "/api/v1/me/verification-email", tag = "profile",
    security(("session" = [])),
    responses(
        (status = 202, body = VerificationSentResponse),
    ))]
pub async fn resend_api(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> AppResult<(StatusCode, Json<VerificationSentResponse>)> {
    service::resend(&state, &session.user_id).await?;
    Ok((StatusCode::ACCEPTED, Json(VerificationSentResponse { email: session.user_email.clone() })))
}
