//! Tenancy: which workspace, which role. The small read side of
//! workspaces and memberships that the shared machinery (policy, files,
//! pages, the audit log) needs, so that it never imports a feature's
//! store. The workspaces and members features own these tables and write
//! them; this module only reads.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use switchboard_core::{Role, UserId, WorkspaceId};
use switchboard_db::{Db, IntoExec, fetch_all, fetch_optional};

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
    /// [`crate::experiments::is_enabled`].
    #[serde(skip)]
    pub experimental_features: sqlx::types::Json<BTreeMap<String, bool>>,
}

impl Workspace {
    /// The stored timezone; UTC if the tz database no longer knows it.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
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

pub async fn find_workspace<'a>(ex: impl IntoExec<'a>, id: &WorkspaceId) -> Result<Option<Workspace>, sqlx::Error> {
    fetch_optional!(
        ex,
        Workspace,
        "SELECT id, name, website, timezone, logo_version, created_at, updated_at, experimental_features FROM workspaces WHERE id = $1",
        id.as_str()
    )
}

/// The workspaces where the user is an active member, by name.
pub async fn workspaces_of<'a>(ex: impl IntoExec<'a>, user_id: &UserId) -> Result<Vec<WorkspaceForUser>, sqlx::Error> {
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

/// The user's role in the workspace if they are an active member.
pub async fn active_role<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
) -> Result<Option<Role>, sqlx::Error> {
    let role: Option<(String,)> = fetch_optional!(
        ex,
        (String,),
        "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND status = 'active'",
        workspace_id.as_str(),
        user_id.as_str()
    )?;
    Ok(role.and_then(|(r,)| r.parse().ok()))
}

/// The workspace's timezone (UTC when unknown or gone).
pub async fn timezone<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<chrono_tz::Tz, sqlx::Error> {
    let tz: Option<(String,)> =
        fetch_optional!(ex, (String,), "SELECT timezone FROM workspaces WHERE id = $1", workspace_id.as_str())?;
    Ok(tz.and_then(|(t,)| t.parse::<chrono_tz::Tz>().ok()).unwrap_or(chrono_tz::UTC))
}

/// Someone or something that can act in a workspace, for the audit log's
/// actor filter: `(id, label)`.
pub type ActorChoice = (String, String);

/// The workspace's people (whatever their membership's status, so past
/// members' entries stay findable) and its API tokens (revoked ones too),
/// at most `limit` of each, by name.
pub async fn actors(
    db: &Db,
    workspace_id: &WorkspaceId,
    limit: i64,
) -> Result<(Vec<ActorChoice>, Vec<ActorChoice>), sqlx::Error> {
    let people: Vec<(String, String, String)> = fetch_all!(
        db,
        (String, String, String),
        "SELECT u.id, u.name, u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.workspace_id = $1 ORDER BY u.name, u.id LIMIT $2",
        workspace_id.as_str(),
        limit
    )?;
    let tokens: Vec<(String, String)> = fetch_all!(
        db,
        (String, String),
        "SELECT id, name FROM api_tokens WHERE workspace_id = $1 ORDER BY name, id LIMIT $2",
        workspace_id.as_str(),
        limit
    )?;
    let people = people.into_iter().map(|(id, name, email)| (id, format!("{name} ({email})"))).collect();
    Ok((people, tokens))
}

/// Who to tell about something that needs an Admin (a disabled webhook
/// endpoint, a failed payment): the workspace's name and its active
/// Admins' addresses, in the caller's transaction.
pub async fn admins_to_notify(
    tx: &mut switchboard_db::Tx,
    workspace_id: &WorkspaceId,
) -> Result<(String, Vec<String>), sqlx::Error> {
    let name: Option<(String,)> =
        fetch_optional!(&mut *tx, (String,), "SELECT name FROM workspaces WHERE id = $1", workspace_id.as_str())?;
    let admins: Vec<(String,)> = fetch_all!(
        &mut *tx,
        (String,),
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.workspace_id = $1 AND m.role = 'admin' AND m.status = 'active' ORDER BY u.email",
        workspace_id.as_str()
    )?;
    Ok((name.map(|(n,)| n).unwrap_or_default(), admins.into_iter().map(|(e,)| e).collect()))
}
