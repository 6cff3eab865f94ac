//! Sign-up, sign-in and sign-out pages, and where `/` sends a visitor.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::Deserialize;
use switchboard_core::UserId;
use switchboard_db::Tx;

use crate::audit::{self, Changes, Origin, Target};
use crate::auth::model::{EmailAddress, Password, PersonName};
use crate::auth::session::{self, MaybeSession, NewSession, Session};
use crate::auth::throttle::{self, ThrottleKey};
use crate::auth::{password, users};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::flash::redirect;
use crate::web::page::append_cookie;
use crate::web::redirect::target as redirect_target;
use crate::web::{ClientMeta, Flash, Page, redirect_with_flash};

/// `/`: home for a signed-in user; otherwise sign-up on a fresh install
/// and sign-in once accounts exist.
pub async fn root(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    meta: ClientMeta,
    page: Page,
) -> AppResult<Response> {
    match session {
        Some(session) => crate::home::home(&state, page, session, meta).await,
        None if users::count(&state.db).await? == 0 => Ok(redirect("/signup")),
        None => Ok(redirect("/signin")),
    }
}

#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// The invitation token when signing up from an invitation link.
    #[serde(default)]
    invite: String,
}

#[derive(Deserialize, Default)]
pub struct SignupQuery {
    #[serde(default)]
    invite: String,
}

/// The invited address, when `token` is a valid invitation.
async fn invited_email(state: &AppState, token: &str) -> AppResult<Option<String>> {
    if token.is_empty() {
        return Ok(None);
    }
    Ok(match crate::invitations::service::inspect(state, token).await? {
        crate::invitations::service::LinkState::Valid(invitation, _) => Some(invitation.email),
        _ => None,
    })
}

pub async fn signup_page(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    page: Page,
    Query(query): Query<SignupQuery>,
) -> AppResult<Response> {
    if session.is_some() {
        let to = if query.invite.is_empty() { String::new() } else { format!("/invite/{}", query.invite) };
        return Ok(redirect(&redirect_target(&state.public_url, &to, "/")));
    }
    let mut form = SignupForm::default();
    if let Some(email) = invited_email(&state, &query.invite).await? {
        form.email = email;
        form.invite = query.invite;
    }
    render_signup(&state, &page, &form, BTreeMap::new()).await
}

async fn render_signup(
    state: &AppState,
    page: &Page,
    form: &SignupForm,
    errors: BTreeMap<&str, String>,
) -> AppResult<Response> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    page.render_status(
        state,
        status,
        "auth/signup.html",
        context! {
            title => "Create your account",
            name => &form.name,
            email => &form.email,
            invite => &form.invite,
            errors => errors,
        },
    )
    .await
}

pub async fn signup(
    State(state): State<AppState>,
    meta: ClientMeta,
    page: Page,
    Form(form): Form<SignupForm>,
) -> AppResult<Response> {
    let mut errors = BTreeMap::new();
    let mut form = form;
    if !form.invite.is_empty() {
        // From an invitation link: the address is the invited one, whatever was posted.
        match invited_email(&state, &form.invite).await? {
            Some(invited) => form.email = invited,
            None => {
                errors.insert(
                    "email",
                    "This invitation is no longer valid; sign up without it or ask for a new one.".into(),
                );
                form.invite.clear();
                return render_signup(&state, &page, &form, errors).await;
            }
        }
    }
    let name = PersonName::parse(&form.name).map_err(|m| errors.insert("name", m)).ok();
    let email = EmailAddress::parse(&form.email).map_err(|m| errors.insert("email", m)).ok();
    let password = Password::parse(&form.password).map_err(|m| errors.insert("password", m)).ok();
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return render_signup(&state, &page, &form, errors).await;
    };
    let hash = password::hash(&password).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let new = users::NewUser { name: &name, email: &email, password_hash: &hash };
    let Some(user) = users::insert(&mut tx, new, now).await? else {
        if form.invite.is_empty() {
            drop(tx);
            return crate::account_security::signup::address_taken(&state, &email, now).await;
        }
        errors.insert("email", "An account with this email already exists. Sign in instead.".into());
        return render_signup(&state, &page, &form, errors).await;
    };
    crate::verification::service::on_sign_up(&state, &mut tx, &user, now).await?;
    let new_session = NewSession {
        user_id: &user.id,
        current_workspace_id: None,
        ip: meta.ip.as_deref(),
        user_agent: meta.user_agent.as_deref(),
    };
    let token = session::create(&mut tx, new_session, now).await?;
    tx.commit().await?;
    let mut response = redirect(crate::account_security::signup::NEW_ACCOUNT_LANDING);
    if !form.invite.is_empty()
        && let Some(new_session) = session::load(&state.db, &token, now).await?
    {
        let workspace = crate::invitations::service::accept(&state, &new_session, &meta, &form.invite).await?;
        response = redirect_with_flash("/", Flash::success(format!("Welcome! You joined {}.", workspace.name)));
    }
    append_cookie(&mut response, session::cookie(&state, token));
    Ok(response)
}

#[derive(Deserialize, Default)]
pub struct SigninForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// Where to go after signing in (a local path), e.g. back to an invitation.
    #[serde(default)]
    next: String,
}

