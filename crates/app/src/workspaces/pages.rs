//! HTML handlers: creating and switching workspaces, Settings → General.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::model::Timezone;
use super::service::{self, WorkspaceUpdate};
use crate::auth::SignedIn;
use crate::error::{AppError, AppResult};
use crate::images::MAX_UPLOAD_BYTES;
use crate::members::api::MembersQuery;
use crate::policy::{Permission, WorkspaceCtx};
use crate::settings::{SECTIONS, section};
use crate::state::AppState;
use crate::web::{ClientMeta, Flash, Page, redirect_with_flash, time};

#[derive(Deserialize, Default)]
pub struct CreateWorkspaceForm {
    #[serde(default)]
    name: String,
}

pub async fn new_workspace_page(State(state): State<AppState>, _user: SignedIn, page: Page) -> AppResult<Response> {
    render_new(&state, &page, "", None).await
}

async fn render_new(state: &AppState, page: &Page, name: &str, error: Option<&str>) -> AppResult<Response> {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    page.render_status(
        state,
        status,
        "workspaces/new.html",
        context! { title => "Create a workspace", name => name, error => error },
    )
    .await
}

pub async fn create_workspace(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    meta: ClientMeta,
    page: Page,
    Form(form): Form<CreateWorkspaceForm>,
) -> AppResult<Response> {
    match service::create(&state, &session, &meta, &form.name).await {
        Ok(workspace) => {
            crate::auth::session::set_current_workspace(&state.db, &session.id_hash, Some(&workspace.id)).await?;
            Ok(redirect_with_flash("/", Flash::success(format!("Workspace “{}” created.", workspace.name))))
        }
        Err(err) => match err.field_message("name") {
            Some(message) => render_new(&state, &page, &form.name, Some(message)).await,
            None => Err(err),
        },
    }
}

#[derive(Deserialize)]
pub struct SwitchForm {
    workspace_id: String,
    #[serde(default)]
    back: String,
}

pub async fn switch_workspace(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Form(form): Form<SwitchForm>,
) -> AppResult<Response> {
    let workspace = service::switch(&state, &session, &form.workspace_id).await?;
    // Only a local path, so the field cannot send anyone elsewhere.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") { form.back.as_str() } else { "/" };
    Ok(redirect_with_flash(back, Flash::success(format!("Switched to {}.", workspace.name))))
}

/// What the General form shows: submitted values after an error, stored
/// values otherwise.
#[derive(Default)]
struct GeneralForm {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
    /// Search and page of the Members table.
    members: MembersQuery,
}

pub async fn general_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Query(members): Query<MembersQuery>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let form = GeneralForm { members, ..GeneralForm::default() };
    render_general(&state, &ctx, &page, form, StatusCode::OK).await
}

/// The General page after a refused form elsewhere on it (invite, delete):
/// `values` refill the fields, `errors` sit next to them.
pub async fn render_general_with(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
) -> AppResult<Response> {
    let form = GeneralForm { values, errors, ..GeneralForm::default() };
    render_general(state, ctx, page, form, StatusCode::UNPROCESSABLE_ENTITY).await
}

async fn render_general(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    form: GeneralForm,
    status: StatusCode,
) -> AppResult<Response> {
    let ws = &ctx.workspace;
    let value = |key: &str, stored: &str| form.values.get(key).cloned().unwrap_or_else(|| stored.to_string());
    let now = state.clock.now();
    let tz = ws.tz();
    page.render_status(
        state,
        status,
        "settings/general.html",
        context! {
            title => "General",
            sections => SECTIONS,
            section => section("general"),
            ws => context! {
                id => ws.id.to_string(),
                logo_url => ws.logo_url(256),
                initials => crate::auth::model::initials(&ws.name),
                created => time::view(ws.created_at, tz, now),
                updated => time::view(ws.updated_at, tz, now),
                stored_name => ws.name.clone(),
                timezone => ws.timezone.clone(),
            },
            values => context! {
                name => value("name", &ws.name),
                website => value("website", ws.website.as_deref().unwrap_or("")),
                timezone => value("timezone", &ws.timezone),
            },
            errors => form.errors,
            timezones => Timezone::all_names(),
            invite => context! {
                email => value("invite_email", ""),
                role => value("invite_role", "member"),
            },
            confirm_name => value("confirm_name", ""),
            members => crate::members::pages::members_context(state, ctx, &form.members).await?,
            roles => [("admin", "Admin"), ("member", "Member"), ("viewer", "Viewer")],
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct GeneralFieldsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    timezone: String,
}

pub async fn save_general(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<GeneralFieldsForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let update = WorkspaceUpdate {
        name: Some(form.name.clone()),
        website: Some(form.website.clone()),
        timezone: Some(form.timezone.clone()),
    };
    match service::update(&state, &ctx, update).await {
        Ok(_) => Ok(redirect_with_flash("/settings/general", Flash::success("Workspace settings saved."))),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let mut shown = GeneralForm { errors, ..GeneralForm::default() };
            shown.values.insert("name", form.name);
            shown.values.insert("website", form.website);
            shown.values.insert("timezone", form.timezone);
            render_general(&state, &ctx, &page, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn upload_logo(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    multipart: Multipart,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let result = match read_upload(multipart, "logo").await {
        Ok(upload) => service::set_logo(&state, &ctx, upload.bytes).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(redirect_with_flash("/settings/general", Flash::success("Workspace logo updated."))),
        Err(err) => match err.field_message("logo") {
            Some(message) => {
                let mut shown = GeneralForm::default();
                shown.errors.insert("logo".into(), message.to_string());
                render_general(&state, &ctx, &page, shown, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => Err(err),
        },
    }
}

pub async fn remove_logo(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    service::remove_logo(&state, &ctx).await?;
    Ok(redirect_with_flash("/settings/general", Flash::success("Workspace logo removed.")))
}

/// An uploaded file and the form's `back` field (when it came first).
pub struct Upload {
    pub bytes: bytes::Bytes,
    pub back: String,
}

/// Reads the file field `name` of a multipart form, refusing more than
/// the upload limit without buffering the rest.
pub async fn read_upload(mut multipart: Multipart, name: &str) -> AppResult<Upload> {
    let choose = || AppError::field(name, "Choose an image file to upload.");
    let mut back = String::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|_| choose())? {
        if field.name() == Some("back") {
            back = field.text().await.map_err(|_| choose())?;
            continue;
        }
        if field.name() != Some(name) {
            continue;
        }
        let mut data = bytes::BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| choose())? {
            if data.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(AppError::field(name, crate::images::too_large_message()));
            }
            data.extend_from_slice(&chunk);
        }
        if data.is_empty() {
            return Err(choose());
        }
        return Ok(Upload { bytes: data.freeze(), back });
    }
    Err(choose())
}
