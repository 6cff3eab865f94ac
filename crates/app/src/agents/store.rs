//! The `agents` table, and nothing else. Every function takes the
//! workspace ID first; another workspace's agent is simply not found.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use switchboard_core::{AgentId, WorkspaceId};
use switchboard_db::{IntoExec, Query, execute, fetch_optional, fetch_scalar};

use super::model::{AgentFields, AgentStatus};

/// An agent as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Agent {
    #[sqlx(try_from = "String")]
    pub id: AgentId,
    #[sqlx(try_from = "String")]
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub status: AgentStatus,
    pub default_voice: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of [`Agent`], in one place for every query that reads it.
macro_rules! agent_select {
    () => {
        "SELECT id, workspace_id, name, description, status, default_voice, created_at, updated_at FROM agents"
    };
}

const SELECT: &str = agent_select!();

pub async fn insert<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &AgentId,
    fields: &AgentFields,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO agents (id, workspace_id, name, description, status, default_voice, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        id.as_str(),
        workspace_id.as_str(),
        &fields.name,
        &fields.description,
        fields.status.as_str(),
        fields.default_voice.as_deref(),
        now
    )?;
    Ok(())
}

pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &AgentId,
) -> Result<Option<Agent>, sqlx::Error> {
    fetch_optional!(
        ex,
        Agent,
        concat!(agent_select!(), " WHERE workspace_id = $1 AND id = $2"),
        workspace_id.as_str(),
        id.as_str()
    )
}

/// The row locked for a change (`FOR UPDATE` on PostgreSQL; SQLite
/// serialises writers anyway).
pub async fn find_for_update(
    tx: &mut switchboard_db::Tx,
    workspace_id: &WorkspaceId,
    id: &AgentId,
) -> Result<Option<Agent>, sqlx::Error> {
    let mut q = Query::new(concat!(agent_select!(), " WHERE workspace_id = "));
    q.bind(workspace_id.as_str()).push(" AND id = ").bind(id.as_str());
    if tx.backend() == switchboard_db::Backend::Postgres {
        q.push(" FOR UPDATE");
    }
    q.fetch_optional(&mut *tx).await
}

/// One page of the workspace's agents, newest first: at most `limit`
/// rows after the `(created_at, id)` key `after`, of `status` if given.
pub async fn list<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    status: Option<AgentStatus>,
    after: Option<(DateTime<Utc>, &AgentId)>,
    limit: i64,
) -> Result<Vec<Agent>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(workspace_id.as_str());
    if let Some(status) = status {
        q.push(" AND status = ").bind(status.as_str());
    }
    if let Some((at, id)) = after {
        let at = q.param(at);
        q.push(" AND (created_at < ").push_param(at).push(" OR (created_at = ").push_param(at);
        q.push(" AND id < ").bind(id.as_str()).push("))");
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ").bind(limit);
    q.fetch_all(ex).await
}

/// Changes every editable field; false when the agent is not there.
pub async fn update<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &AgentId,
    fields: &AgentFields,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE agents SET name = $3, description = $4, status = $5, default_voice = $6, updated_at = $7
         WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id.as_str(),
        &fields.name,
        &fields.description,
        fields.status.as_str(),
        fields.default_voice.as_deref(),
        now
    )?;
    Ok(done > 0)
}

/// Deletes the agent; false when it was not there. Its usage events keep
/// their `agent_id` (no foreign key), shown as a deleted agent.
pub async fn delete<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId, id: &AgentId) -> Result<bool, sqlx::Error> {
    let done =
        execute!(ex, "DELETE FROM agents WHERE workspace_id = $1 AND id = $2", workspace_id.as_str(), id.as_str())?;
    Ok(done > 0)
}

/// Whether the workspace has an agent `id` (the usage ingest checks the
/// agent IDs it is sent).
pub async fn exists<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId, id: &AgentId) -> Result<bool, sqlx::Error> {
    let n = fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM agents WHERE workspace_id = $1 AND id = $2",
        workspace_id.as_str(),
        id.as_str()
    )?;
    Ok(n > 0)
}

/// Which of `ids` the workspace has (one query for a whole batch).
pub async fn existing<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    ids: &[&str],
) -> Result<Vec<String>, sqlx::Error> {
    Ok(names(ex, workspace_id, ids).await?.into_keys().collect())
}

/// The names of those of `ids` the workspace still has, by ID; an ID
/// missing from the map is a deleted (or never existing) agent.
pub async fn names<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    ids: &[&str],
) -> Result<HashMap<String, String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Query::new("SELECT id, name FROM agents WHERE workspace_id = ");
    q.bind(workspace_id.as_str()).push(" AND id IN (").bind_list(ids.iter().copied()).push(")");
    let rows: Vec<(String, String)> = q.fetch_all(ex).await?;
    Ok(rows.into_iter().collect())
}

/// For the home page: the `limit` most recently changed agents.
pub async fn list_for_overview<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    limit: i64,
) -> Result<Vec<Agent>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(workspace_id.as_str());
    q.push(" ORDER BY updated_at DESC, id DESC LIMIT ").bind(limit);
    q.fetch_all(ex).await
}

/// How many agents the workspace has (and how many are live).
pub async fn count<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<(i64, i64), sqlx::Error> {
    let (all, live): (i64, Option<i64>) = switchboard_db::fetch_one!(
        ex,
        (i64, Option<i64>),
        "SELECT COUNT(*), SUM(CASE WHEN status = 'LIVE' THEN 1 ELSE 0 END) FROM agents WHERE workspace_id = $1",
        workspace_id.as_str()
    )?;
    Ok((all, live.unwrap_or(0)))
}
