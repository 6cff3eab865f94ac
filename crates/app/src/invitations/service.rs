//! Inviting, resending, revoking and accepting. Each send enqueues its
//! email job in the same transaction as the invitation change, so an
//! invitation never exists without its email on the way, and a crash
//! between the two cannot lose it.
use chrono::{DateTime, Duration, Utc};
use switchboard_core::{InvitationId, Role, WorkspaceId};
use switchboard_db::Tx;

use super::email::InvitationEmail;
use super::store::{self, Invitation, NewInvitation};
use crate::audit::{self, Changes, Origin, Target};
use crate::auth::Session;
use crate::auth::model::EmailAddress;
use crate::error::{AppError, AppResult, FieldError};
use crate::members::service::lock_workspace;
use crate::members::store as members;
use crate::policy::{Permission, WorkspaceCtx};
use crate::secrets::{random_token, sha256_hex};
use crate::state::AppState;
use crate::web::ClientMeta;
use crate::workspaces::store::{self as workspaces, Workspace};

pub const VALID_DAYS: i64 = 7;
/// Invitation emails (first sends and resends) one workspace may send per hour.
pub const SENDS_PER_HOUR: i64 = 30;

pub enum Sent {
    Created(Invitation),
    Resent(Invitation),
}

impl Sent {
    pub fn invitation(&self) -> &Invitation {
        match self {
            Sent::Created(i) | Sent::Resent(i) => i,
        }
    }
}

fn target(invitation: &Invitation) -> Target {
    Target::new("invitation", &invitation.id, invitation.email.clone())
}

/// A random 192-bit token for the link; only its hash is stored.
fn new_token() -> (String, String) {
    let token = random_token(24);
    let hash = sha256_hex(&token);
    (token, hash)
}

/// Invites `email` as `role`. An active member is refused; a pending
/// invitation for the address is resent (new link, old one dead).
pub async fn invite(state: &AppState, ctx: &WorkspaceCtx, email: &str, role: &str) -> AppResult<Sent> {
    ctx.require(Permission::ManageMembers)?;
    let mut errors = Vec::new();
    let email = EmailAddress::parse(email).map_err(|m| errors.push(FieldError::new("email", m))).ok();
    let role =
        role.parse::<Role>().map_err(|_| errors.push(FieldError::new("role", "Choose Admin, Member or Viewer."))).ok();
    let (Some(email), Some(role)) = (email, role) else {
        return Err(AppError::validation(errors));
    };
    crate::verification::service::require_verified_to_invite(state, &ctx.user_id).await?;
    let now = state.clock.now();
    let mut tx = lock_workspace(state, ctx).await?;
    check_send_budget(&mut tx, &ctx.workspace.id, now).await?;
    super::daily_cap::charge(&mut tx, &ctx.user_id, now).await?;
    if members::find_active_by_email(&mut tx, &ctx.workspace.id, &email.normalized()).await?.is_some() {
        return Err(AppError::conflict(
            "already_member",
            format!("{email} is already a member of “{}”.", ctx.workspace.name),
        ));
    }
    let (token, token_hash) = new_token();
    let expires_at = now + Duration::days(VALID_DAYS);
    let sent = match store::find_pending_by_email(&mut tx, &ctx.workspace.id, &email.normalized()).await? {
        Some(pending) => {
            store::reissue(&mut tx, &ctx.workspace.id, &pending.id, &token_hash, role, now, expires_at).await?;
            // The link always changes (never recorded: it is a secret), so
            // the send count does too.
            let changes = Changes::new()
                .field("role", pending.role.as_str(), role.as_str())
                .field("expires_at", pending.expires_at, expires_at)
                .field("send_count", pending.send_count, pending.send_count + 1);
            audit::record(&mut tx, &Origin::from_ctx(ctx), &super::RESENT, &target(&pending), &changes, now).await?;
            Sent::Resent(Invitation { role, send_count: pending.send_count + 1, sent_at: now, expires_at, ..pending })
        }
        None => {
            // The plan's member limit counts members and open invitations.
            let seats = members::count_active(&mut tx, &ctx.workspace.id, None).await?
                + store::count_open(&mut tx, &ctx.workspace.id, now).await?;
            crate::subscription::limits::check_members(state, &mut tx, &ctx.workspace.id, seats).await?;
            let id = InvitationId::new();
            let new = NewInvitation {
                id: &id,
                workspace_id: &ctx.workspace.id,
                email: email.as_str(),
                email_normalized: &email.normalized(),
                role,
                token_hash: &token_hash,
                invited_by: &ctx.user_id,
                now,
                expires_at,
            };
            store::insert(&mut tx, &new).await?;
            let invitation = store::find(&mut tx, &ctx.workspace.id, &id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("invitation vanished"))?;
            let changes = Changes::new().field("email", (), email.as_str()).field("role", (), role.as_str());
            audit::record(
                &mut tx,
                &Origin::from_ctx(ctx),
                &crate::members::INVITED,
                &target(&invitation),
                &changes,
                now,
            )
            .await?;
            Sent::Created(invitation)
        }
    };
    enqueue_email(state, &mut tx, ctx, sent.invitation(), &token, now).await?;
    tx.commit().await?;
    state.jobs_wakeup.notify_one();
    Ok(sent)
}

