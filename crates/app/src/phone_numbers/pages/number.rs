//! A number's page: its details, the friendly name form, the agent of each
//! role (three selects), the "Allow outbound calls" toggle, and Release in
//! a Danger Zone behind a confirmation.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::NUMBERS;
use super::views::{NumberView, agent_ids};
use crate::error::AppResult;
use crate::phone_numbers::assign::{self, Assignment, Details, MAX_FRIENDLY_NAME_CHARS};
use crate::phone_numbers::model::{NumberSource, NumberStatus, PhoneNumber, Role};
use crate::phone_numbers::{release, store};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::confirm::Confirm;
use crate::web::{Flash, Page, redirect_with_flash};

/// Agents offered in the selects (a workspace with more picks from the API).
const AGENT_OPTIONS: i64 = 500;

#[derive(Serialize)]
struct AgentOption {
    id: String,
    name: String,
}

async fn find(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<PhoneNumber> {
    let id = assign::parse_id(id)?;
    store::find(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(assign::not_found)
}

fn release_message(n: &PhoneNumber) -> String {
    match n.source {
        NumberSource::Platform => format!(
            "Release {}? It goes back to the carrier and stops renewing; its agents lose it. You may not get it back.",
            n.display()
        ),
        NumberSource::Imported => format!(
            "Release {}? Switchboard stops answering it and its agents lose it; it stays in your carrier account.",
            n.display()
        ),
    }
}

/// What the forms show: the values sent (after a refusal) and the messages.
#[derive(Default)]
struct Refused {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
}

async fn render(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    n: &PhoneNumber,
    refused: Refused,
    status: StatusCode,
) -> AppResult<Response> {
    let ws = &ctx.workspace.id;
    let agents = crate::agents::store::list(&state.db, ws, None, None, AGENT_OPTIONS).await?;
    let mut options: Vec<AgentOption> =
        agents.into_iter().map(|a| AgentOption { id: a.id.to_string(), name: a.name }).collect();
    options.sort_by_key(|a| a.name.to_lowercase());
    let ids = agent_ids(std::slice::from_ref(n));
    let names = crate::agents::store::names(&state.db, ws, &ids.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let view = NumberView::new(n, &names, ctx.workspace.tz(), state.clock.now());
    let mut values = BTreeMap::from([("friendly_name", n.friendly_name.clone())]);
    for role in Role::ALL {
        values.insert(assign::field(role), n.agent(role).map(|a| a.to_string()).unwrap_or_default());
    }
    values.extend(refused.values);
    let message = release_message(n);
    crate::settings::render(
        state,
        page,
        status,
        super::super::SECTION.slug,
        "phone_numbers/number.html",
        context! {
            title => view.display.clone(),
            workspace_id => ws.to_string(),
            number => view,
            agents => options,
            values => values,
            errors => refused.errors,
            max_name => MAX_FRIENDLY_NAME_CHARS,
            release_message => message,
            can_release => n.status.is_live() || n.status == NumberStatus::Disconnected,
        },
    )
    .await
}

pub async fn number_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let n = find(&state, &ctx, &id).await?;
    render(&state, &ctx, &page, &n, Refused::default(), StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    friendly_name: String,
}

pub async fn rename_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<RenameForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let n = find(&state, &ctx, &id).await?;
    let details = Details { friendly_name: Some(form.friendly_name.clone()), allow_outbound: None };
    match assign::update_details(&state, &ctx, &n.id, &details).await {
        Ok(n) => Ok(redirect_with_flash(&format!("{NUMBERS}/{}", n.id), Flash::success("Friendly name saved."))),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let values = BTreeMap::from([("friendly_name", form.friendly_name)]);
            render(&state, &ctx, &page, &n, Refused { values, errors }, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    inbound_agent_id: String,
    #[serde(default)]
    outbound_agent_id: String,
    #[serde(default)]
    sms_agent_id: String,
}

pub async fn assign_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let n = find(&state, &ctx, &id).await?;
    let raw =
        [Some(form.inbound_agent_id.as_str()), Some(form.outbound_agent_id.as_str()), Some(form.sms_agent_id.as_str())];
    let done = match Assignment::parse(raw) {
        Ok(wanted) => assign::assign(&state, &ctx, &n.id, &wanted).await,
        Err(err) => Err(err),
    };
    match done {
        Ok(n) => Ok(redirect_with_flash(&format!("{NUMBERS}/{}", n.id), Flash::success("Assignments saved."))),
        Err(err) => {
            let Some(problem) = err.problem() else { return Err(err) };
            let mut errors = err.field_messages().unwrap_or_default();
            if errors.is_empty() {
                errors.insert("assignments".into(), problem.detail.clone());
            }
            let values = BTreeMap::from([
                ("inbound_agent_id", form.inbound_agent_id),
                ("outbound_agent_id", form.outbound_agent_id),
                ("sms_agent_id", form.sms_agent_id),
            ]);
            let status = problem.status;
            render(&state, &ctx, &page, &n, Refused { values, errors }, status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct OutboundForm {
    #[serde(default)]
    allow_outbound: Option<String>,
}

pub async fn set_outbound(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
    Form(form): Form<OutboundForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let n = find(&state, &ctx, &id).await?;
    let allow = form.allow_outbound.is_some();
    let details = Details { friendly_name: None, allow_outbound: Some(allow) };
    let n = assign::update_details(&state, &ctx, &n.id, &details).await?;
    let text = if allow { "Outbound calls allowed." } else { "Outbound calls turned off." };
    Ok(redirect_with_flash(&format!("{NUMBERS}/{}", n.id), Flash::success(text)))
}

/// The release confirmation as a page of its own (without JavaScript).
pub async fn release_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let n = find(&state, &ctx, &id).await?;
    Confirm {
        heading: format!("Release {}", n.display()),
        message: release_message(&n),
        action: format!("{NUMBERS}/{}/release", n.id),
        button: format!("Release {}", n.display()),
        back: format!("{NUMBERS}/{}", n.id),
    }
    .render(&state, &ctx, &page)
    .await
}

pub async fn release_number(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    // Another workspace's number is not found, never a toast.
    let id = find(&state, &ctx, &id).await?.id;
    match release::release(&state, &ctx, &id).await {
        Ok(n) => Ok(redirect_with_flash(NUMBERS, Flash::success(format!("{} released.", n.display())))),
        Err(err) => match err.problem() {
            Some(p) => Ok(redirect_with_flash(&format!("{NUMBERS}/{id}"), Flash::error(p.detail.clone()))),
            None => Err(err),
        },
    }
}
