//! `access.denied`: a member or token of a workspace was refused a
//! permission (today: an Admin-only route). The entry names the route
//! (`target_type` `route`, ID and name `"METHOD /mounted/path"`), the
//! permission that was missing and the caller's role. The request changed
//! nothing else, so the entry is its own small transaction.
//!
//! What counts as an attempt:
//! - every refused API call, reads included: a token or script reading
//!   Admin-only data (members, tokens, the audit log) is what an Admin
//!   wants to see;
//! - every refused page form post (a change was attempted);
//! - but not a refused page visit (`GET /settings…`): the gear icon is shown
//!   to every member, and following it only earns a toast, so counting it
//!   would bury real attempts under innocent clicks.
//!
//! Flooding: browser sessions are not rate limited (only tokens and
//! anonymous IPs are), so a script with a Member's session could write an
//! entry per request. Repeats are coalesced instead: one entry per actor and
//! route per [`COALESCE_MINUTES`]; the entry says when attempts began, and
//! later ones within the window add nothing an Admin would act on. Two
//! refusals racing may both write; that is harmless.
use axum::http::Method;
use chrono::Duration;
use switchboard_db::fetch_scalar;

use super::{Changes, Origin, Target};
use crate::policy::{Attempt, Permission, WorkspaceCtx};
use crate::state::AppState;

pub const ACTION: &super::Action = &super::catalogue::ACCESS_DENIED;

/// Repeats of one actor's refusal on one route within this many minutes
/// write no further entry.
pub const COALESCE_MINUTES: i64 = 10;

/// Whether a refusal of `attempt` is audited at all (see the module notes).
pub fn counts(attempt: &Attempt) -> bool {
    let is_api = attempt.path.starts_with("/api/");
    is_api || !matches!(attempt.method, Method::GET | Method::HEAD)
}

/// Writes the `access.denied` entry for a refusal of `ctx`, unless the same
/// actor was refused the same route within the window. A failure is logged,
/// never turned into another answer than the refusal itself.
pub async fn record(state: &AppState, ctx: &WorkspaceCtx, permission: Permission, attempt: &Attempt) {
    if !counts(attempt) {
        return;
    }
    if let Err(err) = write(state, ctx, permission, attempt).await {
        tracing::error!(error = ?err, "could not audit a refused request");
    }
}

async fn write(state: &AppState, ctx: &WorkspaceCtx, permission: Permission, attempt: &Attempt) -> anyhow::Result<()> {
    let now = state.clock.now();
    let origin = Origin::from_ctx(ctx);
    let route = format!("{} {}", attempt.method, attempt.route);
    let since = now - Duration::minutes(COALESCE_MINUTES);
    let mut tx = state.db.begin().await?;
    let recent = fetch_scalar!(
        &mut tx,
        i64,
        "SELECT COUNT(*) FROM audit_log
         WHERE workspace_id = $1 AND created_at >= $2 AND action = $3 AND actor_id = $4 AND target_id = $5",
        ctx.workspace.id.as_str(),
        since,
        ACTION.name,
        origin.actor_id.as_deref(),
        &route
    )?;
    if recent > 0 {
        return Ok(());
    }
    let mut changes = Changes::new().field("permission", (), permission.as_str()).field("role", (), ctx.role.as_str());
    if attempt.path != attempt.route {
        changes = changes.field("path", (), &attempt.path);
    }
    let target = Target::new("route", &route, route.clone());
    super::record(&mut tx, &origin, ACTION, &target, &changes, now).await?;
    tx.commit().await?;
    Ok(())
}
