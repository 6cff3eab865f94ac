//! The Profile's two-factor page (set-up with QR code, the recovery codes
//! shown once, turning it off) and Settings → General's requirement form.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use minijinja::{Value, context};
use serde::Deserialize;

use super::service::{self, Enrolment};
use crate::auth::SignedIn;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::{ClientMeta, Flash, Page, redirect_with_flash};

#[derive(Deserialize, Default)]
pub struct SetupQuery {
    /// Set when a workspace's requirement sent the person here.
    #[serde(default)]
    required: Option<String>,
}

fn enrolment_view(e: &Enrolment) -> Value {
    let qr = base64::engine::general_purpose::STANDARD.encode(e.qr_svg.expose());
    context! {
        secret => e.secret_base32.expose(),
        uri => e.otpauth_uri.expose(),
        qr_data_url => format!("data:image/svg+xml;base64,{qr}"),
    }
}

struct View {
    required: bool,
    errors: BTreeMap<String, String>,
    codes: Option<Vec<String>>,
}

async fn render(
    state: &AppState,
    page: &Page,
    session: &crate::auth::Session,
    view: View,
    status: StatusCode,
) -> AppResult<Response> {
    let enabled = service::is_enabled(state, &session.user_id).await?;
    let setup = if enabled || view.codes.is_some() {
        None
    } else {
        service::pending_enrolment(state, session).await?.as_ref().map(enrolment_view)
    };
    let left = if enabled { service::unused_recovery_codes(state, &session.user_id).await? } else { 0 };
    page.render_status(
        state,
        status,
        "profile/two_factor.html",
        context! {
            title => "Two-factor sign-in",
            enabled => enabled,
            required => view.required,
            setup => setup,
            codes => view.codes,
            recovery_left => left,
            tf_errors => view.errors,
        },
    )
    .await
}

pub async fn setup_page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    page: Page,
    Query(query): Query<SetupQuery>,
) -> AppResult<Response> {
    let view = View { required: query.required.is_some(), errors: BTreeMap::new(), codes: None };
    render(&state, &page, &session, view, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
pub struct ConfirmForm {
    #[serde(default)]
    code: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    meta: ClientMeta,
    page: Page,
    Form(form): Form<ConfirmForm>,
) -> AppResult<Response> {
    match service::confirm(&state, &session, &meta, &form.code).await {
        Ok(codes) => {
            let codes = codes.into_iter().map(|c| c.into_exposed()).collect();
            let view = View { required: false, errors: BTreeMap::new(), codes: Some(codes) };
            render(&state, &page, &session, view, StatusCode::OK).await
        }
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let view = View { required: false, errors, codes: None };
            render(&state, &page, &session, view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DisableForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn disable(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    meta: ClientMeta,
    page: Page,
    Form(form): Form<DisableForm>,
) -> AppResult<Response> {
    match service::disable(&state, &session, &meta, &form.password, &form.code).await {
        Ok(()) => Ok(redirect_with_flash("/profile/two-factor", Flash::success("Two-factor sign-in is off."))),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let errors = errors.into_iter().map(|(k, v)| (format!("disable_{k}"), v)).collect();
            let view = View { required: false, errors, codes: None };
            render(&state, &page, &session, view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// Settings → General's card: the requirement and whether the Admin has a
/// second factor (they need one to require it).
pub async fn workspace_card(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Value> {
    Ok(context! {
        required => service::workspace_requires(state, ctx).await?,
        admin_enabled => service::is_enabled(state, &ctx.user_id).await?,
    })
}

#[derive(Deserialize, Default)]
pub struct RequirementForm {
    #[serde(default)]
    required: Option<String>,
}

pub async fn save_requirement(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Form(form): Form<RequirementForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let to = "/settings/general#two-factor";
    let required = form.required.is_some_and(|v| v == "on" || v == "true");
    Ok(match service::set_workspace_requirement(&state, &ctx, required).await {
        Ok(true) => redirect_with_flash(to, Flash::success("Every member now needs two-factor sign-in.")),
        Ok(false) => redirect_with_flash(to, Flash::success("Two-factor sign-in is no longer required.")),
        Err(err) => match err.problem() {
            Some(p) if p.status == StatusCode::CONFLICT => redirect_with_flash(to, Flash::error(p.detail.clone())),
            _ => return Err(err),
        },
    })
}
