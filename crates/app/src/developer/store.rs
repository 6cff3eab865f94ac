//! The `api_tokens` table. Every function takes the workspace ID first,
//! except [`find_by_hash`], which is how a request finds its token.
use chrono::{DateTime, Utc};
use switchboard_core::{ApiTokenId, Role, UserId, WorkspaceId};
use switchboard_db::{IntoExec, execute, fetch_all, fetch_optional};

use super::model::{NewToken, TokenFacts};

/// A token with what the list and the authentication need to know.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    #[sqlx(try_from = "String")]
    pub id: ApiTokenId,
    #[sqlx(try_from = "String")]
    pub workspace_id: WorkspaceId,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub token_prefix: String,
    #[sqlx(try_from = "String")]
    pub created_by: UserId,
    pub creator_name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub creator_role: Option<String>,
    pub creator_status: Option<String>,
}

impl TokenRow {
    pub fn facts(&self) -> TokenFacts {
        TokenFacts::from_stored(
            self.role,
            self.expires_at,
            self.revoked_reason.as_deref(),
            self.creator_role.as_deref(),
            self.creator_status.as_deref(),
        )
    }
}

/// A literal, so queries `concat!` it at compile time rather than splice it at run time.
macro_rules! token_select {
    () => {
        "SELECT t.id, t.workspace_id, t.name, t.role, t.token_prefix, t.created_by, u.name AS creator_name,
        t.created_at, t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at, t.revoked_reason,
        m.role AS creator_role, m.status AS creator_status
    FROM api_tokens t
    JOIN users u ON u.id = t.created_by
    LEFT JOIN memberships m ON m.workspace_id = t.workspace_id AND m.user_id = t.created_by"
    };
}

/// What is kept of a token's secret: its hash, and the prefix shown in the list.
pub struct StoredSecret {
    pub hash: String,
    pub prefix: String,
}

pub async fn insert<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ApiTokenId,
    new: &NewToken,
    secret: &StoredSecret,
    created_by: &UserId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "INSERT INTO api_tokens (id, workspace_id, name, role, token_hash, token_prefix, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        id.as_str(),
        workspace_id.as_str(),
        &new.name,
        new.role.as_str(),
        &secret.hash,
        &secret.prefix,
        created_by.as_str(),
        now,
        new.expires_at
    )?;
    Ok(())
}

/// The workspace's tokens, newest first (revoked ones too: the list says why they stopped).
pub async fn list<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<Vec<TokenRow>, sqlx::Error> {
    let sql = concat!(token_select!(), " WHERE t.workspace_id = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT 1000");
    fetch_all!(ex, TokenRow, sql, workspace_id.as_str())
}

/// Whether the workspace ever created a token (a revoked one counts: the
/// home page's getting-started step was done).
pub async fn any<'a>(ex: impl IntoExec<'a>, workspace_id: &WorkspaceId) -> Result<bool, sqlx::Error> {
    let sql = "SELECT id FROM api_tokens WHERE workspace_id = $1 LIMIT 1";
    Ok(fetch_optional!(ex, (String,), sql, workspace_id.as_str())?.is_some())
}

pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ApiTokenId,
) -> Result<Option<TokenRow>, sqlx::Error> {
    let sql = concat!(token_select!(), " WHERE t.workspace_id = $1 AND t.id = $2");
    fetch_optional!(ex, TokenRow, sql, workspace_id.as_str(), id.as_str())
}

pub async fn revoke<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    id: &ApiTokenId,
    reason: &str,
    revoked_by: Option<&UserId>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE api_tokens SET revoked_at = $3, revoked_reason = $4, revoked_by = $5
         WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL",
        workspace_id.as_str(),
        id.as_str(),
        now,
        reason,
        revoked_by.map(|u| u.as_str())
    )?;
    Ok(done > 0)
}

/// The creator's working tokens in the workspace (to stop when they go).
pub async fn live_ids_of_creator<'a>(
    ex: impl IntoExec<'a>,
    workspace_id: &WorkspaceId,
    creator: &UserId,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    fetch_all!(
        ex,
        (String, String),
        "SELECT id, name FROM api_tokens WHERE workspace_id = $1 AND created_by = $2 AND revoked_at IS NULL",
        workspace_id.as_str(),
        creator.as_str()
    )
}