async fn check_send_budget(tx: &mut Tx, workspace_id: &WorkspaceId, now: DateTime<Utc>) -> AppResult<()> {
    if store::sends_since(&mut *tx, workspace_id, now - Duration::hours(1)).await? >= SENDS_PER_HOUR {
        return Err(AppError::too_many_requests(
            format!("This workspace has sent {SENDS_PER_HOUR} invitations in the last hour. Try again later."),
            3600,
        ));
    }
    Ok(())
}

async fn enqueue_email(
    state: &AppState,
    tx: &mut Tx,
    ctx: &WorkspaceCtx,
    invitation: &Invitation,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let link = format!("{}/invite/{token}", state.public_url);
    let host = url::Url::parse(&state.public_url).ok().and_then(|u| u.host_str().map(str::to_string));
    let mail = InvitationEmail {
        to: &invitation.email,
        inviter: &ctx.user_name,
        workspace: &ctx.workspace.name,
        role: invitation.role.label(),
        link: &link,
        expires_at: invitation.expires_at,
        message_id: format!(
            "{}.{}@{}",
            invitation.id,
            invitation.send_count,
            host.as_deref().unwrap_or("switchboard.localhost")
        ),
    };
    crate::jobs::email::enqueue_email(tx, Some(ctx.workspace.id.clone()), &mail.message(), now).await?;
    Ok(())
}

fn not_found() -> AppError {
    AppError::not_found("The invitation")
}

async fn load_pending(tx: &mut Tx, ctx: &WorkspaceCtx, id: &str) -> AppResult<Invitation> {
    let id: InvitationId = id.parse().map_err(|_| not_found())?;
    let invitation = store::find(&mut *tx, &ctx.workspace.id, &id).await?.ok_or_else(not_found)?;
    if invitation.status != "pending" {
        return Err(AppError::conflict(
            "invitation_not_pending",
            format!("The invitation to {} was already {}.", invitation.email, invitation.status),
        ));
    }
    Ok(invitation)
}

/// A new link (the old one stops working) and a new 7-day window.
pub async fn resend(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Invitation> {
    ctx.require(Permission::ManageMembers)?;
    crate::verification::service::require_verified_to_invite(state, &ctx.user_id).await?;
    let now = state.clock.now();
    let mut tx = lock_workspace(state, ctx).await?;
    check_send_budget(&mut tx, &ctx.workspace.id, now).await?;
    super::daily_cap::charge(&mut tx, &ctx.user_id, now).await?;
    let pending = load_pending(&mut tx, ctx, id).await?;
    let (token, token_hash) = new_token();
    let expires_at = now + Duration::days(VALID_DAYS);
    store::reissue(&mut tx, &ctx.workspace.id, &pending.id, &token_hash, pending.role, now, expires_at).await?;
    let changes = Changes::new().field("expires_at", pending.expires_at, expires_at).field(
        "send_count",
        pending.send_count,
        pending.send_count + 1,
    );
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::RESENT, &target(&pending), &changes, now).await?;
    let invitation = Invitation { send_count: pending.send_count + 1, sent_at: now, expires_at, ..pending };
    enqueue_email(state, &mut tx, ctx, &invitation, &token, now).await?;
    tx.commit().await?;
    state.jobs_wakeup.notify_one();
    Ok(invitation)
}

