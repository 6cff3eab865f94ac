//! Settings → Audiences → Consent (Admins): the mode (Universal or
//! Granular, each explained) and the keyword lists, each its own form.
//! Saved forms redirect with a toast; a refused form is shown again with
//! its message by the field and the words as typed.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::model::{ConsentMode, Keywords};
use super::service;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::{Flash, Page, redirect_with_flash};

pub const CONSENT: &str = "/settings/audiences/consent";
/// The Audiences section's slug (the section itself is the audiences feature's).
pub const SECTION_SLUG: &str = "audiences";

#[derive(Debug, Default)]
struct Shown {
    errors: BTreeMap<String, String>,
    opt_out: Option<String>,
    opt_in: Option<String>,
}

pub async fn consent_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render(&state, &ctx, &page, Shown::default()).await
}

async fn render(state: &AppState, ctx: &WorkspaceCtx, page: &Page, shown: Shown) -> AppResult<Response> {
    let settings = service::settings(state, ctx).await?;
    let status = if shown.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let modes: Vec<minijinja::Value> = [
        (
            ConsentMode::Universal,
            "An opt-out on any channel blocks every channel: someone who texts STOP is neither called nor texted.",
        ),
        (
            ConsentMode::Granular,
            "Each channel has its own consent: an SMS opt-out stops texts, while calls stay allowed until they opt out of calls too.",
        ),
    ]
    .into_iter()
    .map(|(m, text)| context! { value => m.as_str(), label => m.label(), text => text, checked => m == settings.mode })
    .collect();
    crate::settings::render(
        state,
        page,
        status,
        SECTION_SLUG,
        "consent/page.html",
        context! {
            title => "Consent",
            tab => "consent",
            workspace_id => ctx.workspace.id.to_string(),
            modes => modes,
            values => context! {
                opt_out_keywords => shown.opt_out.unwrap_or_else(|| settings.keywords.opt_out.join(", ")),
                opt_in_keywords => shown.opt_in.unwrap_or_else(|| settings.keywords.opt_in.join(", ")),
            },
            errors => shown.errors,
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ModeForm {
    #[serde(default)]
    mode: String,
}

pub async fn set_mode(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<ModeForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let Some(mode) = ConsentMode::parse(&form.mode) else {
        let errors = BTreeMap::from([("mode".to_string(), "Choose Universal or Granular.".to_string())]);
        return render(&state, &ctx, &page, Shown { errors, ..Shown::default() }).await;
    };
    service::set_mode(&state, &ctx, mode).await?;
    Ok(redirect_with_flash(CONSENT, Flash::success(format!("Consent mode saved: {}.", mode.label()))))
}

#[derive(Debug, Deserialize)]
pub struct KeywordsForm {
    #[serde(default)]
    opt_out_keywords: String,
    #[serde(default)]
    opt_in_keywords: String,
}

pub async fn set_keywords(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<KeywordsForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let parsed = Keywords::parse(&Keywords::split(&form.opt_out_keywords), &Keywords::split(&form.opt_in_keywords));
    let result = match parsed {
        Ok(keywords) => service::set_keywords(&state, &ctx, keywords).await.map(|_| ()),
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => Ok(redirect_with_flash(CONSENT, Flash::success("Keywords saved."))),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let shown = Shown { errors, opt_out: Some(form.opt_out_keywords), opt_in: Some(form.opt_in_keywords) };
            render(&state, &ctx, &page, shown).await
        }
    }
}