pub async fn signin_page(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    page: Page,
    Query(query): Query<SigninForm>,
) -> AppResult<Response> {
    if session.is_some() {
        return Ok(redirect(&redirect_target(&state.public_url, &query.next, "/")));
    }
    render_signin(&state, &page, &query.email, &query.next, None, StatusCode::OK).await
}

async fn render_signin(
    state: &AppState,
    page: &Page,
    email: &str,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let next = redirect_target(&state.public_url, next, "");
    let ctx = context! { title => "Sign in", email => email, next => next, error => error };
    page.render_status(state, status, "auth/signin.html", ctx).await
}

const WRONG_CREDENTIALS: &str = "Email or password is incorrect.";

pub async fn signin(
    State(state): State<AppState>,
    MaybeSession(old_session): MaybeSession,
    meta: ClientMeta,
    page: Page,
    Form(form): Form<SigninForm>,
) -> AppResult<Response> {
    let Some(email) = EmailAddress::lookup(&form.email) else {
        return render_signin(
            &state,
            &page,
            &form.email,
            &form.next,
            Some(WRONG_CREDENTIALS.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let keys = ThrottleKey::sign_in(&email.normalized(), meta.ip.as_deref());
    let now = state.clock.now();
    // Counted before the password is checked, atomically (see `auth::throttle`).
    if let Some(wait) = throttle::reserve(&state.db, &keys, now).await? {
        let minutes = wait.div_ceil(60);
        let message = format!(
            "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        );
        let mut response =
            render_signin(&state, &page, &form.email, &form.next, Some(message), StatusCode::TOO_MANY_REQUESTS).await?;
        if let Ok(v) = axum::http::HeaderValue::from_str(&wait.to_string()) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(response);
    }

    // Verify outside any transaction: argon2 takes tens of milliseconds.
    let credentials = users::credentials(&state.db, &email).await?;
    let verified = match password::verify(&form.password, credentials.as_ref().map(|(_, h)| h.as_str())).await {
        Ok(verified) => verified,
        Err(err) => {
            // Not checked (the server was busy): the attempt is given back.
            throttle::unreserve(&state.db, &keys).await?;
            return Err(err);
        }
    };
    let (true, Some((user_id, _))) = (verified, credentials) else {
        return render_signin(
            &state,
            &page,
            &form.email,
            &form.next,
            Some(WRONG_CREDENTIALS.into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut tx = state.db.begin().await?;
    let next = redirect_target(&state.public_url, &form.next, "/");
    // With a second factor this attempt stays counted until the code is
    // given (`two_factor::signin` releases it then).
    if crate::two_factor::signin::needed(&mut tx, &user_id).await? {
        return crate::two_factor::signin::begin(&state, tx, &user_id, &next, now).await;
    }
    throttle::release(&mut tx, &keys).await?;
    finish_sign_in(&state, tx, old_session.as_deref(), &user_id, &meta, &next, now).await
}

/// The end of a sign-in, once every factor is checked: the pre-sign-in
/// session (if any) dies, a new one starts in the user's first workspace
/// (audited there), and the browser goes to `next` — or to two-factor
/// set-up when that workspace requires it and the user has none.
pub async fn finish_sign_in(
    state: &AppState,
    mut tx: Tx,
    old_session: Option<&Session>,
    user_id: &UserId,
    meta: &ClientMeta,
    next: &str,
    now: DateTime<Utc>,
) -> AppResult<Response> {
    // Rotate: the pre-sign-in session (if any) dies, a new one is issued.
    if let Some(old) = old_session {
        session::delete(&mut tx, &old.id_hash).await?;
    }
    let workspaces = crate::workspaces::store::list_for_user(&mut tx, user_id).await?;
    let landing = workspaces.first().map(|w| w.workspace.clone());
    let new_session = NewSession {
        user_id,
        current_workspace_id: landing.as_ref().map(|w| &w.id),
        ip: meta.ip.as_deref(),
        user_agent: meta.user_agent.as_deref(),
    };
    let token = session::create(&mut tx, new_session, now).await?;
    if let Some(ws) = &landing
        && let Some(user) = users::find(&mut tx, user_id).await?
    {
        let origin = Origin::user(ws.id.clone(), user_id, &user.name, meta);
        let target = Target::new("user", user_id, user.email.as_str());
        // The new session starts in this workspace: that is what changed here.
        let changes = Changes::new().field("current_workspace", (), ws.id.as_str());
        audit::record(&mut tx, &origin, &crate::members::SIGNED_IN, &target, &changes, now).await?;
    }
    let to = crate::two_factor::enforce::after_sign_in(&mut tx, user_id, landing.as_ref().map(|w| &w.id), next).await?;
    tx.commit().await?;
    let mut response = redirect(&to);
    append_cookie(&mut response, session::cookie(state, token));
    Ok(response)
}

pub async fn signout(State(state): State<AppState>, MaybeSession(session): MaybeSession) -> AppResult<Response> {
    if let Some(s) = session {
        session::delete(&state.db, &s.id_hash).await?;
    }
    let mut response = redirect_with_flash("/signin", Flash::success("You have signed out."));
    append_cookie(&mut response, session::removal_cookie());
    Ok(response)
}
