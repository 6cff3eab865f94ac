//! The `workspaces` table. Every function takes the workspace ID first.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use switchboard_core::{UserId, WorkspaceId};
use switchboard_db::{IntoExec, execute, fetch_optional};

use super::model::{CompanyWebsite, Timezone, WorkspaceName};

pub use crate::tenancy::{Workspace, WorkspaceForUser};

pub async fn insert<'a>(
    ex: impl IntoExec<'a>,
    id: &WorkspaceId,
    name: &WorkspaceName,
    created_by: &UserId,
    now: DateTime<Utc>,
) -> Result<Workspace, sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO workspaces (id, name, timezone, created_by, created_at, updated_at) VALUES ($1, $2, 'UTC', $3, $4, $4)",
        id.as_str(),
        name.as_str(),
        created_by.as_str(),
        now
    )?;
    Ok(Workspace {
        id: id.clone(),
        name: name.as_str().to_string(),
        website: None,
        timezone: "UTC".into(),
        logo_version: None,
        created_at: now,
        updated_at: now,
        experimental_features: Default::default(),
    })
}

pub use crate::tenancy::find_workspace as find;

/// Locks the row for the rest of the transaction on PostgreSQL (SQLite's
/// `BEGIN IMMEDIATE` already serialises writers), so a read-modify-write
/// and its audit diff see one consistent "before".
///
/// `FOR NO KEY UPDATE`, not `FOR UPDATE`: every row of the workspace refers
/// to this one, and each insert of such a row takes `FOR KEY SHARE` on it
/// for its foreign key, which `FOR UPDATE` blocks. With it, a burst of
/// workspace changes held up every insert in the workspace (webhook
/// attempts, usage, audit) behind the queue for this row; `NO KEY` still
/// serialises the changes themselves, and the ID never changes.
pub async fn find_for_update<'a>(ex: impl IntoExec<'a>, id: &WorkspaceId) -> Result<Option<Workspace>, sqlx::Error> {
    let ex = ex.into_exec();
    let sql = match ex {
        switchboard_db::Exec::Postgres(_) | switchboard_db::Exec::PgPool(_) => {
            "SELECT id, name, website, timezone, logo_version, created_at, updated_at, experimental_features FROM workspaces WHERE id = $1 FOR NO KEY UPDATE"
        }
        _ => {
            "SELECT id, name, website, timezone, logo_version, created_at, updated_at, experimental_features FROM workspaces WHERE id = $1"
        }
    };
    fetch_optional!(ex, Workspace, sql, id.as_str())
}

pub use crate::tenancy::workspaces_of as list_for_user;

pub struct WorkspaceFields<'a> {
    pub name: &'a WorkspaceName,
    pub website: Option<&'a CompanyWebsite>,
    pub timezone: Timezone,
}

pub async fn update_fields<'a>(
    ex: impl IntoExec<'a>,
    id: &WorkspaceId,
    fields: &WorkspaceFields<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE workspaces SET name = $2, website = $3, timezone = $4, updated_at = $5 WHERE id = $1",
        id.as_str(),
        fields.name.as_str(),
        fields.website.map(|w| w.as_str()),
        fields.timezone.name(),
        now
    )?;
    Ok(())
}

pub async fn set_experimental_features<'a>(
    ex: impl IntoExec<'a>,
    id: &WorkspaceId,
    features: &BTreeMap<String, bool>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE workspaces SET experimental_features = $2, updated_at = $3 WHERE id = $1",
        id.as_str(),
        sqlx::types::Json(features),
        now
    )?;
    Ok(())
}

pub async fn set_logo_version<'a>(
    ex: impl IntoExec<'a>,
    id: &WorkspaceId,
    version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(ex, "UPDATE workspaces SET logo_version = $2, updated_at = $3 WHERE id = $1", id.as_str(), version, now)?;
    Ok(())
}
