//! Settings → General: the one owner of the page. It asks workspaces
//! (name, website, timezone, logo) and members (the Members card) for view
//! data and calls their services for the page's forms, so neither of those
//! features renders the other's page.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use crate::error::AppResult;
use crate::images::read_upload;
use crate::invitations::service::{self as invitations, Sent};
use crate::members;
use crate::members::api::MembersQuery;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::{Flash, Page, redirect_with_flash, time};
use crate::workspaces::model::Timezone;
use crate::workspaces::service::{self, WorkspaceUpdate};

const MEMBERS_CARD: &str = "/settings/general#members";

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
    crate::settings::render(
        state,
        page,
        status,
        "general",
        "settings/general.html",
        context! {
            title => "General",
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
            members => members::view::members_context(state, ctx, &form.members).await?,
            roles => [("admin", "Admin"), ("member", "Member"), ("viewer", "Viewer")],
            two_factor => crate::two_factor::pages::workspace_card(state, ctx).await?,
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

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite_member(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<InviteForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageMembers)?;
    match invitations::invite(&state, &ctx, &form.email, &form.role).await {
        Ok(Sent::Created(i)) => {
            Ok(redirect_with_flash(MEMBERS_CARD, Flash::success(format!("Invitation sent to {}.", i.email))))
        }
        Ok(Sent::Resent(i)) => Ok(redirect_with_flash(
            MEMBERS_CARD,
            Flash::success(format!("{} was already invited; we sent a new invitation.", i.email)),
        )),
        Err(err) => {
            let Some(fields) = err.field_messages() else { return Err(err) };
            let errors = fields.into_iter().map(|(field, message)| (format!("invite_{field}"), message)).collect();
            let values = BTreeMap::from([("invite_email", form.email), ("invite_role", form.role)]);
            render_general_with(&state, &ctx, &page, values, errors).await
        }
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm_name: String,
}

pub async fn delete_workspace(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<DeleteForm>,
) -> AppResult<Response> {
    ctx.require(Permission::DeleteWorkspace)?;
    match members::service::delete_workspace(&state, &ctx, &form.confirm_name).await {
        Ok(()) => {
            Ok(redirect_with_flash("/", Flash::success(format!("Workspace {} was deleted.", ctx.workspace.name))))
        }
        Err(err) => match err.field_message("confirm_name") {
            Some(message) => {
                let errors = BTreeMap::from([("confirm_name".to_string(), message.to_string())]);
                let values = BTreeMap::from([("confirm_name", form.confirm_name)]);
                render_general_with(&state, &ctx, &page, values, errors).await
            }
            None => Err(err),
        },
    }
}
