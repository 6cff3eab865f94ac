//! `/api/v1/agents`: list, create, read, change and delete the workspace's
//! agents. Reads for every role; writes for Members and Admins (the Editor
//! access kind).
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{AgentFields, AgentStatus, RawAgent};
use super::numbers::{self, AssignedNumber};
use super::service;
use super::store::Agent;
use crate::api::{ApiJson, ApiQuery, double_option, pagination};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

/// An agent: what phone numbers, voices and usage attach to.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Agent)]
pub struct AgentResponse {
    #[schema(example = "agt_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub id: String,
    #[schema(example = "Front desk")]
    pub name: String,
    #[schema(example = "Answers the main line and books appointments.")]
    pub description: String,
    pub status: AgentStatus,
    /// A voice ID of the voice catalogue, or `null` for none.
    #[schema(example = "sbv_aria")]
    pub default_voice: Option<String>,
    /// The voice the agent speaks with: its own, else the workspace's
    /// default voice (Settings → Voices), else `null`.
    #[schema(example = "sbv_aria")]
    pub effective_voice: Option<String>,
    /// The phone numbers assigned to the agent, in E.164.
    #[schema(example = json!(["+14155550100"]))]
    pub phone_numbers: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AgentResponse {
    fn new(agent: Agent, numbers: Vec<AssignedNumber>, workspace_voice: Option<&str>) -> Self {
        AgentResponse {
            effective_voice: agent.default_voice.clone().or_else(|| workspace_voice.map(str::to_string)),
            id: agent.id.to_string(),
            name: agent.name,
            description: agent.description,
            status: agent.status,
            default_voice: agent.default_voice,
            phone_numbers: numbers.into_iter().map(|n| n.e164).collect(),
            created_at: agent.created_at,
            updated_at: agent.updated_at,
        }
    }
}

/// A page of agents, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AgentPage)]
pub struct AgentPage {
    pub data: Vec<AgentResponse>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAgent, example = json!({"name": "Front desk", "description": "Answers the main line.", "status": "DRAFT", "default_voice": "sbv_aria"}))]
pub struct NewAgentRequest {
    /// 1–80 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// At most 500 characters; empty when omitted.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// `DRAFT` (when omitted) or `LIVE`.
    #[serde(default)]
    #[schema(value_type = Option<AgentStatus>)]
    pub status: Option<String>,
    /// A voice ID of the catalogue; omit or `null` for none.
    #[serde(default)]
    pub default_voice: Option<String>,
}

/// Only the fields sent change; `"default_voice": null` clears the voice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgentUpdate, example = json!({"status": "LIVE", "default_voice": null}))]
pub struct AgentUpdateRequest {
    /// 1–80 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 80)]
    pub name: Option<String>,
    /// At most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// `DRAFT` or `LIVE`.
    #[serde(default)]
    #[schema(value_type = Option<AgentStatus>)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub default_voice: Option<Option<String>>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AgentsQuery {
    /// Only agents with this status: `DRAFT` or `LIVE`.
    #[param(value_type = Option<AgentStatus>, example = "LIVE")]
    pub status: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–100, default 25.
    #[param(example = 25, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The agent ID in the path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AgentPath {
    /// Agent ID (`agt_…`)
    #[param(example = "agt_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub agent_id: String,
}

/// The workspace's agents, newest first (keyset paged), optionally of one status.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", params(AgentsQuery),
    responses((status = 200, body = AgentPage)))]
pub async fn list_agents(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(q): ApiQuery<AgentsQuery>,
) -> AppResult<Json<AgentPage>> {
    ctx.require(Permission::ViewWorkspace)?;
    let limit = pagination::limit(q.limit, 25, 100)?;
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(AgentStatus::parse(raw).ok_or_else(|| AppError::field("status", "Use DRAFT or LIVE."))?),
    };
    let (page, next_cursor) = service::list_page(&state, &ctx, status, q.cursor.as_deref(), limit).await?;
    let workspace_voice = crate::voices::default_voice(&state, &ctx.workspace.id).await?;
    let data = page
        .into_iter()
        .map(|(agent, numbers)| AgentResponse::new(agent, numbers, workspace_voice.as_deref()))
        .collect();
    Ok(Json(AgentPage { data, next_cursor }))
}

/// Creates an agent (`DRAFT` unless a status is given).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents",
    request_body = NewAgentRequest,
    responses((status = 201, body = AgentResponse)))]
pub async fn create_agent(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiJson(body): ApiJson<NewAgentRequest>,
) -> AppResult<(StatusCode, Json<AgentResponse>)> {
    ctx.require(Permission::EditResources)?;
    let fields = AgentFields::parse(RawAgent {
        name: &body.name,
        description: body.description.as_deref().unwrap_or(""),
        status: body.status.as_deref().unwrap_or(service::DEFAULT_STATUS.as_str()),
        default_voice: body.default_voice.as_deref(),
    })?;
    let agent = service::create(&state, &ctx, fields).await?;
    Ok((StatusCode::CREATED, Json(response(&state, &ctx, agent).await?)))
}

async fn response(state: &AppState, ctx: &WorkspaceCtx, agent: Agent) -> AppResult<AgentResponse> {
    let numbers = numbers::assigned_numbers(&state.db, &ctx.workspace.id, &agent.id).await?;
    let workspace_voice = crate::voices::default_voice(state, &ctx.workspace.id).await?;
    Ok(AgentResponse::new(agent, numbers, workspace_voice.as_deref()))
}

#[utoipa::path(get, path = "/api/v1/agents/{agent_id}", tag = "agents", params(AgentPath),
    responses((status = 200, body = AgentResponse)))]
pub async fn get_agent(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<AgentPath>,
) -> AppResult<Json<AgentResponse>> {
    ctx.require(Permission::ViewWorkspace)?;
    let agent = service::find(&state, &ctx, &path.agent_id).await?;
    Ok(Json(response(&state, &ctx, agent).await?))
}

/// Changes the fields sent and leaves the others; `"default_voice": null`
/// clears the default voice.
#[utoipa::path(patch, path = "/api/v1/agents/{agent_id}", tag = "agents", params(AgentPath),
    request_body = AgentUpdateRequest,
    responses((status = 200, body = AgentResponse)))]
pub async fn update_agent(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<AgentPath>,
    ApiJson(body): ApiJson<AgentUpdateRequest>,
) -> AppResult<Json<AgentResponse>> {
    ctx.require(Permission::EditResources)?;
    let agent = service::update(&state, &ctx, &path.agent_id, |current| {
        AgentFields::parse(RawAgent {
            name: body.name.as_deref().unwrap_or(current.name),
            description: body.description.as_deref().unwrap_or(current.description),
            status: body.status.as_deref().unwrap_or(current.status),
            default_voice: match &body.default_voice {
                None => current.default_voice,
                Some(voice) => voice.as_deref(),
            },
        })
    })
    .await?;
    Ok(Json(response(&state, &ctx, agent).await?))
}

/// Deletes the agent. Its phone numbers get unassigned; its usage stays,
/// attributed to a deleted agent.
#[utoipa::path(delete, path = "/api/v1/agents/{agent_id}", tag = "agents", params(AgentPath),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_agent(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<AgentPath>,
) -> AppResult<StatusCode> {
    ctx.require(Permission::EditResources)?;
    service::delete(&state, &ctx, &path.agent_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
