//! Settings → Developer: the user and team IDs, API tokens (create, shown
//! once; list; revoke), the webhook endpoints (their pages are
//! `webhooks::pages`) and experimental features. Forms redirect back with
//! a toast, except creating a token: that page shows the token, once.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::features::{self, CATALOGUE};
use super::model::{EXPIRY_CHOICES, NewToken, TokenStatus};
use super::{service, store};
use crate::auth::token_format::TOKEN_PREFIX;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::{Flash, Page, redirect_with_flash, time};

const DEVELOPER: &str = "/settings/developer";

#[derive(Serialize)]
struct TokenRowView {
    id: String,
    name: String,
    role: &'static str,
    /// Set when the creator's role narrows the token below its own.
    narrowed_to: Option<&'static str>,
    prefix: String,
    creator: String,
    created: time::TimeView,
    last_used: Option<time::TimeView>,
    last_used_ip: Option<String>,
    expires: Option<time::TimeView>,
    status: TokenStatus,
    status_label: &'static str,
    active: bool,
}

#[derive(Serialize)]
struct FeatureView {
    key: &'static str,
    name: &'static str,
    description: &'static str,
    enabled: bool,
}

/// What the create form shows after a refused submit or a success.
#[derive(Default)]
struct CreateOutcome {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
    created: Option<(String, String)>,
}

pub async fn developer_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render(&state, &ctx, &page, CreateOutcome::default(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    outcome: CreateOutcome,
    status: StatusCode,
) -> AppResult<Response> {
    let now = state.clock.now();
    let tz = ctx.workspace.tz();
    let tokens: Vec<TokenRowView> = store::list(&state.db, &ctx.workspace.id)
        .await?
        .into_iter()
        .map(|row| {
            let facts = row.facts();
            let status = facts.status(now);
            let effective = facts.effective_role(now);
            TokenRowView {
                id: row.id.to_string(),
                role: row.role.label(),
                narrowed_to: effective.filter(|r| *r < row.role).map(|r| r.label()),
                prefix: row.token_prefix,
                creator: row.creator_name,
                created: time::view(row.created_at, tz, now),
                last_used: row.last_used_at.map(|at| time::view(at, tz, now)),
                last_used_ip: row.last_used_ip,
                expires: row.expires_at.map(|at| time::view(at, tz, now)),
                status,
                status_label: status.label(),
                active: status == TokenStatus::Active,
                name: row.name,
            }
        })
        .collect();
    let feature_views: Vec<FeatureView> = CATALOGUE
        .iter()
        .map(|f| FeatureView {
            key: f.key,
            name: f.name,
            description: f.description,
            enabled: features::is_enabled(&ctx.workspace, f),
        })
        .collect();
    let webhooks = crate::webhooks::pages::summaries(state, ctx).await?;
    let value = |key: &str, default: &str| outcome.values.get(key).cloned().unwrap_or_else(|| default.to_string());
    crate::settings::render(
        state,
        page,
        status,
        "developer",
        "developer/page.html",
        context! {
            title => "Developer",
            ws_id => ctx.workspace.id.to_string(),
            user_id => ctx.user_id.to_string(),
            tokens => tokens,
            features => feature_views,
            webhooks => webhooks,
            created => outcome.created.map(|(name, token)| context! { name, token }),
            values => context! {
                name => value("name", ""),
                role => value("role", "member"),
                expires_in_days => value("expires_in_days", "90"),
            },
            errors => outcome.errors,
            roles => [("admin", "Admin"), ("member", "Member"), ("viewer", "Viewer")],
            expiry_choices => EXPIRY_CHOICES,
            token_prefix => TOKEN_PREFIX,
            public_url => state.public_url.clone(),
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct CreateTokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    expires_in_days: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<CreateTokenForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let now = state.clock.now();
    // The select sends whole days; anything else is refused as such.
    let days = match form.expires_in_days.trim() {
        "" => Some(0),
        raw => Some(raw.parse::<i64>().unwrap_or(-1)),
    };
    let created = match NewToken::parse(&form.name, &form.role, days, now) {
        Ok(new) => service::create(&state, &ctx, new).await,
        Err(err) => Err(err),
    };
    match created {
        Ok((row, token)) => {
            let outcome = CreateOutcome { created: Some((row.name, token)), ..CreateOutcome::default() };
            render(&state, &ctx, &page, outcome, StatusCode::CREATED).await
        }
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let values =
                BTreeMap::from([("name", form.name), ("role", form.role), ("expires_in_days", form.expires_in_days)]);
            let outcome = CreateOutcome { values, errors, created: None };
            render(&state, &ctx, &page, outcome, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let row = service::revoke(&state, &ctx, &id).await?;
    Ok(redirect_with_flash(
        DEVELOPER,
        Flash::success(format!("The token “{}” was revoked; requests made with it now fail.", row.name)),
    ))
}

#[derive(Deserialize)]
pub struct FeatureForm {
    #[serde(default)]
    enabled: String,
}

pub async fn set_feature(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(key): Path<String>,
    Form(form): Form<FeatureForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let feature = features::find(&key).ok_or_else(|| crate::error::AppError::not_found("The experimental feature"))?;
    let enabled = matches!(form.enabled.as_str(), "true" | "on" | "1");
    service::set_feature(&state, &ctx, feature, enabled).await?;
    let state_word = if enabled { "on" } else { "off" };
    Ok(redirect_with_flash(
        &format!("{DEVELOPER}#features"),
        Flash::success(format!("{} is now {state_word} for everyone in this workspace.", feature.name)),
    ))
}
