//! The audit write path: [`record`] writes one entry inside the caller's
//! transaction, so a change and its entry commit or roll back together.
//! Entries form a hash chain per workspace ([`chain`]); [`query`] reads
//! them for the API ([`api`]) and the Settings → Audit Log page ([`pages`]).
//! Refused requests of a workspace's members and tokens are recorded too
//! ([`denied`]).
pub mod api;
pub mod catalogue;
pub mod chain;
pub mod checkpoint;
pub mod cli;
pub mod denied;
pub mod pages;
pub mod query;
pub mod retention;
pub mod settings;
mod view;

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use switchboard_core::{AuditEntryId, UserId, WorkspaceId};
use switchboard_db::{IntoExec, Tx, execute, fetch_all, fetch_one};

pub use catalogue::{Action, ActionGroup};
use futures_util::FutureExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::events;
use crate::feature::{Feature, Section};
use crate::routes::{Access, Routes};

use crate::policy::WorkspaceCtx;
use crate::web::ClientMeta;

/// Settings → Audit Log, its API, and retention as periodic work.
pub const FEATURE: Feature = Feature {
    section: Some(Section {
        slug: "audit-log",
        title: "Audit Log",
        summary: "Track all changes made in your workspace.",
        order: 80,
    }),
    routes,
    api_tags: &[("audit", "The current workspace's audit log and its hash chain")],
    maintenance: Some(|state| retention::apply_configured(state).boxed()),
    ..Feature::new("audit")
};

fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get("/settings/audit-log", pages::audit_log_page)
        .get("/settings/audit-log/{id}", pages::audit_entry_page);
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(api::list_entries))
            .routes(routes!(api::export_entries))
            .routes(routes!(api::verify_chain))
            .routes(routes!(checkpoint::export_checkpoint))
            .routes(routes!(checkpoint::verify_checkpoint)),
    );
}

/// Who made a change, from where.
#[derive(Debug, Clone)]
pub struct Origin {
    pub workspace_id: WorkspaceId,
    pub actor_type: &'static str,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// A change made by the signed-in user of `ctx` in its workspace.
    pub fn from_ctx(ctx: &WorkspaceCtx) -> Self {
        match &ctx.token {
            Some(token) => Origin {
                workspace_id: ctx.workspace.id.clone(),
                actor_type: "token",
                actor_id: Some(token.token_id.to_string()),
                actor_name: token.token_name.clone(),
                ip: ctx.meta.ip.clone(),
                user_agent: ctx.meta.user_agent.clone(),
            },
            None => Self::user(ctx.workspace.id.clone(), &ctx.user_id, &ctx.user_name, &ctx.meta),
        }
    }

    /// A change made by a user in `workspace_id`, before a [`WorkspaceCtx`]
    /// exists (creating a workspace, signing in, joining one).
    pub fn user(workspace_id: WorkspaceId, user_id: &UserId, user_name: &str, meta: &ClientMeta) -> Self {
        Origin {
            workspace_id,
            actor_type: "user",
            actor_id: Some(user_id.to_string()),
            actor_name: user_name.to_string(),
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
        }
    }

    /// A change made by the server itself (jobs, the CLI).
    pub fn system(workspace_id: WorkspaceId) -> Self {
        Origin {
            workspace_id,
            actor_type: "system",
            actor_id: None,
            actor_name: "System".into(),
            ip: None,
            user_agent: None,
        }
    }
}

/// What a change was made to.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
}

