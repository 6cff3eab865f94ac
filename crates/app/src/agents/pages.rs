//! The Agents pages, outside Settings and reachable from the top
//! navigation: the list, the new-agent form, an agent's page (its form for
//! Members and Admins, its details for Viewers) and the delete
//! confirmation. Forms redirect with a toast; a refused form is shown
//! again with each message by its field and the values kept.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::model::{AgentFields, AgentStatus, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, RawAgent};
use super::numbers::{self, AssignedNumber};
use super::service;
use super::store::Agent;
use super::voice_choices::voice_choices;
use crate::error::{AppError, AppResult};
use crate::phone_numbers::assign;
use crate::phone_numbers::model::Role;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::confirm::Confirm;
use crate::web::{Flash, Page, redirect_with_flash, time};

const AGENTS: &str = "/agents";
const PAGE_SIZE: i64 = 50;

#[derive(Serialize)]
struct AgentRowView {
    id: String,
    name: String,
    status: &'static str,
    status_label: &'static str,
    voice: Option<String>,
    numbers: Vec<AssignedNumber>,
    updated: time::TimeView,
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    AgentStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect()
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    cursor: Option<String>,
}

pub async fn list_agents(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Query(params): Query<ListParams>,
) -> AppResult<Response> {
    ctx.require(Permission::ViewWorkspace)?;
    let (page_rows, next) = service::list_page(&state, &ctx, None, params.cursor.as_deref(), PAGE_SIZE).await?;
    let voices = voice_choices(&state, &ctx).await?;
    let (now, tz) = (state.clock.now(), ctx.workspace.tz());
    let agents: Vec<AgentRowView> = page_rows
        .into_iter()
        .map(|(a, numbers)| AgentRowView {
            numbers,
            id: a.id.to_string(),
            status: a.status.as_str(),
            status_label: a.status.label(),
            voice: a.default_voice.as_deref().map(|id| voices.name(id)),
            updated: time::view(a.updated_at, tz, now),
            name: a.name,
        })
        .collect();
    let value = context! {
        title => "Agents",
        agents => agents,
        first_page => params.cursor.is_none(),
        next_url => next.map(|c| format!("{AGENTS}?cursor={c}")),
        can_edit => ctx.can(Permission::EditResources),
        workspace_id => ctx.workspace.id.to_string(),
    };
    page.render(&state, "agents/list.html", value).await
}

/// What the form shows: the values (sent or stored) and the messages.
#[derive(Default)]
struct FormState {
    values: BTreeMap<&'static str, String>,
    errors: BTreeMap<String, String>,
    /// Why the phone numbers form was refused.
    number_error: Option<String>,
}

impl FormState {
    fn of(agent: &Agent) -> Self {
        let values = BTreeMap::from([
            ("name", agent.name.clone()),
            ("description", agent.description.clone()),
            ("status", agent.status.as_str().to_string()),
            ("default_voice", agent.default_voice.clone().unwrap_or_default()),
        ]);
        FormState { values, errors: BTreeMap::new(), number_error: None }
    }

    fn refused(form: AgentForm, errors: BTreeMap<String, String>) -> Self {
        let values = BTreeMap::from([
            ("name", form.name),
            ("description", form.description),
            ("status", form.status),
            ("default_voice", form.default_voice),
        ]);
        FormState { values, errors, number_error: None }
    }
}

async fn render_form(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    agent: Option<&Agent>,
    form: FormState,
    status: StatusCode,
) -> AppResult<Response> {
    let value = |key: &str, default: &str| form.values.get(key).cloned().unwrap_or_else(|| default.to_string());
    let mut choices = Vec::new();
    let mut voices = voice_choices(state, ctx).await?;
    voices.keep(&value("default_voice", ""));
    let (numbers, details) = match agent {
        Some(a) => {
            let numbers = numbers::assigned_numbers(&state.db, &ctx.workspace.id, &a.id).await?;
            if ctx.can(Permission::EditResources) {
                choices = numbers::number_choices(&state.db, &ctx.workspace.id, &a.id).await?;
            }
            let (now, tz) = (state.clock.now(), ctx.workspace.tz());
            let details = context! {
                id => a.id.to_string(),
                name => a.name.clone(),
                description => a.description.clone(),
                status => a.status.as_str(),
                status_label => a.status.label(),
                voice => a.default_voice.as_deref().map(|id| voices.name(id)),
                created => time::view(a.created_at, tz, now),
                updated => time::view(a.updated_at, tz, now),
            };
            (numbers, Some(details))
        }
        None => (Vec::new(), None),
    };
    let title = agent.map_or_else(|| "New agent".to_string(), |a| a.name.clone());
    let delete_text = agent.map(|a| delete_message(a, &numbers));
    let ctx_value = context! {
        title => title,
        agent => details,
        delete_message => delete_text,
        numbers => numbers,
        number_choices => choices,
        number_roles => Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect::<Vec<_>>(),
        number_error => form.number_error,
        can_edit => ctx.can(Permission::EditResources),
        values => context! {
            name => value("name", ""),
            description => value("description", ""),
            status => value("status", service::DEFAULT_STATUS.as_str()),
            default_voice => value("default_voice", ""),
        },
        errors => form.errors,
        voices => voices,
        statuses => statuses(),
        max_name => MAX_NAME_CHARS,
        max_description => MAX_DESCRIPTION_CHARS,
        workspace_id => ctx.workspace.id.to_string(),
    };
    page.render_status(state, status, "agents/form.html", ctx_value).await
}

