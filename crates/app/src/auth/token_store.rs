//! The two queries token authentication makes on the `api_tokens` table
//! (owned by the developer feature, which creates, lists and revokes
//! tokens): the lookup by hash, joined with the creator's membership and
//! the workspace, and the throttled "last used" write.
use chrono::{DateTime, Utc};
use switchboard_core::{ApiTokenId, Role, UserId, WorkspaceId};
use switchboard_db::{IntoExec, execute, fetch_optional};

use super::token_facts::TokenFacts;
use crate::tenancy::Workspace;

/// What authenticating a request needs: the token, its creator's
/// membership, and its workspace (so the request needs no second query).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenAuthRow {
    #[sqlx(try_from = "String")]
    pub id: ApiTokenId,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[sqlx(try_from = "String")]
    pub created_by: UserId,
    pub creator_name: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub creator_role: Option<String>,
    pub creator_status: Option<String>,
    #[sqlx(try_from = "String")]
    pub ws_id: WorkspaceId,
    pub ws_name: String,
    pub ws_website: Option<String>,
    pub ws_timezone: String,
    pub ws_logo_version: Option<i64>,
    pub ws_created_at: DateTime<Utc>,
    pub ws_updated_at: DateTime<Utc>,
    pub ws_experimental_features: sqlx::types::Json<std::collections::BTreeMap<String, bool>>,
}

impl TokenAuthRow {
    pub fn facts(&self) -> TokenFacts {
        TokenFacts::from_stored(
            self.role,
            self.expires_at,
            self.revoked_reason.as_deref(),
            self.creator_role.as_deref(),
            self.creator_status.as_deref(),
        )
    }

    pub fn workspace(&self) -> Workspace {
        Workspace {
            id: self.ws_id.clone(),
            name: self.ws_name.clone(),
            website: self.ws_website.clone(),
            timezone: self.ws_timezone.clone(),
            logo_version: self.ws_logo_version,
            created_at: self.ws_created_at,
            updated_at: self.ws_updated_at,
            experimental_features: self.ws_experimental_features.clone(),
        }
    }
}

/// The token whose SHA-256 is `token_hash`, with its workspace: one query,
/// one lookup on a unique index. Comparing hashes leaks nothing about the
/// token through timing.
pub async fn find_by_hash<'a>(ex: impl IntoExec<'a>, token_hash: &str) -> Result<Option<TokenAuthRow>, sqlx::Error> {
    fetch_optional!(
        ex,
        TokenAuthRow,
        "SELECT t.id, t.name, t.role, t.created_by, u.name AS creator_name, t.expires_at, t.last_used_at,
                t.revoked_reason, m.role AS creator_role, m.status AS creator_status,
                w.id AS ws_id, w.name AS ws_name, w.website AS ws_website, w.timezone AS ws_timezone,
                w.logo_version AS ws_logo_version, w.created_at AS ws_created_at, w.updated_at AS ws_updated_at,
                w.experimental_features AS ws_experimental_features
         FROM api_tokens t
         JOIN users u ON u.id = t.created_by
         JOIN workspaces w ON w.id = t.workspace_id
         LEFT JOIN memberships m ON m.workspace_id = t.workspace_id AND m.user_id = t.created_by
         WHERE t.token_hash = $1",
        token_hash
    )
}

/// Records a use; a no-op when another request (in any process) recorded
/// one less than `min_interval_secs` ago, so a busy token costs one write a
/// minute rather than one per request.
pub async fn touch<'a>(
    ex: impl IntoExec<'a>,
    id: &ApiTokenId,
    ip: Option<&str>,
    now: DateTime<Utc>,
    min_interval_secs: i64,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE api_tokens SET last_used_at = $2, last_used_ip = $3
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $4)",
        id.as_str(),
        now,
        ip,
        now - chrono::Duration::seconds(min_interval_secs)
    )?;
    Ok(())
}
