//! HTML handlers for the Members part of Settings → General (invite, the
//! Members table, role changes, removal) and the Danger Zone (leave,
//! delete). Every form redirects back to the page with a toast.
use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::api::{MembersQuery, page};
use super::service;
use crate::error::AppResult;
use crate::invitations::service::{self as invitations, Sent};
use crate::invitations::store as invitation_store;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::web::{Flash, Page, redirect_with_flash, time};

const GENERAL: &str = "/settings/general#members";

#[derive(Serialize)]
struct Row {
    kind: &'static str,
    id: String,
    name: String,
    email: String,
    role: &'static str,
    status: &'static str,
    status_label: &'static str,
    is_me: bool,
    since: time::TimeView,
}

fn label(status: &str) -> (&'static str, &'static str) {
    match status {
        "active" | "ACTIVE" => ("ACTIVE", "Active"),
        "removed" | "REMOVED" => ("REMOVED", "Removed"),
        "left" | "LEFT" => ("LEFT", "Left"),
        "INVITED" => ("INVITED", "Invited"),
        _ => ("EXPIRED", "Expired"),
    }
}

/// What the Members card of Settings → General shows.
pub async fn members_context(state: &AppState, ctx: &WorkspaceCtx, q: &MembersQuery) -> AppResult<Value> {
    let now = state.clock.now();
    let tz = ctx.workspace.tz();
    let (members, next_cursor) = page(state, ctx, q).await?;
    let first_page = q.cursor.as_deref().unwrap_or("").is_empty();
    let search = q.search.clone().unwrap_or_default();
    let mut rows = Vec::new();
    if first_page {
        for inv in invitation_store::list_pending(&state.db, &ctx.workspace.id, 200).await? {
            let matches = search.is_empty() || inv.email_normalized.contains(&search.trim().to_lowercase());
            if !matches {
                continue;
            }
            let (status, status_label) = label(inv.display_status(now));
            rows.push(Row {
                kind: "invitation",
                id: inv.id.to_string(),
                name: String::new(),
                email: inv.email,
                role: inv.role.label(),
                status,
                status_label,
                is_me: false,
                since: time::view(inv.sent_at, tz, now),
            });
        }
    }
    for m in members {
        let (status, status_label) = label(&m.status);
        rows.push(Row {
            kind: "member",
            is_me: m.user_id == ctx.user_id,
            id: m.id.to_string(),
            name: m.name,
            email: m.email,
            role: m.role.label(),
            status,
            status_label,
            since: time::view(m.created_at, tz, now),
        });
    }
    Ok(context! { rows => rows, search => search, next_cursor => next_cursor, is_first_page => first_page })
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite_member(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<InviteForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageMembers)?;
    match invitations::invite(&state, &ctx, &form.email, &form.role).await {
        Ok(Sent::Created(i)) => {
            Ok(redirect_with_flash(GENERAL, Flash::success(format!("Invitation sent to {}.", i.email))))
        }
        Ok(Sent::Resent(i)) => Ok(redirect_with_flash(
            GENERAL,
            Flash::success(format!("{} was already invited; we sent a new invitation.", i.email)),
        )),
        Err(err) => {
            let Some(fields) = err.field_messages() else { return Err(err) };
            let errors = fields.into_iter().map(|(field, message)| (format!("invite_{field}"), message)).collect();
            let values = BTreeMap::from([("invite_email", form.email), ("invite_role", form.role)]);
            crate::workspaces::pages::render_general_with(&state, &ctx, &page, values, errors).await
        }
    }
}

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
    let ctx_value = context! {
        title => format!("Remove {}", member.name),
        heading => format!("Remove {}", member.name),
        message => format!(
            "Remove {} ({}) from {}? They lose access at once and need a new invitation to come back.",
            member.name, member.email, ctx.workspace.name
        ),
        action => format!("/settings/members/{}/remove", member.id),
        confirm => format!("Remove {}", member.name),
        back => GENERAL,
        workspace_id => ctx.workspace.id.to_string(),
    };
    page.render(&state, "confirm.html", ctx_value).await
}

/// The confirmation page for Leave Workspace (see [`remove_member_page`]).
pub async fn leave_workspace_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ViewWorkspace)?;
    let ctx_value = context! {
        title => "Leave workspace",
        heading => format!("Leave {}", ctx.workspace.name),
        message => format!("Leave {}? You will need a new invitation to come back.", ctx.workspace.name),
        action => "/workspace/leave",
        confirm => "Leave workspace",
        back => "/",
        workspace_id => ctx.workspace.id.to_string(),
    };
    page.render(&state, "confirm.html", ctx_value).await
}

/// Any member may leave (the Danger Zone for Admins, the switcher for all).
pub async fn leave_workspace(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Response> {
    ctx.require(Permission::ViewWorkspace)?;
    service::leave(&state, &ctx).await?;
    Ok(redirect_with_flash("/", Flash::success(format!("You left {}.", ctx.workspace.name))))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm_name: String,
}

pub async fn delete_workspace(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Form(form): Form<DeleteForm>,
) -> AppResult<Response> {
    ctx.require(Permission::DeleteWorkspace)?;
    match service::delete_workspace(&state, &ctx, &form.confirm_name).await {
        Ok(()) => {
            Ok(redirect_with_flash("/", Flash::success(format!("Workspace {} was deleted.", ctx.workspace.name))))
        }
        Err(err) => match err.field_message("confirm_name") {
            Some(message) => {
                let errors = BTreeMap::from([("confirm_name".to_string(), message.to_string())]);
                let values = BTreeMap::from([("confirm_name", form.confirm_name)]);
                crate::workspaces::pages::render_general_with(&state, &ctx, &page, values, errors).await
            }
            None => Err(err),
        },
    }
}

/// `GET /settings/general?search=…&cursor=…` passes these through.
pub type MembersParams = Query<MembersQuery>;
