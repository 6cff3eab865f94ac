//! The page behind an invitation link, and accepting it.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

use super::service::{self, LinkState};
use crate::auth::model::EmailAddress;
use crate::auth::{MaybeSession, SignedIn, users};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::{ClientMeta, Flash, Page, redirect_with_flash, time};

/// `/invite/<token>`: what the visitor can do depends on who they are.
pub async fn invitation_page(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    page: Page,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let (invitation, workspace) = match service::inspect(&state, &token).await? {
        LinkState::Valid(i, w) => (i, w),
        LinkState::Expired(i, w) => {
            let ctx = context! { title => "Invitation expired", state => "expired", workspace_name => w.name, email => i.email };
            return page.render_status(&state, StatusCode::GONE, "invitations/landing.html", ctx).await;
        }
        LinkState::Invalid => {
            let ctx = context! { title => "Invitation not valid", state => "invalid" };
            return page.render_status(&state, StatusCode::NOT_FOUND, "invitations/landing.html", ctx).await;
        }
    };
    let who = match &session {
        Some(s) if s.user_email.to_lowercase() == invitation.email_normalized => "same_user",
        Some(_) => "other_user",
        None => {
            let email = EmailAddress::lookup(&invitation.email);
            let exists = match &email {
                Some(e) => users::find_by_email(&state.db, e).await?.is_some(),
                None => false,
            };
            if exists { "existing_user" } else { "new_user" }
        }
    };
    let ctx = context! {
        title => format!("Join {}", workspace.name),
        state => who,
        token => token,
        workspace_name => workspace.name,
        email => invitation.email,
        role => invitation.role.label(),
        expires => time::view(invitation.expires_at, workspace.tz(), now),
        signed_in_as => session.as_ref().map(|s| s.user_email.clone()),
    };
    page.render(&state, "invitations/landing.html", ctx).await
}

pub async fn accept_invitation(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    meta: ClientMeta,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let workspace = service::accept(&state, &session, &meta, &token).await?;
    Ok(redirect_with_flash("/", Flash::success(format!("You joined {}.", workspace.name))))
}
