//! Creating, changing and deleting agents: the one place pages and the API
//! call. Each checks the permission, writes, and records its audit entry
//! (which publishes the `agent.*` webhook event) in the same transaction.
use chrono::{DateTime, SubsecRound, Utc};
use switchboard_core::AgentId;

use super::model::{AgentFields, AgentStatus, RawAgent};
use super::numbers::{self, AssignedNumber};
use super::store::{self, Agent};
use crate::api::pagination;
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;

fn target(agent_id: &AgentId, name: &str) -> Target {
    Target::new("agent", agent_id, name.to_string())
}

pub fn not_found() -> AppError {
    AppError::not_found("The agent")
}

/// The agent ID in a path; anything that is not one is simply not found.
pub fn parse_id(raw: &str) -> AppResult<AgentId> {
    raw.parse().map_err(|_| not_found())
}

/// Each field before and after; unchanged ones are left out.
fn changes(before: Option<&Agent>, after: Option<&AgentFields>) -> Changes {
    Changes::new()
        .field("name", before.map(|a| &a.name), after.map(|f| &f.name))
        .field("description", before.map(|a| &a.description), after.map(|f| &f.description))
        .field("status", before.map(|a| a.status), after.map(|f| f.status))
        .field(
            "default_voice",
            before.and_then(|a| a.default_voice.as_ref()),
            after.and_then(|f| f.default_voice.as_ref()),
        )
}

/// The fields of `agent` as raw input, to lay a partial update over.
pub fn raw_of(agent: &Agent) -> RawAgent<'_> {
    RawAgent {
        name: &agent.name,
        description: &agent.description,
        status: agent.status.as_str(),
        default_voice: agent.default_voice.as_deref(),
    }
}

/// Reads one agent of the caller's workspace (every role may).
pub async fn find(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Agent> {
    ctx.require(Permission::ViewWorkspace)?;
    let id = parse_id(id)?;
    store::find(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(not_found)
}

/// A voice the agent may use: a library voice or one of the workspace's
/// READY custom voices (asked of the voices feature). A voice the agent
/// already had stays accepted, so renaming an agent whose voice was since
/// deleted still works.
async fn check_voice(
    state: &AppState,
    ctx: &WorkspaceCtx,
    before: Option<&str>,
    fields: &AgentFields,
) -> AppResult<()> {
    let Some(id) = fields.default_voice.as_deref() else { return Ok(()) };
    if before == Some(id) || crate::voices::resolve_voice(state, &ctx.workspace.id, id).await? {
        return Ok(());
    }
    Err(AppError::field("default_voice", "Choose a voice from the list, or no default voice."))
}

pub async fn create(state: &AppState, ctx: &WorkspaceCtx, fields: AgentFields) -> AppResult<Agent> {
    ctx.require(Permission::EditResources)?;
    check_voice(state, ctx, None, &fields).await?;
    // Both databases keep microseconds; the cursor carries what is kept.
    let now = state.clock.now().trunc_subsecs(6);
    let id = AgentId::new();
    let mut tx = state.db.begin().await?;
    store::insert(&mut tx, &ctx.workspace.id, &id, &fields, now).await?;
    let changes = changes(None, Some(&fields));
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::CREATED, &target(&id, &fields.name), &changes, now).await?;
    let agent = store::find(&mut tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(agent)
}

/// Applies `edit` to the agent's current fields, checks the result and
/// saves it. No entry when nothing changed.
pub async fn update(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &str,
    edit: impl FnOnce(RawAgent<'_>) -> AppResult<AgentFields>,
) -> AppResult<Agent> {
    ctx.require(Permission::EditResources)?;
    let id = parse_id(id)?;
    let now = state.clock.now().trunc_subsecs(6);
    let mut tx = state.db.begin().await?;
    let before = store::find_for_update(&mut tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    let fields = edit(raw_of(&before))?;
    check_voice(state, ctx, before.default_voice.as_deref(), &fields).await?;
    let changes = changes(Some(&before), Some(&fields));
    if !changes.is_empty() {
        store::update(&mut tx, &ctx.workspace.id, &id, &fields, now).await?;
        audit::record(&mut tx, &Origin::from_ctx(ctx), &super::UPDATED, &target(&id, &fields.name), &changes, now)
            .await?;
    }
    let agent = store::find(&mut tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(agent)
}

/// Deletes the agent; its phone numbers get unassigned (once numbers
/// exist) and its usage stays, shown as a deleted agent's. Returns what
/// was deleted and the numbers that were unassigned.
pub async fn delete(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<(Agent, Vec<AssignedNumber>)> {
    ctx.require(Permission::EditResources)?;
    let id = parse_id(id)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let agent = store::find_for_update(&mut tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    let unassigned = numbers::assigned_numbers(&mut tx, &ctx.workspace.id, &id).await?;
    store::delete(&mut tx, &ctx.workspace.id, &id).await?;
    let changes = changes(Some(&agent), None);
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::DELETED, &target(&id, &agent.name), &changes, now).await?;
    tx.commit().await?;
    Ok((agent, unassigned))
}

/// One page of the workspace's agents with their numbers, newest first,
/// after `cursor` (the `next_cursor` of the page before), and the cursor of
/// the page after it.
pub async fn list_page(
    state: &AppState,
    ctx: &WorkspaceCtx,
    status: Option<AgentStatus>,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<(Agent, Vec<AssignedNumber>)>, Option<String>)> {
    ctx.require(Permission::ViewWorkspace)?;
    let after: Option<(DateTime<Utc>, String)> = pagination::decode(cursor)?;
    let after = match after {
        Some((at, id)) => {
            let id: AgentId =
                id.parse().map_err(|_| AppError::field("cursor", "The cursor is not one this API returned."))?;
            Some((at, id))
        }
        None => None,
    };
    let ws = &ctx.workspace.id;
    let rows = store::list(&state.db, ws, status, after.as_ref().map(|(at, id)| (*at, id)), limit + 1).await?;
    let (rows, next) = pagination::page(rows, limit, |a| (a.created_at, a.id.to_string()));
    let ids: Vec<&AgentId> = rows.iter().map(|a| &a.id).collect();
    let mut numbers = numbers::assigned_numbers_of(&state.db, ws, &ids).await?;
    let page = rows
        .into_iter()
        .map(|a| {
            let n = numbers.remove(&a.id).unwrap_or_default();
            (a, n)
        })
        .collect();
    Ok((page, next))
}

/// The status a new agent gets when none is given.
pub const DEFAULT_STATUS: AgentStatus = AgentStatus::Draft;
