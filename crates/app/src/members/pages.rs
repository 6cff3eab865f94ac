//! HTML handlers for the Members part of Settings → General (invite, the
//! Members table, role changes, removal) and the Danger Zone (leave,
//! delete). Every form redirects back to the page with a toast.
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::api::MembersQuery;
use super::service;
use crate::error::AppResult;
use crate::invitations::service as invitations;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::confirm::Confirm;
use crate::web::{Flash, Page, redirect_with_flash};

const GENERAL: &str = "/settings/general#members";

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageMembers)?;
    let member = service::change_role(&state, &ctx, &id, &form.role).await?;
    Ok(redirect_with_flash(GENERAL, Flash::success(format!("{} is now {}.", member.name, member.role.label()))))
}

pub async fn remove_member(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageMembers)?;
    let member = service::remove(&state, &ctx, &id).await?;
    Ok(redirect_with_flash(GENERAL, Flash::success(format!("{} was removed from the workspace.", member.name))))
}

pub async fn resend_invitation(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageMembers)?;
    let invitation = invitations::resend(&state, &ctx, &id).await?;
    Ok(redirect_with_flash(GENERAL, Flash::success(format!("A new invitation was sent to {}.", invitation.email))))
}

pub async fn revoke_invitation(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageMembers)?;
    let invitation = invitations::revoke(&state, &ctx, &id).await?;
    Ok(redirect_with_flash(GENERAL, Flash::success(format!("The invitation to {} was revoked.", invitation.email))))
}

/// The confirmation page for Remove, where the Members table's button leads
/// without JavaScript (with it, a dialog asks the same question).
pub async fn remove_member_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageMembers)?;
    let member = service::find_active(&state, &ctx, &id).await?;
    Confirm {
        heading: format!("Remove {}", member.name),
        message: format!(
            "Remove {} ({}) from {}? They lose access at once and need a new invitation to come back.",
            member.name, member.email, ctx.workspace.name
        ),
        action: format!("/settings/members/{}/remove", member.id),
        button: format!("Remove {}", member.name),
        back: GENERAL.into(),
    }
    .render(&state, &ctx, &page)
    .await
}

/// The confirmation page for Leave Workspace (see [`remove_member_page`]).
pub async fn leave_workspace_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ViewWorkspace)?;
    Confirm {
        heading: format!("Leave {}", ctx.workspace.name),
        message: format!("Leave {}? You will need a new invitation to come back.", ctx.workspace.name),
        action: "/workspace/leave".into(),
        button: "Leave workspace".into(),
        back: "/".into(),
    }
    .render(&state, &ctx, &page)
    .await
}

/// Any member may leave (the Danger Zone for Admins, the switcher for all).
pub async fn leave_workspace(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Response> {
    ctx.require(Permission::ViewWorkspace)?;
    service::leave(&state, &ctx).await?;
    Ok(redirect_with_flash("/", Flash::success(format!("You left {}.", ctx.workspace.name))))
}

/// `GET /settings/general?search=…&cursor=…` passes these through.
pub type MembersParams = Query<MembersQuery>;
