//! What the Members card of Settings → General shows: members and pending
//! invitations as rows, for the page that owns General (`crate::general`).
use minijinja::{Value, context};
use serde::Serialize;

use super::api::{MembersQuery, page};
use crate::error::AppResult;
use crate::invitations::store as invitation_store;
use crate::policy::WorkspaceCtx;
use crate::state::AppState;
use crate::web::time;

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
