//! The rules of SPEC §4 for memberships: changing roles, removing members,
//! leaving and deleting a workspace. Each runs in one transaction that
//! first locks the workspace row, so two Admins acting at the same moment
//! are serialised and the last-Admin rule cannot be raced.
use switchboard_core::{MembershipId, Role};
use switchboard_db::{Tx, execute};

use super::store::{self, Member};
use crate::audit::{self, Changes, Origin, Target};
use crate::developer;
use crate::error::{AppError, AppResult};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::workspaces::store as workspaces;

fn target(member: &Member) -> Target {
    Target::new("member", &member.id, member.email.clone())
}

fn not_found() -> AppError {
    AppError::not_found("The member")
}

/// Begins a transaction holding the workspace's row lock.
pub async fn lock_workspace(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Tx> {
    let mut tx = state.db.begin().await?;
    workspaces::find_for_update(&mut tx, &ctx.workspace.id)
        .await?
        .ok_or_else(|| AppError::not_found("The workspace"))?;
    Ok(tx)
}

async fn load_active(tx: &mut Tx, ctx: &WorkspaceCtx, member_id: &str) -> AppResult<Member> {
    let id: MembershipId = member_id.parse().map_err(|_| not_found())?;
    let member = store::find_member(&mut *tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    if member.status != "active" {
        return Err(AppError::conflict(
            "member_not_active",
            format!("{} is no longer a member of this workspace.", member.email),
        ));
    }
    Ok(member)
}

/// An active member of this workspace, for a confirmation page.
pub async fn find_active(state: &AppState, ctx: &WorkspaceCtx, member_id: &str) -> AppResult<Member> {
    ctx.require(Permission::ManageMembers)?;
    let id: MembershipId = member_id.parse().map_err(|_| not_found())?;
    let member = store::find_member(&state.db, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    if member.status != "active" {
        return Err(not_found());
    }
    Ok(member)
}

pub fn last_admin_error(workspace_name: &str, doing: &str) -> AppError {
    AppError::conflict(
        "last_admin",
        format!("{doing}: “{workspace_name}” needs at least one Admin. Make another member Admin first."),
    )
}

pub async fn change_role(state: &AppState, ctx: &WorkspaceCtx, member_id: &str, role: &str) -> AppResult<Member> {
    ctx.require(Permission::ManageMembers)?;
    let role: Role = role.parse().map_err(|_| AppError::field("role", "Choose Admin, Member or Viewer."))?;
    let now = state.clock.now();
    let mut tx = lock_workspace(state, ctx).await?;
    let member = load_active(&mut tx, ctx, member_id).await?;
    if member.role == role {
        return Ok(member);
    }
    if member.role == Role::Admin && store::count_active(&mut tx, &ctx.workspace.id, Some(Role::Admin)).await? <= 1 {
        return Err(last_admin_error(&ctx.workspace.name, &format!("{} cannot stop being Admin", member.name)));
    }
    store::set_role(&mut tx, &ctx.workspace.id, &member.id, role, now).await?;
    let changes = Changes::new().field("role", member.role.as_str(), role.as_str());
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::ROLE_CHANGED, &target(&member), &changes, now).await?;
    tx.commit().await?;
    // Tokens show this change from their next request (auth::token_cache).
    state.tokens.clear();
    Ok(Member { role, updated_at: now, ..member })
}

pub async fn remove(state: &AppState, ctx: &WorkspaceCtx, member_id: &str) -> AppResult<Member> {
    ctx.require(Permission::ManageMembers)?;
    let now = state.clock.now();
    let mut tx = lock_workspace(state, ctx).await?;
    let member = load_active(&mut tx, ctx, member_id).await?;
    if member.user_id == ctx.user_id {
        return Err(AppError::conflict(
            "cannot_remove_self",
            "You cannot remove yourself; use Leave Workspace in the Danger Zone instead.",
        ));
    }
    if member.role == Role::Admin && store::count_active(&mut tx, &ctx.workspace.id, Some(Role::Admin)).await? <= 1 {
        return Err(last_admin_error(&ctx.workspace.name, &format!("{} cannot be removed", member.name)));
    }
    store::set_status(&mut tx, &ctx.workspace.id, &member.id, "removed", now).await?;
    move_sessions_away(&mut tx, &member, ctx).await?;
    let origin = Origin::from_ctx(ctx);
    let changes = Changes::new().field("status", "active", "removed");
    audit::record(&mut tx, &origin, &super::REMOVED, &target(&member), &changes, now).await?;
    developer::service::stop_tokens_of(&mut tx, &origin, &member.user_id, "creator_removed", now).await?;
    tx.commit().await?;
    // Tokens show this change from their next request (auth::token_cache).
    state.tokens.clear();
    Ok(Member { status: "removed".into(), updated_at: now, ..member })
}

/// Sessions of `member` that were in this workspace forget it; their next
/// request lands in another of the user's workspaces.
async fn move_sessions_away(tx: &mut Tx, member: &Member, ctx: &WorkspaceCtx) -> AppResult<()> {
    execute!(
        &mut *tx,
        "UPDATE sessions SET current_workspace_id = NULL WHERE user_id = $1 AND current_workspace_id = $2",
        member.user_id.as_str(),
        ctx.workspace.id.as_str()
    )?;
    Ok(())
}

/// The signed-in user leaves the current workspace for good.
pub async fn leave(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<()> {
    ctx.require(Permission::ViewWorkspace)?;
    let now = state.clock.now();
    let mut tx = lock_workspace(state, ctx).await?;
    let me = store::find(&mut tx, &ctx.workspace.id, &ctx.user_id).await?.ok_or_else(not_found)?;
    let member = load_active(&mut tx, ctx, me.id.as_str()).await?;
    if store::count_active(&mut tx, &ctx.workspace.id, None).await? <= 1 {
        return Err(AppError::conflict(
            "sole_member",
            format!("You are the only member of “{}”. Delete the workspace instead.", ctx.workspace.name),
        ));
    }
    if member.role == Role::Admin && store::count_active(&mut tx, &ctx.workspace.id, Some(Role::Admin)).await? <= 1 {
        return Err(last_admin_error(&ctx.workspace.name, "You cannot leave"));
    }
    store::set_status(&mut tx, &ctx.workspace.id, &member.id, "left", now).await?;
    move_sessions_away(&mut tx, &member, ctx).await?;
    let origin = Origin::from_ctx(ctx);
    let changes = Changes::new().field("status", "active", "left");
    audit::record(&mut tx, &origin, &super::LEFT, &target(&member), &changes, now).await?;
    developer::service::stop_tokens_of(&mut tx, &origin, &member.user_id, "creator_left", now).await?;
    tx.commit().await?;
    // Tokens show this change from their next request (auth::token_cache).
    state.tokens.clear();
    Ok(())
}

/// Deletes the workspace and everything in it. Every workspace-owned table
/// references `workspaces` with `ON DELETE CASCADE`, so deleting the row
/// removes them all, including tables added later (a test checks every
/// table with a `workspace_id` column). The audit log has no such foreign
/// key: its entries are deleted here, and the deletion's own entry is
/// written after, so it outlives the workspace.
pub async fn delete_workspace(state: &AppState, ctx: &WorkspaceCtx, confirm_name: &str) -> AppResult<()> {
    ctx.require(Permission::DeleteWorkspace)?;
    if confirm_name.trim() != ctx.workspace.name {
        return Err(AppError::field(
            "confirm_name",
            format!("Type the workspace name, {}, exactly to confirm.", ctx.workspace.name),
        ));
    }
    let now = state.clock.now();
    let mut tx = lock_workspace(state, ctx).await?;
    let ws = &ctx.workspace;
    if let Some(allow) = switchboard_db::dialect::allow_audit_deletion(tx.backend()) {
        execute!(&mut tx, allow)?;
    }
    execute!(&mut tx, "DELETE FROM audit_log WHERE workspace_id = $1", ws.id.as_str())?;
    execute!(&mut tx, "DELETE FROM audit_chain_heads WHERE workspace_id = $1", ws.id.as_str())?;
    execute!(&mut tx, "DELETE FROM audit_checkpoints WHERE workspace_id = $1", ws.id.as_str())?;
    // Resources outside the database go by jobs enqueued here, so they
    // are released exactly when the deletion commits.
    for feature in state.features.iter() {
        if let Some(hook) = feature.on_workspace_deleted {
            hook(&mut tx, &ws.id, now).await?;
        }
    }
    execute!(&mut tx, "DELETE FROM workspaces WHERE id = $1", ws.id.as_str())?;
    let changes = Changes::new()
        .field("name", &ws.name, ())
        .field("website", &ws.website, ())
        .field("timezone", &ws.timezone, ())
        .field("logo", ws.logo_version.map(|v| crate::files::logo_url(&ws.id, v, 256)), ());
    let target = Target::new("workspace", &ws.id, ws.name.clone());
    audit::record(&mut tx, &Origin::from_ctx(ctx), &crate::workspaces::DELETED, &target, &changes, now).await?;
    tx.commit().await?;
    // Tokens show this change from their next request (auth::token_cache).
    state.tokens.clear();
    // Files go after the commit: a failed delete leaves orphans, never a
    // workspace pointing at missing files.
    crate::files::discard(state, format!("workspaces/{}", ws.id)).await;
    Ok(())
}
