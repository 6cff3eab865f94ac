//! The `memberships` table.
use chrono::{DateTime, Utc};
use switchboard_core::{MembershipId, Role, UserId, WorkspaceId};
use switchboard_db::{IntoExec, execute, fetch_optional};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    #[sqlx(try_from = "String")]
    pub id: MembershipId,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub status: String,
}

/// Adds the user as an active member with `role`, or reactivates a former
/// membership (removed or left) with the new role.
pub async fn upsert_active<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO memberships (id, workspace_id, user_id, role, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'active', $5, $5)
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = $4, status = 'active', updated_at = $5",
        MembershipId::new().as_str(),
        workspace_id.as_str(),
        user_id.as_str(),
        role.as_str(),
        now
    )?;
    Ok(())
}

/// The user's membership in the workspace, whatever its status.
pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
) -> Result<Option<Membership>, sqlx::Error> {
    fetch_optional!(
        ex,
        Membership,
        "SELECT id, role, status FROM memberships WHERE workspace_id = $1 AND user_id = $2",
        workspace_id.as_str(),
        user_id.as_str()
    )
}

/// The user's role if they are an active member, else `None`.
pub async fn active_role<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
) -> Result<Option<Role>, sqlx::Error> {
    Ok(find(ex, workspace_id, user_id).await?.filter(|m| m.status == "active").map(|m| m.role))
}
