//! The `workspaces` table. Every function takes the workspace ID first.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use switchboard_core::{UserId, WorkspaceId};
use switchboard_db::{IntoExec, execute, fetch_all, fetch_optional};

use super::model::{CompanyWebsite, Timezone, WorkspaceName};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Workspace {
    #[sqlx(try_from = "String")]
    pub id: WorkspaceId,
    pub name: String,
    pub website: Option<String>,
    pub timezone: String,
    pub logo_version: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Experimental features switched on or off here; read it through
    /// [`crate::developer::features::is_enabled`].
    #[serde(skip)]
    pub experimental_features: sqlx::types::Json<BTreeMap<String, bool>>,
}

impl Workspace {
    /// The stored timezone; UTC if the tz database no longer knows it.
    pub fn tz(&self) -> chrono_tz::Tz {
        Timezone::parse(&self.timezone).unwrap_or_else(|_| Timezone::utc()).tz()
    }

    pub fn logo_url(&self, size: u32) -> Option<String> {
        self.logo_version.map(|v| crate::files::logo_url(&self.id, v, size))
    }
}

/// A workspace in a user's list, with the user's role in it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkspaceForUser {
    #[sqlx(flatten)]
    pub workspace: Workspace,
    pub role: String,
}

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

pub async fn find<'a>(ex: impl IntoExec<'a>, id: &WorkspaceId) -> Result<Option<Workspace>, sqlx::Error> {
    fetch_optional!(
        ex,
        Workspace,
        "SELECT id, name, website, timezone, logo_version, created_at, updated_at, experimental_features FROM workspaces WHERE id = $1",
        id.as_str()
    )
}

/// Locks the row for the rest of the transaction on PostgreSQL (SQLite's
/// `BEGIN IMMEDIATE` already serialises writers), so a read-modify-write
/// and its audit diff see one consistent "before".
pub async fn find_for_update<'a>(ex: impl IntoExec<'a>, id: &WorkspaceId) -> Result<Option<Workspace>, sqlx::Error> {
    let ex = ex.into_exec();
    let sql = match ex {
        switchboard_db::Exec::Postgres(_) | switchboard_db::Exec::PgPool(_) => {
            "SELECT id, name, website, timezone, logo_version, created_at, updated_at, experimental_features FROM workspaces WHERE id = $1 FOR UPDATE"
        }
        _ => {
            "SELECT id, name, website, timezone, logo_version, created_at, updated_at, experimental_features FROM workspaces WHERE id = $1"
        }
    };
    fetch_optional!(ex, Workspace, sql, id.as_str())
}

/// The workspaces where the user is an active member, by name.
pub async fn list_for_user<'a>(ex: impl IntoExec<'a>, user_id: &UserId) -> Result<Vec<WorkspaceForUser>, sqlx::Error> {
    fetch_all!(
        ex,
        WorkspaceForUser,
        "SELECT w.id, w.name, w.website, w.timezone, w.logo_version, w.created_at, w.updated_at, w.experimental_features, m.role
         FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
         WHERE m.user_id = $1 AND m.status = 'active'
         ORDER BY w.name, w.id",
        user_id.as_str()
    )
}

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