impl Target {
    pub fn new(kind: &'static str, id: impl ToString, name: impl Into<String>) -> Self {
        Target { kind, id: id.to_string(), name: name.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub before: Value,
    pub after: Value,
}

/// The changed fields, before and after. Unchanged fields are left out.
/// Never put a secret here: name the field and record `"[redacted]"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Changes(pub BTreeMap<String, Change>);

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn field(mut self, name: &str, before: impl Serialize, after: impl Serialize) -> Self {
        let before = serde_json::to_value(before).unwrap_or(Value::Null);
        let after = serde_json::to_value(after).unwrap_or(Value::Null);
        if before != after {
            self.0.insert(name.to_string(), Change { before, after });
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Writes one entry in `tx`. Call it after the change, before `commit`.
/// Its events (the action's own, if any, and `audit.entry_created`) are
/// emitted in the same transaction.
///
/// The entry joins its workspace's hash chain: one upsert takes the next
/// sequence number and the previous hash from the chain head (locking that
/// row until commit, so writers in every process queue there and a rolled
/// back change leaves no gap), then the entry and the new head are written.
pub async fn record(
    tx: &mut Tx,
    origin: &Origin,
    action: &Action,
    target: &Target,
    changes: &Changes,
    now: DateTime<Utc>,
) -> Result<AuditEntryId, sqlx::Error> {
    // Both databases keep microseconds; the hash must cover what is kept.
    let now = now.trunc_subsecs(6);
    let id = AuditEntryId::new();
    let ws = origin.workspace_id.as_str();
    let action_name = action.name;
    let (seq, prev_hash): (i64, String) = fetch_one!(
        &mut *tx,
        (i64, String),
        "INSERT INTO audit_chain_heads (workspace_id, seq, hash) VALUES ($1, 1, $2)
         ON CONFLICT (workspace_id) DO UPDATE SET seq = audit_chain_heads.seq + 1
         RETURNING seq, hash",
        ws,
        chain::GENESIS
    )?;
    let hash = chain::entry_hash(
        &chain::Canonical {
            id: id.as_str(),
            workspace_id: ws,
            seq,
            actor_type: origin.actor_type,
            actor_id: origin.actor_id.as_deref(),
            actor_name: &origin.actor_name,
            action: action_name,
            target_type: target.kind,
            target_id: &target.id,
            target_name: &target.name,
            changes,
            ip: origin.ip.as_deref(),
            user_agent: origin.user_agent.as_deref(),
            created_at: now,
        },
        &prev_hash,
    );
    execute!(
        &mut *tx,
        "INSERT INTO audit_log (id, workspace_id, actor_type, actor_id, actor_name, action, target_type, target_id,
                                target_name, changes, ip, user_agent, created_at, seq, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        id.as_str(),
        ws,
        origin.actor_type,
        origin.actor_id.as_deref(),
        &origin.actor_name,
        action_name,
        target.kind,
        &target.id,
        &target.name,
        sqlx::types::Json(changes),
        origin.ip.as_deref(),
        origin.user_agent.as_deref(),
        now,
        seq,
        &prev_hash,
        &hash
    )?;
    execute!(&mut *tx, "UPDATE audit_chain_heads SET hash = $2 WHERE workspace_id = $1", ws, &hash)?;
    // The change's events commit (or roll back) with it. With nobody
    // listening this is one indexed query and no payload is built.
    let listeners = events::listeners(tx, &origin.workspace_id).await?;
    if listeners.is_empty() {
        return Ok(id);
    }
    if let Some(event) = action.event {
        events::publish(tx, &listeners, event, &origin.workspace_id, now, || {
            json!({
                "object": {"type": target.kind, "id": target.id, "name": target.name},
                "actor": {"type": origin.actor_type, "id": origin.actor_id, "name": origin.actor_name},
                "changes": changes,
                "audit_entry_id": id.as_str(),
            })
        })
        .await?;
    }
    if !listeners.wanting(&events::AUDIT_ENTRY_CREATED).is_empty() {
        let tz = crate::tenancy::timezone(&mut *tx, &origin.workspace_id).await?;
        let entry = AuditEntry {
            id: id.to_string(),
            actor_type: origin.actor_type.to_string(),
            actor_id: origin.actor_id.clone(),
            actor_name: origin.actor_name.clone(),
            action: action_name.to_string(),
            target_type: target.kind.to_string(),
            target_id: target.id.clone(),
            target_name: target.name.clone(),
            changes: sqlx::types::Json(changes.clone()),
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
            created_at: now,
        };
        let data = json!({ "entry": api::AuditEntryResponse::new(entry, tz) });
        events::publish(tx, &listeners, &events::AUDIT_ENTRY_CREATED, &origin.workspace_id, now, || data).await?;
    }
    Ok(id)
}

/// An entry as stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub target_name: String,
    pub changes: sqlx::types::Json<Changes>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The workspace's entries, newest first.
pub async fn list_recent<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    fetch_all!(
        ex,
        AuditEntry,
        "SELECT id, actor_type, actor_id, actor_name, action, target_type, target_id, target_name, changes, ip,
                user_agent, created_at
         FROM audit_log WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        workspace_id.as_str(),
        limit
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_fields_are_left_out() {
        let changes = Changes::new().field("name", "Acme", "Acme Voice").field("timezone", "UTC", "UTC");
        assert_eq!(changes.0.len(), 1);
        assert_eq!(changes.0["name"].before, "Acme");
        assert_eq!(changes.0["name"].after, "Acme Voice");
    }
}
