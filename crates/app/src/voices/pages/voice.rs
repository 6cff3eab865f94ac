//! A custom voice's page: its status (followed without a reload while
//! PROCESSING through [`voice_status`]), the player once READY, the name
//! and description form, "Set as default", the consent record (statement,
//! who, when, IP, every sample's SHA-256 and quality numbers), and Delete
//! in a Danger Zone behind a confirmation.
use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use minijinja::context;
use serde::{Deserialize, Serialize};
use switchboard_core::VoiceId;

use super::VOICES;
use super::views::{SampleView, VoiceView};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::voices::byok;
use crate::voices::manage::{self, VoiceDetail, VoiceUpdate};
use crate::voices::model::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, Voice};
use crate::web::confirm::Confirm;
use crate::web::time;
use crate::web::{Flash, Page, redirect_with_flash};

fn parse_id(raw: &str) -> AppResult<VoiceId> {
    raw.parse().map_err(|_| AppError::not_found("The voice"))
}

fn delete_message(v: &Voice) -> String {
    format!(
        "Delete {}? It is deleted at its provider too; agents using it fall back to the workspace's default voice. \
         This cannot be undone.",
        v.name
    )
}

/// A refused form's values and messages.
#[derive(Default)]
struct Refused {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
}

async fn render(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    detail: &VoiceDetail,
    refused: Refused,
    status: StatusCode,
) -> AppResult<Response> {
    let settings = byok::voice_settings(state, ctx).await?;
    let (tz, now) = (ctx.workspace.tz(), state.clock.now());
    let v = &detail.voice;
    let view = VoiceView::of(v, settings.default_voice.as_deref(), tz, now);
    let samples: Vec<SampleView> = detail.samples.iter().map(SampleView::of).collect();
    let consent = detail.consent.as_ref().map(|c| {
        context! {
            statement => c.statement.clone(),
            email => c.user_email.clone(),
            ip => c.ip.clone(),
            confirmed => time::view(c.confirmed_at, tz, now),
        }
    });
    let mut values = BTreeMap::from([("name", v.name.clone()), ("description", v.description.clone())]);
    values.extend(refused.values);
    crate::settings::render(
        state,
        page,
        status,
        crate::voices::SECTION.slug,
        "voices/voice.html",
        context! {
            title => v.name.clone(),
            workspace_id => ctx.workspace.id.to_string(),
            voice => view,
            samples => samples,
            consent => consent,
            values => values,
            errors => refused.errors,
            max_name => MAX_NAME_CHARS,
            max_description => MAX_DESCRIPTION_CHARS,
            delete_message => delete_message(v),
            ..super::scripts()
        },
    )
    .await
}

pub async fn voice_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let detail = manage::detail(&state, &ctx, &parse_id(&id)?).await?;
    render(&state, &ctx, &page, &detail, Refused::default(), StatusCode::OK).await
}

/// What the page's script polls while the clone is made.
#[derive(Debug, Serialize)]
pub struct StatusResponse {
    pub status: &'static str,
    pub status_label: &'static str,
    pub failure_reason: Option<String>,
}

/// `GET /settings/voices/{id}/status`: the voice's status as JSON, small
/// enough to ask every two seconds.
pub async fn voice_status(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let v = manage::get(&state, &ctx, &parse_id(&id)?).await?;
    let body =
        StatusResponse { status: v.status.as_str(), status_label: v.status.label(), failure_reason: v.failure_reason };
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn update_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<UpdateForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let id = parse_id(&id)?;
    let change = VoiceUpdate { name: Some(&form.name), description: Some(&form.description) };
    match manage::update(&state, &ctx, &id, &change).await {
        Ok(v) => Ok(redirect_with_flash(&format!("{VOICES}/{}", v.id), Flash::success("Voice saved."))),
        Err(err) => {
            let Some(problem) = err.problem() else { return Err(err) };
            let mut errors = err.field_messages().unwrap_or_default();
            if errors.is_empty() {
                errors.insert("name".into(), problem.detail.clone());
            }
            let status = problem.status;
            let detail = manage::detail(&state, &ctx, &id).await?;
            let values = BTreeMap::from([("name", form.name), ("description", form.description)]);
            render(&state, &ctx, &page, &detail, Refused { values, errors }, status).await
        }
    }
}

/// The deletion's confirmation as a page of its own (without JavaScript).
pub async fn delete_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let v = manage::get(&state, &ctx, &parse_id(&id)?).await?;
    Confirm {
        heading: format!("Delete {}", v.name),
        message: delete_message(&v),
        action: format!("{VOICES}/{}/delete", v.id),
        button: format!("Delete {}", v.name),
        back: format!("{VOICES}/{}", v.id),
    }
    .render(&state, &ctx, &page)
    .await
}

pub async fn delete_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    // Another workspace's voice is not found, never a toast.
    let v = manage::get(&state, &ctx, &parse_id(&id)?).await?;
    match manage::delete(&state, &ctx, &v.id).await {
        Ok(()) => Ok(redirect_with_flash(VOICES, Flash::success(format!("{} deleted.", v.name)))),
        Err(err) => match err.problem() {
            Some(p) => Ok(redirect_with_flash(&format!("{VOICES}/{}", v.id), Flash::error(p.detail.clone()))),
            None => Err(err),
        },
    }
}