pub async fn new_agent_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    render_form(&state, &ctx, &page, None, FormState::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AgentForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    default_voice: String,
}

impl AgentForm {
    fn parse(&self) -> AppResult<AgentFields> {
        AgentFields::parse(RawAgent {
            name: &self.name,
            description: &self.description,
            status: &self.status,
            default_voice: Some(&self.default_voice),
        })
    }
}

pub async fn create_agent(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<AgentForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let created = match form.parse() {
        Ok(fields) => service::create(&state, &ctx, fields).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(agent) => Ok(redirect_with_flash(AGENTS, Flash::success(format!("Agent “{}” created.", agent.name)))),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let form = FormState::refused(form, errors);
            render_form(&state, &ctx, &page, None, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn agent_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ViewWorkspace)?;
    let agent = service::find(&state, &ctx, &id).await?;
    render_form(&state, &ctx, &page, Some(&agent), FormState::of(&agent), StatusCode::OK).await
}

pub async fn update_agent(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<AgentForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    match service::update(&state, &ctx, &id, |_| form.parse()).await {
        Ok(agent) => Ok(redirect_with_flash(AGENTS, Flash::success(format!("Agent “{}” saved.", agent.name)))),
        Err(err) => {
            let Some(errors) = err.field_messages() else { return Err(err) };
            let agent = service::find(&state, &ctx, &id).await?;
            let form = FormState::refused(form, errors);
            render_form(&state, &ctx, &page, Some(&agent), form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The delete confirmation as a page of its own (where the agent page's
/// Delete leads without JavaScript; with it, a dialog asks the same).
pub async fn delete_agent_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let agent = service::find(&state, &ctx, &id).await?;
    let numbers = numbers::assigned_numbers(&state.db, &ctx.workspace.id, &agent.id).await?;
    Confirm {
        heading: format!("Delete {}", agent.name),
        message: delete_message(&agent, &numbers),
        action: format!("{AGENTS}/{}/delete", agent.id),
        button: format!("Delete {}", agent.name),
        back: format!("{AGENTS}/{}", agent.id),
    }
    .render(&state, &ctx, &page)
    .await
}

/// What deleting `agent` does, in one paragraph.
pub fn delete_message(agent: &Agent, numbers: &[AssignedNumber]) -> String {
    format!(
        "Delete the agent “{}”? {} Its usage stays in Settings → Usage, shown as a deleted agent's. This cannot be undone.",
        agent.name,
        numbers::unassign_sentence(numbers)
    )
}

pub async fn delete_agent(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let (agent, unassigned) = service::delete(&state, &ctx, &id).await?;
    let text = match unassigned.len() {
        0 => format!("Agent “{}” deleted.", agent.name),
        n => format!("Agent “{}” deleted; {n} phone number(s) unassigned.", agent.name),
    };
    Ok(redirect_with_flash(AGENTS, Flash::success(text)))
}

/// The agent page's Phone numbers form: the number of each role, by ID
/// (blank: none).
#[derive(Deserialize)]
pub struct AgentNumbersForm {
    #[serde(default)]
    inbound: String,
    #[serde(default)]
    outbound: String,
    #[serde(default)]
    sms: String,
}

/// Members and Admins assign the agent a number per role from the
/// workspace's live numbers.
pub async fn assign_agent_numbers(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(form): Form<AgentNumbersForm>,
) -> AppResult<Response> {
    ctx.require(Permission::EditResources)?;
    let agent = service::find(&state, &ctx, &id).await?;
    let mut wanted = Vec::new();
    for (role, raw) in [(Role::Inbound, &form.inbound), (Role::Outbound, &form.outbound), (Role::Sms, &form.sms)] {
        let number = match raw.trim() {
            "" => None,
            raw => Some(raw.parse().map_err(|_| AppError::field(role.as_str(), "Choose one of the listed numbers."))),
        };
        wanted.push((role, number.transpose()));
    }
    let done = match wanted.into_iter().map(|(r, n)| n.map(|n| (r, n))).collect::<AppResult<Vec<_>>>() {
        Ok(wanted) => assign::assign_agent(&state, &ctx, &agent.id, &wanted).await,
        Err(err) => Err(err),
    };
    match done {
        Ok(_) => Ok(redirect_with_flash(
            &format!("{AGENTS}/{}", agent.id),
            Flash::success(format!("Phone numbers of “{}” saved.", agent.name)),
        )),
        Err(err) => {
            let Some(problem) = err.problem() else { return Err(err) };
            let status = problem.status;
            let mut form = FormState::of(&agent);
            form.number_error = Some(problem.fields.first().map_or(problem.detail.clone(), |f| f.message.clone()));
            render_form(&state, &ctx, &page, Some(&agent), form, status).await
        }
    }
}