pub async fn revoke(state: &AppState, ctx: &WorkspaceCtx, id: &str) -> AppResult<Invitation> {
    ctx.require(Permission::ManageMembers)?;
    let now = state.clock.now();
    let mut tx = lock_workspace(state, ctx).await?;
    let pending = load_pending(&mut tx, ctx, id).await?;
    store::finish(&mut tx, &ctx.workspace.id, &pending.id, "revoked", now).await?;
    let changes = Changes::new().field("status", "pending", "revoked");
    audit::record(&mut tx, &Origin::from_ctx(ctx), &super::REVOKED, &target(&pending), &changes, now).await?;
    tx.commit().await?;
    Ok(Invitation { status: "revoked".into(), ..pending })
}

/// What a link leads to, for the invitation page.
pub enum LinkState {
    /// Pending and in date.
    Valid(Invitation, Workspace),
    Expired(Invitation, Workspace),
    /// Unknown, revoked, already used, or its workspace is gone.
    Invalid,
}

pub async fn inspect(state: &AppState, token: &str) -> AppResult<LinkState> {
    let Some(invitation) = store::find_by_token_hash(&state.db, &sha256_hex(token)).await? else {
        return Ok(LinkState::Invalid);
    };
    let Some(workspace) = workspaces::find(&state.db, &invitation.workspace_id).await? else {
        return Ok(LinkState::Invalid);
    };
    Ok(match invitation.status.as_str() {
        "pending" if invitation.is_expired(state.clock.now()) => LinkState::Expired(invitation, workspace),
        "pending" => LinkState::Valid(invitation, workspace),
        _ => LinkState::Invalid,
    })
}

/// Joins the signed-in user to the invitation's workspace. The user's email
/// must be the invited one; the token then stops working.
pub async fn accept(state: &AppState, session: &Session, meta: &ClientMeta, token: &str) -> AppResult<Workspace> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let invalid = || {
        AppError::conflict(
            "invitation_invalid",
            "This invitation link is no longer valid. Ask an Admin to send a new one.",
        )
    };
    let invitation = store::find_by_token_hash(&mut tx, &sha256_hex(token)).await?.ok_or_else(invalid)?;
    if invitation.status != "pending" {
        return Err(invalid());
    }
    if invitation.is_expired(now) {
        return Err(AppError::conflict(
            "invitation_expired",
            "This invitation has expired. Ask an Admin to send a new one.",
        ));
    }
    if invitation.email_normalized != session.user_email.to_lowercase() {
        return Err(AppError::conflict(
            "wrong_account",
            format!(
                "This invitation is for {}, but you are signed in as {}. Sign out and use the invited address.",
                invitation.email, session.user_email
            ),
        ));
    }
    let workspace = workspaces::find_for_update(&mut tx, &invitation.workspace_id).await?.ok_or_else(invalid)?;
    if !store::finish(&mut tx, &workspace.id, &invitation.id, "accepted", now).await? {
        return Err(invalid());
    }
    members::upsert_active(&mut tx, &workspace.id, &session.user_id, invitation.role, now).await?;
    crate::verification::service::on_invitation_accepted(&mut tx, &session.user_id, &invitation.email, now).await?;
    let membership = members::find(&mut tx, &workspace.id, &session.user_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("membership missing right after upsert"))?;
    let origin = Origin::user(workspace.id.clone(), &session.user_id, &session.user_name, meta);
    let changes = Changes::new().field("role", (), invitation.role.as_str()).field("status", (), "active");
    audit::record(
        &mut tx,
        &origin,
        &crate::members::JOINED,
        &Target::new("member", &membership.id, session.user_email.clone()),
        &changes,
        now,
    )
    .await?;
    crate::auth::session::set_current_workspace(&mut tx, &session.id_hash, Some(&workspace.id)).await?;
    tx.commit().await?;
    // A returning member's role shows in their tokens (auth::token_cache).
    state.tokens.clear();
    Ok(workspace)
}
